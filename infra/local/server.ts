import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { HttpHandler, HttpResult } from '../../shared/http/types';
import { GoneConnectionError, type SocketsPort } from '../../shared/ports';
import type { WebSocketResult } from '../../shared/realtime/event';
import type { Logger } from '../../shared/runtime/logger';
import type { HttpRoute } from '../manifest';
import { compileRoute, lambdaContext, matchRoute, toHttpEvent, type CompiledRoute } from './http-event';
import { previewToken, proxyHttp, proxyUpgrade, type PreviewResolver } from './preview-proxy';

const MAX_BODY_BYTES = 6 * 1024 * 1024; // API Gateway's Lambda payload limit

export interface HttpFunction {
  name: string;
  routes: HttpRoute[];
  handler: HttpHandler;
  timeoutSeconds: number;
}

export type WsHandler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<WebSocketResult>;

export interface ServerOptions {
  host: string;
  port: number;
  functions: HttpFunction[];
  /** The function behind $connect/$disconnect/$default. */
  websocket?: { name: string; handler: WsHandler };
  /** The built dashboard (dist/frontend/browser); index.html is the SPA fallback. */
  staticDir?: string;
  /** Resolves preview tokens (requests to `p-<token>.<host>`) to sandbox ports. */
  preview?: PreviewResolver;
  logger: Logger;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** `postToConnection` for the embedded runtime: the sockets this process holds. */
export class LocalSockets implements SocketsPort {
  readonly sockets = new Map<string, WebSocket>();

  async postToConnection(connectionId: string, data: unknown): Promise<void> {
    const ws = this.sockets.get(connectionId);
    if (!ws || ws.readyState !== ws.OPEN) throw new GoneConnectionError(connectionId);
    const payload = typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data);
    await new Promise<void>((resolve, reject) => ws.send(payload, (err) => (err ? reject(err) : resolve())));
  }

  async deleteConnection(connectionId: string): Promise<void> {
    const ws = this.sockets.get(connectionId);
    if (!ws) throw new GoneConnectionError(connectionId);
    ws.close(1000, 'closed by server');
  }
}

/**
 * The embedded HTTP and WebSocket server: the manifest's HTTP routes and WebSocket route keys, mounted over the same
 * Lambda handlers API Gateway invokes, plus the dashboard's static files. One port serves everything.
 */
