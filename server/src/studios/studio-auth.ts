import type { Request, RequestHandler } from 'express';
import { ErrorCode, makeError, StudioApiKeySchema } from '@edgeplay/shared';
import { bearerToken, hashApiKey, secretMatches } from './api-keys.js';
import type { StudioRecord, StudioStore } from './studio-store.js';

export interface AuthenticatedStudio {
  studio: StudioRecord;
  /** The key this request came with (its public id). */
  keyId: string;
}

const STUDIO = Symbol('studio');
type WithStudio = Request & { [STUDIO]?: AuthenticatedStudio };

/** The studio `requireStudio` found for this request. */
export function studioOf(req: Request): AuthenticatedStudio {
  const found = (req as WithStudio)[STUDIO];
  if (!found) throw makeError(ErrorCode.INTERNAL, 'route without requireStudio');
  return found;
}

/** The studio id for request logs, when the request was authenticated. */
export function studioIdOf(req: Request): string | undefined {
  return (req as WithStudio)[STUDIO]?.studio.studioId;
}

const refused = () => makeError(ErrorCode.UNAUTHORIZED, 'send a live studio API key as "Authorization: Bearer eps_…"');

/**
 * `Authorization: Bearer eps_…` → the studio, looked up by the key's SHA-256. Every
 * refusal reads the same, whether the key was malformed, unknown or revoked.
 */
export function requireStudio(store: StudioStore): RequestHandler {
  return async (req, _res, next) => {
    const token = bearerToken(req.get('authorization'));
    if (!token || !StudioApiKeySchema.safeParse(token).success) throw refused();
    const key = await store.findApiKey(hashApiKey(token));
    const studio = key && (await store.getStudio(key.studioId));
    if (!key || !studio) throw refused();
    (req as WithStudio)[STUDIO] = { studio, keyId: key.keyId };
    next();
  };
}

/** `Authorization: Bearer <ADMIN_TOKEN>`; with no ADMIN_TOKEN configured, admin routes are off. */
export function requireAdmin(adminToken: string | undefined): RequestHandler {
  return (req, _res, next) => {
    if (adminToken === undefined) {
      throw makeError(
        ErrorCode.UNAUTHORIZED,
        'studio accounts are created with ADMIN_TOKEN, which this broker does not set',
      );
    }
    const token = bearerToken(req.get('authorization'));
    if (token === undefined || !secretMatches(token, adminToken)) {
      throw makeError(ErrorCode.UNAUTHORIZED, 'send the admin token as "Authorization: Bearer <ADMIN_TOKEN>"');
    }
    next();
  };
}
