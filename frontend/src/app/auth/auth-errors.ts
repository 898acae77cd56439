import { ApiError } from '../api/api-error';

/**
 * better-auth answers a bad sign-up or sign-in with a code and no field list; this names the field a code is
 * about, so the message can sit under that field.
 */
export function authErrorField(error: ApiError): 'name' | 'email' | 'password' | null {
  if (error.fields.length > 0) return null;
  const code = error.code.toUpperCase();
  if (code.includes('PASSWORD')) return 'password';
  if (code.includes('EMAIL') || code.includes('USER_ALREADY_EXISTS')) return 'email';
  if (code.includes('NAME')) return 'name';
  return null;
}

/** Adds the field better-auth's code points at, so `applyServerErrors` can place it. */
export function withAuthField(error: ApiError): ApiError {
  const field = authErrorField(error);
  if (!field || error.status === 401 || error.status === 403) return error;
  return new ApiError(error.status, error.code, error.message, [{ field, message: error.message }], error.requestId);
}
