import { z } from 'zod';
import { TitleManifestSchema } from './title-manifest.js';

/* Studios register titles over the broker's REST API (docs/protocol.md, "Studio API"). */

export const StudioIdSchema = z.uuid();
export const StudioNameSchema = z.string().trim().min(1).max(80);

/** `eps_` + 32 random bytes, base64url: what a studio sends as `Authorization: Bearer <key>`. */
export const StudioApiKeySchema = z.string().regex(/^eps_[A-Za-z0-9_-]{43}$/, 'an EdgePlay studio API key (eps_…)');
/** Names a key in lists and when revoking it; not a secret. */
export const ApiKeyIdSchema = z.string().regex(/^[0-9a-f]{16}$/, '16 hex digits');

/**
 * A studio title's command: a program name, which a node looks up only in the folders its
 * operator allows (default /usr/games), or an absolute path, which must lie in one of them.
 */
const StudioCommandSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(
    /^([A-Za-z0-9][A-Za-z0-9._+-]*|(\/[A-Za-z0-9._+-]+)+)$/,
    'a program name (e.g. supertux2) or an absolute path, without spaces or shell syntax',
  )
  .refine((command) => !command.split('/').includes('..'), 'no ".." in the path');

/**
 * The environment a studio may give its title. A studio's title runs on other people's
 * machines, so it may tune the game (SDL, Mesa, OpenGL, OpenAL, locale) but not change
 * what code runs: no PATH, LD_*, HOME or DISPLAY, no variable that names a library to load
 * (SDL_DYNAMIC_API, LIBGL_DRIVERS_PATH), and no paths in values at all.
 */
export const STUDIO_ENV_PREFIXES = ['SDL_', 'MESA_', '__GL_', 'LIBGL_', 'ALSOFT_', 'LC_'] as const;
export const STUDIO_ENV_NAMES = ['LANG', 'LANGUAGE', 'TZ', 'vblank_mode'] as const;
export const STUDIO_ENV_REFUSED = ['SDL_DYNAMIC_API', 'LIBGL_DRIVERS_PATH', 'LIBGL_DRIVERS_DIR'] as const;

export function studioMayUseEnv(name: string): boolean {
  if ((STUDIO_ENV_REFUSED as readonly string[]).includes(name)) return false;
  return (
    (STUDIO_ENV_NAMES as readonly string[]).includes(name) ||
    STUDIO_ENV_PREFIXES.some((prefix) => name.startsWith(prefix) && name.length > prefix.length)
  );
}

const ENV_RULE = `allowed: ${STUDIO_ENV_PREFIXES.join('*, ')}*, ${STUDIO_ENV_NAMES.join(', ')}`;

const StudioEnvValueSchema = z
  .string()
  .max(1024)
  .regex(/^[^/\0]*$/, 'no "/" in values: a studio title may not point the game at files');

const NO_TITLE_DIR = (value: string): boolean => !value.includes('${TITLE_DIR}');

/**
 * A title as a studio registers it: the manifest every node understands, with the limits
 * that make it safe to run on an operator's machine (see the schemas above). `${TITLE_DIR}`
 * has no meaning here: a studio title is installed by the operator, not shipped in a folder.
 */
export const StudioTitleManifestSchema = TitleManifestSchema.extend({
  command: StudioCommandSchema,
  args: z
    .array(z.string().max(512).refine(NO_TITLE_DIR, '${TITLE_DIR} is only for manifests in a node folder'))
    .max(64)
    .default([]),
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), StudioEnvValueSchema)
    .superRefine((env, ctx) => {
      const names = Object.keys(env);
      if (names.length > 64) ctx.addIssue({ code: 'custom', message: 'at most 64 variables' });
      for (const name of names.filter((name) => !studioMayUseEnv(name))) {
        ctx.addIssue({ code: 'custom', path: [name], message: `a studio title may not set ${name} (${ENV_RULE})` });
      }
    })
    .default({}),
});
export type StudioTitleManifest = z.infer<typeof StudioTitleManifestSchema>;
/** The manifest as a studio sends it (defaults not yet filled). */
export type StudioTitleManifestInput = z.input<typeof StudioTitleManifestSchema>;

export const StudioCreateRequestSchema = z.strictObject({ name: StudioNameSchema });

export const StudioSchema = z.object({
  id: StudioIdSchema,
  name: StudioNameSchema,
  createdAt: z.int().nonnegative(),
});
export type Studio = z.infer<typeof StudioSchema>;

export const ApiKeyInfoSchema = z.object({
  keyId: ApiKeyIdSchema,
  createdAt: z.int().nonnegative(),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfoSchema>;

/** Play time per title, from the session start/end reports of the nodes (not yet ledger-verified). */
export const TitlePlaySchema = z.object({
  /** Sessions that started. */
  sessions: z.int().nonnegative(),
  /** Whole seconds of ended sessions. */
  playSeconds: z.int().nonnegative(),
  /** playSeconds / 60, to one decimal. */
  playMinutes: z.number().nonnegative(),
  /** Sessions running now. */
  running: z.int().nonnegative(),
});
export type TitlePlay = z.infer<typeof TitlePlaySchema>;

export const StudioTitleSchema = z.object({
  manifest: StudioTitleManifestSchema,
  studioId: StudioIdSchema,
  createdAt: z.int().nonnegative(),
  updatedAt: z.int().nonnegative(),
  play: TitlePlaySchema,
  /** Whether some online node offers the title now. */
  offered: z.boolean(),
});
export type StudioTitle = z.infer<typeof StudioTitleSchema>;

/**
 * Pushed by the broker on the /edge namespace (no payload) whenever a studio registers,
 * changes or removes a title: nodes fetch the studio titles again, after a short random
 * delay so that thousands of them do not ask at the same instant.
 */
export const STUDIO_TITLES_CHANGED = 'studio:titles-changed';
export interface BrokerToEdgeStudioEvents {
  [STUDIO_TITLES_CHANGED]: () => void;
}

/** What nodes fetch (`GET /api/studio-titles`) to decide which studio titles they can run. */
export const StudioCatalogEntrySchema = z.object({
  studio: z.object({ id: StudioIdSchema, name: StudioNameSchema }),
  manifest: z.unknown(),
});
export const StudioCatalogAnswerSchema = z.object({
  ok: z.literal(true),
  titles: z.array(StudioCatalogEntrySchema).max(10_000),
});

/** One problem with a request body, by field path (`resolution.width`, `env.LD_PRELOAD`). */
export const ApiIssueSchema = z.object({ path: z.string(), message: z.string() });
export type ApiIssue = z.infer<typeof ApiIssueSchema>;

/** Every REST error: a code from shared/src/errors.ts, a sentence, and for bad bodies the fields. */
export const ApiErrorSchema = z.object({
  ok: z.literal(false),
  code: z.string(),
  message: z.string(),
  issues: z.array(ApiIssueSchema).optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

/** Turns zod's issues into field paths a form can put next to its inputs. */
export function apiIssuesOf(error: z.ZodError): ApiIssue[] {
  return error.issues.slice(0, 50).map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}
