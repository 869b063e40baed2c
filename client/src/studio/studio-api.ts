import { ApiErrorSchema, type ApiIssue } from '@edgeplay/shared';

/** A refused API request: its code, its sentence and, for a bad body, the fields. */
export class ApiRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly issues: ApiIssue[] = [],
  ) {
    super(message);
  }
}

export interface ApiCall {
  json?: unknown;
  /** Raw bytes (a cover image), sent with `type`. */
  body?: Blob;
}

/**
 * The studio API seen from the page: one call, the key in the Authorization header, the
 * JSON answer back; a `{ ok: false }` answer (or none) becomes an ApiRequestError.
 */
export async function callApi(key: string, method: string, path: string, call: ApiCall = {}): Promise<unknown> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  let body: BodyInit | undefined;
  if (call.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(call.json);
  } else if (call.body !== undefined) {
    headers['content-type'] = call.body.type || 'application/octet-stream';
    body = call.body;
  }
  let response: Response;
  try {
    response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body }) });
  } catch {
    throw new ApiRequestError('TIMEOUT', 'the broker could not be reached');
  }
  const answer: unknown = await response.json().catch(() => undefined);
  if (response.ok && typeof answer === 'object' && answer !== null && (answer as { ok?: unknown }).ok === true) {
    return answer;
  }
  const error = ApiErrorSchema.safeParse(answer);
  if (error.success) throw new ApiRequestError(error.data.code, error.data.message, error.data.issues);
  throw new ApiRequestError('INTERNAL', `the broker answered HTTP ${response.status}`);
}
