import { resolvePreview, previewTokenFromHost } from '../../shared/domain/sessions/previews';
import type { HttpEvent, HttpResult } from '../../shared/http/types';
import type { Container } from '../../shared/runtime/container';
import { getContainer } from '../../shared/runtime/container';
import { createSandboxProvider } from '../../shared/sandbox/providers';

/**
 * The preview proxy on AWS: CloudFront serves every `p-<token>.<preview domain>` origin and hands the request to the
 * HTTP API as `/api/_preview/<path>`, with the viewer's host in `x-preview-host` (API Gateway only answers to its own
 * host name). The token in that host is the credential: the link must be valid (not revoked, not expired) and its
 * session running. The request goes on to the sandbox port through the provider's tunnel and the answer comes back
 * whole (Lambda responses are buffered; WebSocket upgrades — dev servers' hot reload — are not proxied here).
 */
export const PREFIX = '/api/_preview';
/** Lambda answers at most 6 MB; base64 takes a third more. */
const MAX_RESPONSE_BYTES = 4_500_000;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length', 'x-preview-host']);
/** Tunnel URLs per sandbox port, for warm invocations (providers answer them with an API call). */
const tunnels = new Map<string, { url: string; until: number }>();
const TUNNEL_TTL_MS = 60_000;

const text = (statusCode: number, body: string): HttpResult => ({ statusCode, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body });

/** No auth library here (the token is the credential): the bundle carries the provider SDKs instead. */
export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const c = await getContainer({ createSandboxProvider });
  const started = Date.now();
  const logger = c.logger.child({ area: 'preview', requestId: event.requestContext.requestId });
  let result: HttpResult;
  try {
    result = await proxy(c, event);
  } catch (err) {
    logger.error({ err }, 'preview proxy failed');
    result = text(500, 'The preview could not be served.');
  }
  // The path only: the token is in the host, never logged.
  const line = { method: event.requestContext.http.method, path: event.rawPath, status: result.statusCode ?? 200, ms: Date.now() - started };
  if ((result.statusCode ?? 200) >= 500) logger.warn(line, 'preview request');
  else logger.info(line, 'preview request');
  return result;
};

export async function proxy(c: Container, event: HttpEvent): Promise<HttpResult> {
  const token = previewTokenFromHost(event.headers?.['x-preview-host']);
  if (!token) return text(404, 'Not a preview address.');
  const target = await resolvePreview(c.db, c.clock, token);
  if (!target) return text(404, 'This preview link is not valid, was revoked, or its session is not running.');
  let base: string;
  try {
    base = await tunnelUrl(c, target.provider, target.providerSandboxId!, target.port);
  } catch {
    return text(502, `Port ${target.port} of the sandbox cannot be reached.`);
  }
  const path = event.rawPath.startsWith(PREFIX) ? event.rawPath.slice(PREFIX.length) || '/' : '/';
  const url = new URL(path + (event.rawQueryString ? `?${event.rawQueryString}` : ''), base);
  const headers = new Headers();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) headers.set(k, v);
  if (event.cookies?.length) headers.set('cookie', event.cookies.join('; '));
  const method = event.requestContext.http.method;
  const body = event.body && !['GET', 'HEAD'].includes(method) ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : undefined;
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(25_000) });
  } catch {
    return text(502, `Nothing is answering on port ${target.port} in the sandbox yet.`);
  }
  const tooLarge = () => text(502, `The answer from port ${target.port} is larger than a preview can carry (${MAX_RESPONSE_BYTES} bytes).`);
  // Refused before reading when the size is announced; otherwise read, then measured.
  if (Number(res.headers.get('content-length') ?? 0) > MAX_RESPONSE_BYTES) {
    await res.body?.cancel();
    return tooLarge();
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  if (bytes.length > MAX_RESPONSE_BYTES) return tooLarge();
  const out: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name) && name !== 'set-cookie' && name !== 'content-encoding') out[name] = value;
  });
  const cookies = res.headers.getSetCookie();
  return { statusCode: res.status, headers: out, ...(cookies.length ? { cookies } : {}), body: bytes.toString('base64'), isBase64Encoded: true };
}

async function tunnelUrl(c: Container, provider: string, sandboxId: string, port: number): Promise<string> {
  const key = `${provider}:${sandboxId}:${port}`;
  const cached = tunnels.get(key);
  if (cached && cached.until > Date.now()) return cached.url;
  const url = await c.sandboxes.provider(provider as Parameters<Container['sandboxes']['provider']>[0]).tunnelUrl(sandboxId, port);
  tunnels.set(key, { url, until: Date.now() + TUNNEL_TTL_MS });
  if (tunnels.size > 1000) tunnels.delete(tunnels.keys().next().value!);
  return url;
}
