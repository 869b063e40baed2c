import { z } from 'zod';
import { GpuClassSchema } from './gpu-class.js';
import { GamepadMapSchema } from './input-gamepad.js';
import { GpuTierSchema } from './gpu-tier.js';

/** A title id: lower-case slug, used in URLs, logs and file names. */
export const TitleIdSchema = z
  .string()
  .min(2)
  .max(48)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');

const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

/** Where an uploaded cover is served by the broker: content-addressed, so it never changes. */
export const UPLOADED_COVER_PATTERN = /^\/covers\/[0-9a-f]{64}\.(png|jpg)$/;

/**
 * A title's cover image: an https URL, or one uploaded to the broker
 * (`/covers/<sha256>.png|jpg`, relative to the broker that serves the catalog).
 */
export const CoverRefSchema = z
  .string()
  .max(512)
  .refine(
    (value) => UPLOADED_COVER_PATTERN.test(value) || /^https:\/\/[^\s"'<>\\]+$/.test(value),
    'an https:// URL or an uploaded cover (/covers/<sha256>.png or .jpg)',
  );

/** An absolute path without `..` segments or odd characters: something an install check may look at. */
export const CheckedPathSchema = z
  .string()
  .max(256)
  .regex(/^(\/[A-Za-z0-9._+@-]+)+\/?$/, 'an absolute path (letters, digits and . _ + @ -)')
  .refine((path) => !path.split('/').includes('..'), 'no ".." in the path');

/**
 * How a node tells that a title is installed, beyond its command being there. A list of
 * facts the node checks itself — never a shell command to run.
 */
export const InstallCheckSchema = z.strictObject({
  /** Files or folders that must exist (e.g. the game's data folder). */
  paths: z.array(CheckedPathSchema).min(1).max(16).optional(),
  /** A Debian package that must be installed (`dpkg-query` says "install ok installed"). */
  debianPackage: z
    .string()
    .regex(/^[a-z0-9][a-z0-9+.-]{1,63}$/, 'a Debian package name')
    .optional(),
});
export type InstallCheck = z.infer<typeof InstallCheckSchema>;

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
  env: z
    .record(EnvNameSchema, z.string().max(4096))
    .refine((env) => Object.keys(env).length <= 64, 'at most 64 variables')
    .default({}),
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
  /** Shown on the catalog's title card. */
  cover: CoverRefSchema.optional(),
  /** Checked by a node before it offers the title (studio titles; see edge-node/src/titles/). */
  installCheck: InstallCheckSchema.optional(),
  /** The least a node must render on to offer the title (`gpuClassMeets`); absent: any node. */
  minGpuClass: GpuClassSchema.optional(),
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
  cover: true,
}).extend({
  /** True when the title can be played with a gamepad (it has a gamepadMap). */
  gamepad: z.boolean().optional(),
  /** The studio that registered the title; absent for titles an operator installed as manifests. */
  studio: z.strictObject({ id: z.uuid(), name: z.string().min(1).max(80) }).optional(),
});

export type TitleSummary = z.infer<typeof TitleSummarySchema>;

export function summarizeTitle(manifest: TitleManifest): TitleSummary {
  const { id, name, description, resolution, fps, mouse, gamepadMap, minGpuTier, cover } = manifest;
  return {
    id,
    name,
    ...(description === undefined ? {} : { description }),
    resolution,
    fps,
    ...(mouse === undefined ? {} : { mouse }),
    ...(gamepadMap === undefined ? {} : { gamepad: true }),
    ...(minGpuTier === undefined ? {} : { minGpuTier }),
    ...(cover === undefined ? {} : { cover }),
  };
}
