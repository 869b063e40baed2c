/**
 * ok: ready. warn: the node works, but below what this machine could do, or something the
 * operator should know. fail: players cannot be served, or will see errors, until it is
 * fixed. skip: does not apply to this machine (e.g. NVENC on a CPU-only node).
 */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable key for machines (`--json`), e.g. "nvidia-driver", "title:chromium-bsu". */
  id: string;
  /** What was checked, for people: "NVIDIA driver". */
  name: string;
  status: CheckStatus;
  /** What was found, in plain words. */
  message: string;
  /** What to do about it, for warn and fail. */
  fix?: string;
}

export const ok = (id: string, name: string, message: string): CheckResult => ({ id, name, status: 'ok', message });
export const skip = (id: string, name: string, message: string): CheckResult => ({
  id,
  name,
  status: 'skip',
  message,
});
export const warn = (id: string, name: string, message: string, fix: string): CheckResult => ({
  id,
  name,
  status: 'warn',
  message,
  fix,
});
export const fail = (id: string, name: string, message: string, fix: string): CheckResult => ({
  id,
  name,
  status: 'fail',
  message,
  fix,
});

/** "warn  NVENC: … " plus an indented "fix: …" line when there is something to do. */
export function formatCheck(result: CheckResult): string {
  const line = `${result.status.padEnd(4)}  ${result.name}: ${result.message}`;
  return result.fix === undefined ? line : `${line}\n      fix: ${result.fix}`;
}

/** The closing line: counts, and whether this node can serve players. */
export function formatSummary(results: readonly CheckResult[]): string {
  const count = (status: CheckStatus): number => results.filter((result) => result.status === status).length;
  const failures = count('fail');
  const warnings = count('warn');
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const tally = `${plural(failures, 'failure')}, ${plural(warnings, 'warning')}`;
  if (failures > 0) return `${tally}: fix the failures above before this node serves players.`;
  if (warnings > 0) return `${tally}: this node can serve players; the warnings say what it is missing.`;
  return `${tally}: this node is ready.`;
}
