import type { z } from 'zod';
import { ErrorCode, makeError } from '../errors.js';

/** Parses `input` with `schema` or throws INVALID_MESSAGE naming what was wrong. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw makeError(ErrorCode.INVALID_MESSAGE, `invalid ${what}: ${issues}`);
}
