import { z } from 'zod';

/**
 * A key as the browser names it (`KeyboardEvent.code`, e.g. `ArrowLeft`, `KeyZ`).
 * Physical codes, not characters, so the layout of the player's keyboard does not matter.
 */
export const KeyCodeSchema = z.string().regex(/^[A-Za-z0-9]{1,24}$/);

/** Page clock (performance.now) when the input happened, for latency measurement. */
export const PageTimeSchema = z.number().nonnegative();

export const KeyInputSchema = z.strictObject({
  type: z.literal('key'),
  code: KeyCodeSchema,
  down: z.boolean(),
  t: PageTimeSchema.optional(),
});

export type KeyInput = z.infer<typeof KeyInputSchema>;
