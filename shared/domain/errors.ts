/** One error class per failure mode; the HTTP edge maps `kind` to a status in one place (shared/http/errors.ts). */
export type ErrorKind =
  | 'validation'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'rate_limited';

export interface FieldIssue {
  /** Dotted path of the field at fault, e.g. `body.email` or `query.limit`. */
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** Stable, machine-readable code, e.g. `invitation_expired`. */
    readonly code: string,
    message: string,
    readonly fields?: FieldIssue[],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const validationFailed = (fields: FieldIssue[], message = 'The request is not valid') =>
  new DomainError('validation', 'validation_failed', message, fields);
export const unauthenticated = (message = 'Sign in first') => new DomainError('unauthenticated', 'unauthenticated', message);
export const forbidden = (code: string, message: string) => new DomainError('forbidden', code, message);
export const notFound = (what: string) => new DomainError('not_found', 'not_found', `${what} not found`);
export const conflict = (code: string, message: string) => new DomainError('conflict', code, message);
export const gone = (code: string, message: string) => new DomainError('gone', code, message);
