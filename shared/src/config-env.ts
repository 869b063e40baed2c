import type { z } from 'zod';
import { ErrorCode, makeError } from './errors.js';

/**
 * Reads a service's settings from the environment: `names` maps each setting to its
 * variable; unset or empty variables take the schema's defaults. Fails fast with every
 * bad value named by its variable.
 */
export function loadConfigFromEnv<S extends z.ZodObject>(
  schema: S,
  names: Record<keyof z.infer<S> & string, string>,
  env: NodeJS.ProcessEnv,
  service: string,
): z.infer<S> {
  const raw = Object.fromEntries(
    Object.entries(names)
      .map(([key, name]) => [key, env[name]])
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues
    .map((issue) => {
      const key = issue.path[0];
      const name = typeof key === 'string' ? (names as Record<string, string>)[key] : undefined;
      return `${name ?? issue.path.join('.')}: ${issue.message}`;
    })
    .join('; ');
  throw makeError(ErrorCode.INVALID_MESSAGE, `${service} configuration is invalid: ${problems}`);
}
