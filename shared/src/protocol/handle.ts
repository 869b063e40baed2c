import { ErrorCode, isEdgePlayError, toErrorAnswer } from '../errors.js';

/** Called with failures that are not the peer's fault, so they are logged with context. */
export type InternalErrorSink = (error: unknown) => void;

/**
 * Runs one acknowledged socket request: the work's result becomes `{ ok: true, ...result }`,
 * a thrown error becomes a coded error answer. A peer that sends no callback (or junk in
 * its place) still gets its request handled and simply receives no answer. mediasoup
 * throws TypeError for parameters it rejects; those are the peer's fault too.
 */
export function answerRequest<T extends object>(
  ack: unknown,
  work: () => Promise<T> | T,
  onInternalError: InternalErrorSink,
): void {
  const reply = typeof ack === 'function' ? (ack as (answer: unknown) => void) : undefined;
  Promise.resolve()
    .then(work)
    .then(
      (result) => reply?.({ ok: true, ...result }),
      (error: unknown) => {
        if (error instanceof TypeError && !isEdgePlayError(error)) {
          reply?.({ ok: false, code: ErrorCode.INVALID_MESSAGE, message: error.message.slice(0, 200) });
          return;
        }
        if (!isEdgePlayError(error) || error.code === ErrorCode.INTERNAL) onInternalError(error);
        reply?.(toErrorAnswer(error));
      },
    );
}
