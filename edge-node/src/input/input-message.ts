import {
  ErrorCode,
  InputEventSchema,
  MAX_INPUT_MESSAGE_BYTES,
  type ErrorAnswer,
  type InputEvent,
} from '@edgeplay/shared';

export type ParsedInput = { ok: true; event: InputEvent } | ErrorAnswer;

/** Checks one data-channel message from the page before anything acts on it. */
export function parseInputMessage(message: Buffer): ParsedInput {
  if (message.length > MAX_INPUT_MESSAGE_BYTES) {
    return {
      ok: false,
      code: ErrorCode.INVALID_MESSAGE,
      message: `input message over ${MAX_INPUT_MESSAGE_BYTES} bytes`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(message.toString('utf8'));
  } catch {
    return { ok: false, code: ErrorCode.INVALID_MESSAGE, message: 'input message is not JSON' };
  }
  const parsed = InputEventSchema.safeParse(json);
  if (!parsed.success)
    return { ok: false, code: ErrorCode.INVALID_MESSAGE, message: 'input message has the wrong shape' };
  return { ok: true, event: parsed.data };
}
