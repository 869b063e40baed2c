import { z } from 'zod';

/** The label of the data channel that carries player input. */
export const INPUT_CHANNEL_LABEL = 'input';

/**
 * A key as the browser names it (`KeyboardEvent.code`, e.g. `ArrowLeft`, `KeyZ`).
 * Physical codes, not characters, so the layout of the player's keyboard does not matter.
 */
export const KeyCodeSchema = z.string().regex(/^[A-Za-z0-9]{1,24}$/);

export const KeyInputSchema = z.strictObject({
  type: z.literal('key'),
  code: KeyCodeSchema,
  down: z.boolean(),
  /** Page clock (performance.now) when the key was pressed, for latency measurement. */
  t: z.number().nonnegative().optional(),
});

export const InputEventSchema = z.discriminatedUnion('type', [KeyInputSchema]);

export type InputEvent = z.infer<typeof InputEventSchema>;
export type KeyInput = z.infer<typeof KeyInputSchema>;

/** Largest input message accepted on the data channel, in bytes. */
export const MAX_INPUT_MESSAGE_BYTES = 512;
