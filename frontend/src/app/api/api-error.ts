import { HttpErrorResponse } from '@angular/common/http';

export interface FieldError {
  /** The field without its location prefix: `body.email` becomes `email`. */
  field: string;
  message: string;
}

/** Every failed API call surfaces as one of these, whatever shape the server replied with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The message of the first error reported for `field`, if any. */
  fieldMessage(field: string): string | undefined {
    return this.fields.find((f) => f.field === field)?.message;
  }
}

const GENERIC: Record<number, string> = {
  0: 'Cannot reach the server. Check your connection and try again.',
  401: 'You need to sign in again.',
  403: 'You are not allowed to do that.',
  404: 'Not found.',
  409: 'That conflicts with the current state. Reload and try again.',
  429: 'Too many requests. Wait a moment and try again.',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** `body.email` → `email`; `body.allowedDomains.2` → `allowedDomains`. */
export function fieldName(path: string): string {
  const parts = path.split('.').filter((p) => p.length > 0);
  if (parts.length > 1 && ['body', 'query', 'params'].includes(parts[0])) parts.shift();
  return parts.find((p) => !/^\d+$/.test(p)) ?? path;
}

function parseFields(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((f) => {
    if (!isRecord(f)) return [];
    const field = str(f['field']);
    const message = str(f['message']);
    return field && message ? [{ field: fieldName(field), message }] : [];
  });
}

/**
 * Reads our envelope `{error:{code,message,fields,requestId}}` and better-auth's `{code,message}`.
 * Anything else becomes a generic message for its status.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (!(err instanceof HttpErrorResponse)) {
    return new ApiError(0, 'CLIENT_ERROR', err instanceof Error ? err.message : 'Something went wrong.');
  }
  const status = err.status;
  const fallback = GENERIC[status] ?? `The server could not complete the request (${status || 'network error'}).`;
  const body: unknown = err.error;
  if (isRecord(body) && isRecord(body['error'])) {
    const e = body['error'];
    return new ApiError(
      status,
      str(e['code']) ?? 'ERROR',
      str(e['message']) ?? fallback,
      parseFields(e['fields']),
      str(e['requestId']),
    );
  }
  if (isRecord(body) && (str(body['code']) || str(body['message']))) {
    return new ApiError(status, str(body['code']) ?? 'ERROR', str(body['message']) ?? fallback);
  }
  return new ApiError(status, status === 0 ? 'NETWORK' : 'HTTP_' + status, fallback);
}

/** A message for any error a page may hold. */
export function errorMessage(err: unknown): string {
  return toApiError(err).message;
}
