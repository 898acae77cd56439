import WebSocket from 'ws';
import { DaemonCommand, type DaemonMessage } from '../../contracts/session-events';
import { backoffDelay } from './backoff';
import { errorMessage, type Logger } from './log';
import type { Outbox } from './outbox';

const LIVE_QUEUE_BYTES = 2 * 1024 * 1024;
const PING_MS = 20_000;
/** A connection that says nothing after `hello` is given up and made again. */
const WELCOME_TIMEOUT_MS = 30_000;

/**
 * The daemon's one outbound WebSocket to the server (`?sandboxToken=…`). It says `hello`, waits for `welcome`, then
 * streams the outbox's events and live messages; it reconnects with exponential backoff and jitter whenever the
 * connection drops (or stops answering pings) and resends every unacknowledged event after the next `welcome`.
 * Live messages (terminal output, git status, acknowledgements of prompts) are held in a bounded queue meanwhile.
 */
export class DaemonConnection {
  private ws: WebSocket | null = null;
  private welcomed = false;
  private attempt = 0;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;
  private flushScheduled = false;
  private live: { msg: DaemonMessage; bytes: number }[] = [];
  private liveBytes = 0;

  constructor(
    private readonly options: {
      url: string;
      token: string;
      outbox: Outbox;
      log: Logger;
      hello: () => DaemonMessage;
      onCommand: (cmd: DaemonCommand) => void;
      onWelcome?: (sessionId: string) => void;
    },
  ) {}

  get ready(): boolean {
    return this.welcomed;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = null;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(1000, 'daemon stopping');
    });
  }

  /** Waits (a bounded time) until the server has acknowledged every event, so a graceful stop loses none. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.welcomed && this.options.outbox.unacked > 0 && Date.now() < deadline) {
      this.flushEvents();
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Schedules sending what the outbox holds (events appended in the same tick go in one message). */
  flushSoon(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushEvents();
    });
  }

  /** Sends a live (not logged) message now, or queues it until the next welcome. Heartbeats are not queued. */
  send(msg: DaemonMessage): void {
    if (this.welcomed && this.ws?.readyState === WebSocket.OPEN) {
      this.flushEvents(); // anything logged before this message goes first
      this.ws.send(JSON.stringify(msg));
      return;
    }
    if (msg.type === 'heartbeat') return;
    const bytes = JSON.stringify(msg).length;
    this.live.push({ msg, bytes });
    this.liveBytes += bytes;
    while (this.liveBytes > LIVE_QUEUE_BYTES) {
      const idx = this.live.findIndex((l) => l.msg.type === 'terminal_output');
      const [dropped] = this.live.splice(idx >= 0 ? idx : 0, 1);
      this.liveBytes -= dropped.bytes;
    }
  }

  private connect(): void {
    if (this.stopped) return;
    const sep = this.options.url.includes('?') ? '&' : '?';
    const ws = new WebSocket(`${this.options.url}${sep}sandboxToken=${encodeURIComponent(this.options.token)}`, { handshakeTimeout: 15_000, perMessageDeflate: false });
    this.ws = ws;
    // Anything heard from the server (a pong or a message) since the last ping counts; two silent rounds end it.
    let missed = 0;
    let welcomeTimer: NodeJS.Timeout | undefined;
    ws.on('open', () => {
      this.options.log.info('connected; saying hello');
      ws.send(JSON.stringify(this.options.hello()));
      welcomeTimer = setTimeout(() => {
        if (this.ws === ws && !this.welcomed) {
          this.options.log.warn('no welcome from the server; reconnecting');
          ws.terminate();
        }
      }, WELCOME_TIMEOUT_MS);
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => {
        if (++missed > 2) {
          this.options.log.warn('the server went silent; reconnecting');
          ws.terminate();
          return;
        }
        ws.ping();
      }, PING_MS);
    });
    ws.on('pong', () => (missed = 0));
    ws.on('message', (data) => {
      missed = 0;
      let json: unknown;
      try {
        json = JSON.parse(String(data));
      } catch {
        this.options.log.warn('ignoring a message that is not JSON');
        return;
      }
      const parsed = DaemonCommand.safeParse(json);
      if (!parsed.success) {
        this.options.log.warn('ignoring an unknown message', { type: (json as { type?: unknown })?.type, issue: parsed.error.issues[0]?.message });
        return;
      }
      this.handle(parsed.data);
    });
    ws.on('unexpected-response', (_req, res) => {
      this.options.log.warn('the server refused the connection', { status: res.statusCode });
      ws.terminate();
    });
    ws.on('error', (err) => this.options.log.warn('connection error', { error: errorMessage(err) }));
    ws.on('close', (code) => {
      clearTimeout(welcomeTimer);
      if (this.ws !== ws) return;
      clearInterval(this.pingTimer);
      this.ws = null;
      this.welcomed = false;
      this.options.outbox.disconnected();
      if (this.stopped) return;
      const delay = backoffDelay(this.attempt++, { baseMs: 250, maxMs: 30_000 });
      this.options.log.info('disconnected; reconnecting', { code, delayMs: delay, unacked: this.options.outbox.unacked });
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    });
  }

  private handle(cmd: DaemonCommand): void {
    if (cmd.type === 'welcome') {
      this.welcomed = true;
      this.attempt = 0;
      this.options.outbox.welcome(cmd.lastAckedDseq);
      this.options.log.info('welcomed', { lastAckedDseq: cmd.lastAckedDseq, resending: this.options.outbox.unacked });
      this.flushEvents();
      const live = this.live;
      this.live = [];
      this.liveBytes = 0;
      for (const l of live) this.send(l.msg);
      this.options.onWelcome?.(cmd.sessionId);
      return;
    }
    if (cmd.type === 'ack') {
      this.options.outbox.ack(cmd.dseq);
      return;
    }
    this.options.onCommand(cmd);
  }

  private flushEvents(): void {
    const ws = this.ws;
    if (!this.welcomed || !ws || ws.readyState !== WebSocket.OPEN) return;
    for (let batch = this.options.outbox.nextBatch(); batch.length; batch = this.options.outbox.nextBatch()) {
      const msg: DaemonMessage = { type: 'events', events: batch };
      ws.send(JSON.stringify(msg));
    }
  }
}
