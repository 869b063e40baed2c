import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { apiIssuesOf, ErrorCode, isEdgePlayError, makeError, type ApiError, type ApiIssue } from '@edgeplay/shared';

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.INVALID_MESSAGE]: 400,
  [ErrorCode.UNAUTHORIZED]: 401,
  [ErrorCode.TITLE_NOT_FOUND]: 404,
  [ErrorCode.TITLE_ID_TAKEN]: 409,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.RATE_LIMITED]: 429,
};

/** Parses a request body, or throws INVALID_MESSAGE carrying every bad field as `issues`. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw invalidFields(what, apiIssuesOf(result.error));
}

/** INVALID_MESSAGE naming the fields: the message for people, `issues` for forms. */
export function invalidFields(what: string, issues: ApiIssue[]): Error {
  const summary = issues
    .slice(0, 5)
    .map((issue) => `${issue.path || '(body)'}: ${issue.message}`)
    .join('; ');
  return makeError(ErrorCode.INVALID_MESSAGE, `invalid ${what}: ${summary}`, { issues });
}

function issuesOf(details: unknown): ApiIssue[] | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const issues = (details as { issues?: unknown }).issues;
  return Array.isArray(issues) ? (issues as ApiIssue[]) : undefined;
}

export function sendError(res: Response, error: ApiError): void {
  const status = STATUS[error.code as ErrorCode] ?? 500;
  if (status === 401) res.setHeader('www-authenticate', 'Bearer');
  res.status(status).json(error);
}

/**
 * The last handler of the studio API: coded errors keep their code, body-parser's
 * refusals become INVALID_MESSAGE or PAYLOAD_TOO_LARGE, and anything else is INTERNAL,
 * logged here and never described to the caller.
 */
export function apiErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    if (isEdgePlayError(error)) {
      if (error.code === ErrorCode.INTERNAL)
        logger.error({ error: error.message, path: req.path }, 'studio api failed');
      const issues = issuesOf(error.details);
      sendError(res, {
        ok: false,
        code: error.code,
        message: error.code === ErrorCode.INTERNAL ? 'internal error' : error.message,
        ...(issues ? { issues } : {}),
      });
      return;
    }
    const type = (error as { type?: unknown } | null)?.type;
    if (type === 'entity.too.large') {
      sendError(res, { ok: false, code: ErrorCode.PAYLOAD_TOO_LARGE, message: 'the request body is too large' });
      return;
    }
    if (type === 'entity.parse.failed') {
      sendError(res, { ok: false, code: ErrorCode.INVALID_MESSAGE, message: 'the request body is not valid JSON' });
      return;
    }
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendError(res, { ok: false, code: ErrorCode.INVALID_MESSAGE, message: 'the request could not be read' });
      return;
    }
    logger.error({ error: String(error), path: req.path }, 'studio api failed');
    sendError(res, { ok: false, code: ErrorCode.INTERNAL, message: 'internal error' });
  };
}
