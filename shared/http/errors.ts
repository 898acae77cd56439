import { ZodError } from 'zod';
import { DomainError, type ErrorKind, type FieldIssue } from '../domain/errors';
import type { Logger } from '../runtime/logger';
import { json, type HttpResult } from './types';

const STATUS: Record<ErrorKind, number> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  rate_limited: 429,
};

/** Turns zod issues into `{ field, message }` with the part of the request they come from, e.g. `body.email`. */
export function zodFields(error: ZodError, part: string): FieldIssue[] {
  return error.issues.map((i) => {
    const path = i.path.map(String);
    // An unknown key is reported by zod on the parent object; name the key itself.
    if (i.code === 'unrecognized_keys') return { field: [part, ...path, ...i.keys].join('.'), message: 'is not a known field' };
    return { field: [part, ...path].join('.'), message: i.message };
  });
}

/** The one place errors become HTTP replies. Unknown errors are logged and answered without internals. */
export function errorResult(err: unknown, requestId: string, logger: Logger): HttpResult {
  if (err instanceof DomainError) {
    return json(STATUS[err.kind], {
      error: { code: err.code, message: err.message, ...(err.fields ? { fields: err.fields } : {}), requestId },
    });
  }
  if (err instanceof ZodError) {
    return json(400, { error: { code: 'validation_failed', message: 'The request is not valid', fields: zodFields(err, 'body'), requestId } });
  }
  logger.error({ err, requestId }, 'unhandled error');
  return json(500, { error: { code: 'internal_error', message: 'Something went wrong; the error was logged', requestId } });
}
