import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SandboxBootstrap, ToolCallReply } from '../../../shared/contracts/sandbox-api';
import { DaemonMessage, type DaemonCommand, type SessionEvent } from '../../../shared/contracts/session-events';

export interface ToolAttempt {
  tool: string;
  toolCallId: string;
  args: any;
  /** The fake cut the connection instead of answering. */
  dropped: boolean;
}

/**
 * A stand-in for the Proliferate server as the daemon sees it: `GET /api/sandbox/bootstrap`, `POST
 * /api/sandbox/tools/{tool}` (Bearer sandbox token) and the WebSocket (`?sandboxToken=`), speaking the contracts in
 * shared/contracts: `hello` → `welcome`, `events` logged once per dseq then acknowledged (cumulatively, a little
 * later, so a dropped connection leaves events to resend). Every message is checked against `DaemonMessage`.
 */
export class FakeProliferateServer {
  url = '';
  wsUrl = '';
  readonly received: DaemonMessage[] = [];
  readonly invalid: unknown[] = [];
  readonly logged = new Map<number, SessionEvent>();
  /** Events that arrived again with a dseq already logged. */
  readonly resent: { dseq: number; event: SessionEvent }[] = [];
  readonly toolAttempts: ToolAttempt[] = [];
  bootstrapCalls = 0;
  connections = 0;
  rejectedConnections = 0;
  /** Cut the connection of this many coming tool calls (a transport failure for the daemon). */
  dropToolCalls = 0;
  toolReply: (tool: string, args: any) => ToolCallReply | Promise<ToolCallReply> = (tool) => ({ success: true, result: `${tool}: done` });
  /** While set, nothing is acknowledged (events pile up unacknowledged on the daemon's side). */
  acksPaused = false;
  /**
   * What `welcome` reports: everything logged (a server that reads its log), or only the last `ack` sent (a server
   * whose view lags behind its log: the daemon then resends events the log already has).
   */
  welcomeWith: 'logged' | 'lastAck' = 'logged';
  lastAckSent = 0;
  private socket: WebSocket | null = null;
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private ackTimer?: NodeJS.Timeout;

  constructor(
    readonly token: string,
    public bootstrap: SandboxBootstrap,
    private readonly ackDelayMs = 30,
  ) {
    this.server = http.createServer((req, res) =>
      this.http(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `fake server: ${(err as Error).message}` }));
      }),
    );
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname !== '/ws' || url.searchParams.get('sandboxToken') !== this.token) {
        this.rejectedConnections++;
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${port}`;
    this.wsUrl = `ws://127.0.0.1:${port}/ws`;
    return this;
  }

  async close(): Promise<void> {
    clearTimeout(this.ackTimer);
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  send(cmd: DaemonCommand): void {
    if (!this.socket) throw new Error('fake server: no daemon connected');
    this.socket.send(JSON.stringify(cmd));
  }

  /** Cuts the daemon's connection without a close handshake. */
  dropConnection(): void {
    this.socket?.terminate();
    this.socket = null;
  }

  get connected(): boolean {
    return this.socket !== null;
  }

  /** The highest dseq below which every number is logged. */
  get contiguous(): number {
    let n = 0;
    while (this.logged.has(n + 1)) n++;
    return n;
  }

  /** Logged events in dseq order. */
  events(): { dseq: number; event: SessionEvent }[] {
    return [...this.logged.entries()].sort((a, b) => a[0] - b[0]).map(([dseq, event]) => ({ dseq, event }));
  }

  ofType<T extends SessionEvent['type']>(type: T): Extract<SessionEvent, { type: T }>[] {
    return this.events()
      .map((e) => e.event)
      .filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type);
  }

  messages<T extends DaemonMessage['type']>(type: T): Extract<DaemonMessage, { type: T }>[] {
    return this.received.filter((m): m is Extract<DaemonMessage, { type: T }> => m.type === type);
  }

  /** Polls `check` until it returns something truthy. */
  async waitFor<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`fake server: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private accept(ws: WebSocket): void {
    // A daemon killed mid-connection resets the socket: expected in these tests, never a crash of the test process.
    ws.on('error', () => {});
    this.connections++;
    this.socket?.terminate();
    this.socket = ws;
    ws.on('close', () => {
      if (this.socket === ws) this.socket = null;
    });
    ws.on('message', (data) => {
      const parsed = DaemonMessage.safeParse(JSON.parse(String(data)));
      if (!parsed.success) {
        this.invalid.push({ data: String(data).slice(0, 500), issues: parsed.error.issues });
        return;
      }
      const msg = parsed.data;
      this.received.push(msg);
      if (msg.type === 'hello') {
        const lastAckedDseq = this.welcomeWith === 'logged' ? this.contiguous : this.lastAckSent;
        ws.send(JSON.stringify({ type: 'welcome', sessionId: this.bootstrap.sessionId, lastAckedDseq } satisfies DaemonCommand));
      } else if (msg.type === 'events') {
        for (const e of msg.events) {
          if (this.logged.has(e.dseq)) this.resent.push(e);
          else this.logged.set(e.dseq, e.event);
        }
        this.ackSoon(ws);
      }
    });
  }

  /** Acknowledges what is logged, a little later (several batches share one ack). */
  ackSoon(ws: WebSocket | null = this.socket): void {
    this.ackTimer ??= setTimeout(() => {
      this.ackTimer = undefined;
      if (this.acksPaused || !ws || this.socket !== ws) return;
      this.lastAckSent = this.contiguous;
      ws.send(JSON.stringify({ type: 'ack', dseq: this.lastAckSent } satisfies DaemonCommand));
    }, this.ackDelayMs);
  }

  private async http(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.headers.authorization !== `Bearer ${this.token}`) return void res.writeHead(401).end('{"message":"unauthorized"}');
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === '/api/sandbox/bootstrap') {
      this.bootstrapCalls++;
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.bootstrap));
    }
    const m = /^\/api\/sandbox\/tools\/([^/]+)$/.exec(url);
    if (req.method === 'POST' && m) {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const tool = decodeURIComponent(m[1]);
      const dropped = this.dropToolCalls > 0;
      this.toolAttempts.push({ tool, toolCallId: body.toolCallId, args: body.args, dropped });
      if (dropped) {
        this.dropToolCalls--;
        req.socket.destroy();
        return;
      }
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await this.toolReply(tool, body.args)));
    }
    res.writeHead(404).end('{"message":"not found"}');
  }
}