export class LocalServer {
  readonly sockets = new LocalSockets();
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 128 * 1024 });
  private readonly routes: CompiledRoute<HttpFunction>[];
  private inFlight = new Set<Promise<unknown>>();
  private closing = false;
  /** Until the runtime has installed its container, requests are answered 503 rather than served half-wired. */
  ready = false;

  constructor(private readonly options: ServerOptions) {
    if (options.staticDir) options.staticDir = path.resolve(options.staticDir);
    this.routes = options.functions.flatMap((fn) => fn.routes.map((r) => compileRoute(r, fn)));
    this.server = createServer((req, res) => this.track(this.onRequest(req, res)));
    this.server.headersTimeout = 20_000;
    this.server.requestTimeout = 60_000;
    this.server.on('upgrade', (req, socket, head) => {
      // Node hands an upgraded socket over without an 'error' listener; a peer that resets it while $connect is still
      // deciding would otherwise be an uncaught exception that ends the process.
      socket.on('error', () => socket.destroy());
      const token = options.preview ? previewToken(req) : null;
      if (token && this.ready && !this.closing) {
        this.track(proxyUpgrade(options.preview!, token, req, socket as import('node:net').Socket, head));
        return;
      }
      if (this.closing || !this.ready || !options.websocket || new URL(req.url ?? '/', 'http://x').pathname !== '/ws') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      this.track(this.onUpgrade(req, socket as import('node:net').Socket, head));
    });
  }

  async listen(): Promise<{ port: number; url: string }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    const host = this.options.host === '0.0.0.0' || this.options.host === '::' ? 'localhost' : this.options.host;
    return { port, url: `http://${host}:${port}` };
  }

  /** Stops taking requests and connections, then waits up to `graceMs` for those in flight. */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    for (const ws of this.sockets.sockets.values()) ws.close(1001, 'server shutting down');
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, graceMs).unref())]);
    this.server.closeAllConnections();
    await closed;
  }

  private track<T>(p: Promise<T>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    if (this.closing || !this.ready) {
      res.writeHead(503, { 'content-type': 'application/json', connection: 'close' }).end('{"error":{"code":"shutting_down","message":"Restarting"}}');
      return;
    }
    const token = this.options.preview ? previewToken(req) : null;
    if (token) return proxyHttp(this.options.preview!, token, req, res);
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) return this.onApi(req, res, url.pathname);
    return this.onStatic(req, res, url.pathname);
  }

  private async onApi(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const { route, pathParameters, allowed } = matchRoute(this.routes, method, pathname);
    if (!route) {
      const status = allowed.length ? 405 : 404;
      const code = allowed.length ? 'method_not_allowed' : 'route_not_found';
      res.writeHead(status, { 'content-type': 'application/json', ...(allowed.length ? { allow: allowed.join(', ') } : {}) });
      res.end(JSON.stringify({ error: { code, message: `No route for ${method} ${pathname}` } }));
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ error: { code: 'payload_too_large', message: `Request bodies are limited to ${MAX_BODY_BYTES} bytes`, fields: [{ field: 'body', message: 'is too large' }] } }));
      return;
    }
    const fn = route.target;
    const event = toHttpEvent(req, body, route, pathParameters ?? {});
    let result: HttpResult;
    try {
      result = await fn.handler(event, lambdaContext(fn.name, fn.timeoutSeconds, event.requestContext.requestId));
    } catch (err) {
      // API Gateway answers a crashed integration with a bare 500; so do we, and the log says why.
      this.options.logger.error({ err, function: fn.name, requestId: event.requestContext.requestId }, 'function failed');
      result = { statusCode: 500, body: JSON.stringify({ error: { code: 'internal_error', message: 'Internal Server Error', requestId: event.requestContext.requestId } }) };
    }
    writeResult(res, result);
  }

  private onStatic(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    const root = this.options.staticDir;
    if (!root || !existsSync(path.join(root, 'index.html'))) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Proliferate</title><p>The dashboard is not built yet: run <code>npm run build</code>. The API is at <a href="/api/health">/api/health</a>.</p>');
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    const file = path.join(root, path.normalize(decoded).replace(/^(\.\.[/\\])+/, ''));
    const inside = file.startsWith(path.resolve(root) + path.sep);
    const target = inside && existsSync(file) && statSync(file).isFile() ? file : path.join(root, 'index.html');
    const ext = path.extname(target);
    const immutable = target !== path.join(root, 'index.html') && /-[A-Z0-9]{8,}\./i.test(path.basename(target));
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'strict-origin-when-cross-origin',
      'x-frame-options': 'DENY',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(target).pipe(res);
  }

  private async onUpgrade(req: IncomingMessage, socket: import('node:net').Socket, head: Buffer): Promise<void> {
    const ws = this.options.websocket!;
    const connectionId = randomUUID().replace(/-/g, '').slice(0, 16) + '=';
    const url = new URL(req.url ?? '/', 'http://local');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
    const base = { connectionId, routeKey: '$connect', eventType: 'CONNECT', requestId: randomUUID(), stage: 'local', apiId: 'local', domainName: headers.host ?? 'localhost' };
    let result: WebSocketResult;
    try {
      result = await ws.handler(
        { requestContext: base, headers, queryStringParameters: Object.fromEntries(url.searchParams), isBase64Encoded: false },
        lambdaContext(ws.name, 30),
      );
    } catch (err) {
      this.options.logger.error({ err }, '$connect failed');
      result = { statusCode: 500 };
    }
    if (result.statusCode !== 200) {
      socket.end(`HTTP/1.1 ${result.statusCode} ${result.statusCode === 401 ? 'Unauthorized' : 'Forbidden'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (client) => {
      this.sockets.sockets.set(connectionId, client);
      // A peer that vanishes (a sandbox terminated mid-connection) resets the socket: log it, never crash the process.
      client.on('error', (err) => this.options.logger.debug({ err: err.message, connectionId }, 'websocket error'));
      const invoke = (routeKey: string, eventType: string, body?: string) =>
        ws.handler(
          { requestContext: { ...base, routeKey, eventType, requestId: randomUUID() }, body, isBase64Encoded: false },
          lambdaContext(ws.name, 30),
        );
      // Messages of one connection are handled in order, as API Gateway delivers them.
      let chain: Promise<unknown> = Promise.resolve();
      client.on('message', (data, isBinary) => {
        const body = isBinary ? Buffer.from(data as Buffer).toString('base64') : data.toString();
        chain = chain.then(() => invoke('$default', 'MESSAGE', body)).catch((err) => this.options.logger.error({ err }, '$default failed'));
        this.track(chain);
      });
      client.on('close', () => {
        this.sockets.sockets.delete(connectionId);
        this.track(chain.then(() => invoke('$disconnect', 'DISCONNECT')).catch((err) => this.options.logger.error({ err }, '$disconnect failed')));
      });
    });
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('too large'));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function writeResult(res: ServerResponse, result: HttpResult): void {
  const headers: Record<string, string | string[]> = { ...(result.headers as Record<string, string>) };
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type') && result.body) headers['content-type'] = 'application/json';
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(result.body ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8') : undefined);
}
