import { z } from 'zod';
import { GamepadMapSchema } from './input-gamepad.js';
import { GpuTierSchema } from './gpu-tier.js';

/** A title id: lower-case slug, used in URLs, logs and file names. */
export const TitleIdSchema = z
  .string()
  .min(2)
  .max(48)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');

const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

/**
 * How an edge node launches a title. `command` is looked up on PATH; `args` and the
 * values of `env` may use `${TITLE_DIR}` (the folder holding the manifest).
 */
export const TitleManifestSchema = z.strictObject({
  id: TitleIdSchema,
  name: z.string().min(1).max(80),
  description: z.string().max(500).optional(),
  command: z.string().min(1).max(256),
  args: z.array(z.string().max(512)).max(64).default([]),
  env: z.record(EnvNameSchema, z.string().max(4096)).default({}),
  resolution: z.strictObject({
    width: z.int().min(160).max(3840),
    height: z.int().min(120).max(2160),
  }),
  fps: z.int().min(10).max(120),
  /** Whether the session captures the title's sound (a private PulseAudio server, Opus). */
  audio: z.boolean().default(true),
  /**
   * How the title reads the mouse: `absolute` (the default) follows the player's pointer
   * over the picture; `relative` (mouse-look) locks the pointer on a click and sends
   * motion.
   */
  mouse: z.enum(['absolute', 'relative']).optional(),
  /** Gamepad buttons and stick directions → the keys they press, for keyboard-only titles. */
  gamepadMap: GamepadMapSchema.optional(),
  /** The lowest GPU tier (gpu-tier.ts) the title plays well on; absent: any edge, CPU-only included. */
  minGpuTier: GpuTierSchema.optional(),
});

export type TitleManifest = z.infer<typeof TitleManifestSchema>;

/** What players see of a title in the catalog. */
export const TitleSummarySchema = TitleManifestSchema.pick({
  id: true,
  name: true,
  description: true,
  resolution: true,
  fps: true,
  mouse: true,
  minGpuTier: true,
}).extend({
  /** True when the title can be played with a gamepad (it has a gamepadMap). */
  gamepad: z.boolean().optional(),
});

export type TitleSummary = z.infer<typeof TitleSummarySchema>;

export function summarizeTitle(manifest: TitleManifest): TitleSummary {
  const { id, name, description, resolution, fps, mouse, gamepadMap, minGpuTier } = manifest;
  return {
    id,
    name,
    ...(description === undefined ? {} : { description }),
    resolution,
    fps,
    ...(mouse === undefined ? {} : { mouse }),
    ...(gamepadMap === undefined ? {} : { gamepad: true }),
    ...(minGpuTier === undefined ? {} : { minGpuTier }),
  };
}
