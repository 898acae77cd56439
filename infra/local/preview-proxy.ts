import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { previewTokenFromHost } from '../../shared/domain/sessions/previews';

/** Resolves a preview token to the base URL of the sandbox port it opens (null: unknown, revoked or not running). */
export type PreviewResolver = (token: string) => Promise<string | null>;

/** The preview token in a request's host name, if it is addressed to a preview origin. */
export function previewToken(req: IncomingMessage): string | null {
  return previewTokenFromHost(req.headers.host);
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

/** Forwards an HTTP request to the sandbox port, streaming both ways. */
export async function proxyHttp(resolve: PreviewResolver, token: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = await resolve(token);
  if (!target) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('This preview link is not valid, was revoked, or its session is not running.');
    return;
  }
  const url = new URL(req.url ?? '/', target);
  const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: url.host };
  for (const h of HOP_BY_HOP) delete headers[h];
  await new Promise<void>((done) => {
    const upstream = httpRequest(url, { method: req.method, headers }, (up) => {
      const out = { ...up.headers };
      for (const h of HOP_BY_HOP) delete out[h];
      res.writeHead(up.statusCode ?? 502, out);
      up.pipe(res);
      up.on('end', done);
      up.on('error', done);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' }).end(`Nothing is listening on port ${url.port} in the sandbox yet.`);
      else res.destroy();
      done();
    });
    req.pipe(upstream);
  });
}

/** Forwards a WebSocket upgrade (dev servers' hot reload) to the sandbox port as raw bytes. */
export async function proxyUpgrade(resolve: PreviewResolver, token: string, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
  const target = await resolve(token);
  if (!target) {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const url = new URL(target);
  const upstream = connect(Number(url.port || 80), url.hostname, () => {
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i];
      lines.push(`${name}: ${name.toLowerCase() === 'host' ? url.host : req.rawHeaders[i + 1]}`);
    }
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  const close = () => {
    upstream.destroy();
    socket.destroy();
  };
  upstream.on('error', close);
  socket.on('error', close);
}
