/*
 * What a verified minute pays, in ATH base units (ATH has 18 decimals, like wei), by the
 * GPU class the edge declared when it joined. Amounts are bigint end to end.
 */

export const ATH_DECIMALS = 18;
const ATH = 10n ** BigInt(ATH_DECIMALS);

/** GPU class → ATH base units per verified minute at quality 1.0; `default` pays any class not listed. */
export type RateCard = Readonly<Record<string, bigint>>;

export const DEFAULT_RATE_CARD: RateCard = {
  default: ATH / 1000n, // 0.001 ATH
  cpu: ATH / 1000n, // 0.001 ATH
  'rtx-3060': ATH / 100n, // 0.01 ATH
  'rtx-3090': (2n * ATH) / 100n,
  'rtx-4070': (15n * ATH) / 1000n,
  'rtx-4090': (3n * ATH) / 100n,
  l4: (2n * ATH) / 100n,
  l40: (4n * ATH) / 100n,
  a100: (5n * ATH) / 100n,
  h100: (8n * ATH) / 100n,
  h200: ATH / 10n,
};

const ENTRY = /^([a-z0-9-]{1,32})=(\d{1,40})$/;

/**
 * `RATE_CARD`: comma-separated `class=baseUnitsPerMinute` entries laid over the default
 * table (e.g. `rtx-4090=40000000000000000,default=0`). Throws a RangeError naming the bad entry.
 */
export function parseRateCard(text: string | undefined, base: RateCard = DEFAULT_RATE_CARD): RateCard {
  const card: Record<string, bigint> = { ...base };
  for (const entry of (text ?? '').split(',').map((part) => part.trim())) {
    if (!entry) continue;
    const match = ENTRY.exec(entry);
    if (!match?.[1] || match[2] === undefined) {
      throw new RangeError(`"${entry}" is not class=baseUnitsPerMinute (a lower-case class, a whole number)`);
    }
    card[match[1]] = BigInt(match[2]);
  }
  return Object.freeze(card);
}

/**
 * The rate for a class: its own entry, else the longest entry it extends with a dash
 * (nvidia-smi's "h100-80gb-hbm3" pays as "h100"), else `default`, else nothing.
 */
export function ratePerMinute(card: RateCard, gpuClass: string): bigint {
  const exact = card[gpuClass];
  if (exact !== undefined) return exact;
  let best: string | undefined;
  for (const key of Object.keys(card)) {
    if (key !== 'default' && gpuClass.startsWith(`${key}-`) && key.length > (best?.length ?? 0)) best = key;
  }
  return (best === undefined ? card.default : card[best]) ?? 0n;
}

/** The card as JSON-safe text (decimal strings), for logs and stored epoch records. */
export function describeRateCard(card: RateCard): Record<string, string> {
  return Object.fromEntries(Object.entries(card).map(([gpuClass, rate]) => [gpuClass, rate.toString()]));
}
