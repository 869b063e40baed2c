import type { Socket } from 'socket.io-client';
import { ErrorAnswerSchema, type ErrorAnswer } from '@edgeplay/shared';

const REQUEST_TIMEOUT_MS = 15_000;

/** A failed request, carrying the coded error the other side answered. */
export class RequestError extends Error {
  constructor(readonly answer: ErrorAnswer) {
    super(answer.message);
  }
}

/**
 * Sends one acknowledged request and returns the answer's data; an error answer, a
 * malformed answer or no answer in time becomes a RequestError with a code.
 */
export async function request<T extends object>(
  socket: Socket,
  event: string,
  payload: unknown,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<T> {
  let answer: unknown;
  try {
    answer = await socket.timeout(timeoutMs).emitWithAck(event, payload);
  } catch {
    throw new RequestError({ ok: false, code: 'TIMEOUT', message: `no answer to ${event}` });
  }
  if (typeof answer === 'object' && answer !== null && (answer as { ok?: unknown }).ok === true) return answer as T;
  const parsed = ErrorAnswerSchema.safeParse(answer);
  throw new RequestError(
    parsed.success ? parsed.data : { ok: false, code: 'INVALID_MESSAGE', message: `malformed answer to ${event}` },
  );
}
