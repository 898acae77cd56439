import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

/** The HTTP API (payload v2) event and result: what Lambda receives on AWS and what the embedded server builds. */
export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/** A reply that needs more than a JSON body: cookies (e.g. from better-auth) or headers. */
export class HttpReply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly cookies: string[] = [],
    readonly headers: Record<string, string> = {},
  ) {}
}

/** Headers with the cookie header rebuilt: HTTP API v2 moves cookies out of the headers into `event.cookies`. */
export function requestHeaders(event: HttpEvent): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers.set(k, v);
  if (event.cookies?.length) headers.set('cookie', event.cookies.join('; '));
  return headers;
}

export function json(status: number, body: unknown, extra: Partial<HttpResult> = {}): HttpResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...(extra.headers ?? {}) },
    body: JSON.stringify(body),
    ...(extra.cookies ? { cookies: extra.cookies } : {}),
  };
}
