import { z } from 'zod';
import { PadStateSchema } from './input-gamepad.js';
import { KeyInputSchema } from './input-key.js';
import { MouseButtonSchema, PointerDeltaSchema, PointerMoveSchema, WheelSchema } from './input-pointer.js';

export * from './input-key.js';
export * from './input-pointer.js';
export * from './input-gamepad.js';

/** The label of the data channel that carries player input. */
export const INPUT_CHANNEL_LABEL = 'input';

/** Everything a page may send on the input channel, one JSON object per message. */
export const InputEventSchema = z.discriminatedUnion('type', [
  KeyInputSchema,
  PointerMoveSchema,
  PointerDeltaSchema,
  MouseButtonSchema,
  WheelSchema,
  PadStateSchema,
]);

export type InputEvent = z.infer<typeof InputEventSchema>;

/** Largest input message accepted on the data channel, in bytes. */
export const MAX_INPUT_MESSAGE_BYTES = 512;
