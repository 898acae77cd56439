import { DomainError, type ErrorKind } from '../domain/errors';
import { HttpReply, type HttpEvent, type HttpResult } from './types';

const KIND: Record<number, ErrorKind> = { 400: 'validation', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 429: 'rate_limited' };

/** A better-auth reply for one of our routes: its cookies pass through; its errors become ours. */
export async function authReply(res: Response): Promise<HttpReply> {
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
    const kind = KIND[res.status] ?? 'validation';
    const message = body.message ?? res.statusText;
    throw new DomainError(kind, (body.code ?? 'auth_error').toLowerCase(), message, kind === 'validation' ? [{ field: 'body', message }] : undefined);
  }
  return new HttpReply(200, { ok: true }, res.headers.getSetCookie());
}

/** An HTTP API event as the web-standard Request better-auth handles. */
export function toRequest(event: HttpEvent, publicUrl: string): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers.set(k, v);
  if (event.cookies?.length) headers.set('cookie', event.cookies.join('; '));
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  const method = event.requestContext.http.method.toUpperCase();
  const body =
    method === 'GET' || method === 'HEAD' || !event.body ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64') : event.body;
  return new Request(`${publicUrl}${event.rawPath}${query}`, { method, headers, body });
}

/** A web-standard Response as an HTTP API result; Set-Cookie headers go to `cookies`, as API Gateway expects. */
export async function fromResponse(res: Response): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  res.headers.forEach((value, key) => {
    if (key !== 'set-cookie') headers[key] = value;
  });
  const buf = Buffer.from(await res.arrayBuffer());
  const type = res.headers.get('content-type') ?? '';
  const text = type.startsWith('text/') || type.includes('json') || buf.length === 0;
  const cookies = res.headers.getSetCookie();
  return {
    statusCode: res.status,
    headers,
    body: text ? buf.toString('utf8') : buf.toString('base64'),
    isBase64Encoded: !text,
    ...(cookies.length ? { cookies } : {}),
  };
}
