import { ErrorAnswerSchema, OperatorEarningsSchema, type OperatorEarnings } from '@edgeplay/shared';

/** A refusal from the broker, with its code (INVALID_MESSAGE, CHAIN_UNAVAILABLE, …). */
export class EarningsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** GET /api/operators/:address/earnings from the broker that served this page, parsed. */
export async function fetchEarnings(address: string): Promise<OperatorEarnings> {
  let response: Response;
  try {
    response = await fetch(`/api/operators/${encodeURIComponent(address)}/earnings`, { cache: 'no-store' });
  } catch {
    throw new EarningsError('UNREACHABLE', 'The broker did not answer; check your connection and try again.');
  }
  const body: unknown = await response.json().catch(() => undefined);
  const refused = ErrorAnswerSchema.safeParse(body);
  if (refused.success) throw new EarningsError(refused.data.code, refused.data.message);
  const parsed = OperatorEarningsSchema.safeParse(body);
  if (!parsed.success)
    throw new EarningsError('INVALID_MESSAGE', `The broker answered something unexpected (HTTP ${response.status}).`);
  return parsed.data;
}
