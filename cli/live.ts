import WebSocket from 'ws';
import type { LoggedEvent, SessionStatus, ViewerMessage } from '../shared/contracts/session-events';
import { ApiError } from './api';

/**
 * A session's event stream over the realtime WebSocket, for the CLI: it subscribes as a viewer, hands over events
 * in sequence order exactly once, and survives a dropped connection by reconnecting (with backoff) and subscribing
 * again from the last sequence number it handed over.
 */

/**
 * The ordering rules a viewer follows, as a pure state machine. Events are buffered by seq and released in order;
 * anything at or below the last released seq is a duplicate. A subscription's replay is authoritative for the range
 * it covers (it may skip the seqs of compacted token frames); live events must follow on from the last one without a
 * hole, and a hole means something was missed: subscribe again from the last seq.
 */
const MAX_FRUITLESS_RESUBSCRIBES = 3;

export class Feed {
  private readonly pending = new Map<number, LoggedEvent>();
  private replaying = false;
  /** What the last `subscribed` said had been logged; live events up to it are still on their way. */
  private promised = 0;
  private stuck = 0;

  constructor(
    /** The last seq released (or the one to start after). */
    public lastSeq = 0,
  ) {}

  /** A subscribe is being sent: the replay that follows fills the range up to the server's last seq. */
  subscribe(): number {
    this.replaying = true;
    return this.lastSeq;
  }

  /** Live events arrived after `subscribed` promised more than has been released. */
  get behind(): boolean {
    return !this.replaying && this.lastSeq < this.promised;
  }

  receive(events: LoggedEvent[], replay: boolean): { release: LoggedEvent[]; resubscribe: boolean } {
    for (const e of events) if (e.seq > this.lastSeq && !this.pending.has(e.seq)) this.pending.set(e.seq, e);
    if (replay && events.length) {
      // Everything up to the end of a replay batch is in it, except compacted seqs, which are gone for good.
      const upTo = Math.max(...events.map((e) => e.seq));
      const release = this.releaseUpTo(upTo);
      return { release: [...release, ...this.releaseContiguous()], resubscribe: false };
    }
    const release = this.releaseContiguous();
    return { release, resubscribe: !this.replaying && this.pending.size > 0 };
  }

  /** The subscription's replay is complete up to `lastSeq`. */
  subscribed(lastSeq: number): { release: LoggedEvent[]; resubscribe: boolean } {
    this.replaying = false;
    this.promised = Math.max(this.promised, lastSeq);
    const before = this.lastSeq;
    let release = this.releaseContiguous();
    if (this.pending.size === 0) {
      this.stuck = 0;
      return { release, resubscribe: false };
    }
    // A hole the replay did not fill (live events ahead of it) will not fill itself: subscribe again. Should the log
    // really lack those seqs, a few fruitless rounds settle it: what is there is released, the hole is skipped.
    this.stuck = this.lastSeq === before ? this.stuck + 1 : 0;
    if (this.stuck < MAX_FRUITLESS_RESUBSCRIBES) return { release, resubscribe: true };
    this.stuck = 0;
    release = [...release, ...this.releaseUpTo(lastSeq), ...this.releaseContiguous()];
    return { release, resubscribe: false };
  }

  private releaseUpTo(seq: number): LoggedEvent[] {
    const out = [...this.pending.values()].filter((e) => e.seq <= seq).sort((a, b) => a.seq - b.seq);
    for (const e of out) this.pending.delete(e.seq);
    if (out.length) this.lastSeq = Math.max(this.lastSeq, out[out.length - 1].seq);
    return out;
  }

  private releaseContiguous(): LoggedEvent[] {
    const out: LoggedEvent[] = [];
    for (let next = this.pending.get(this.lastSeq + 1); next; next = this.pending.get(this.lastSeq + 1)) {
      this.pending.delete(next.seq);
      this.lastSeq = next.seq;
      out.push(next);
    }
    return out;
  }
}

export interface SubscriptionHandlers {
  /** New events, in sequence order, each once. */
  events(events: LoggedEvent[]): void;
  /** The subscription is live: everything up to `lastSeq` has been handed over or is on its way. */
  subscribed(info: { lastSeq: number; status: SessionStatus; reconnected: boolean }): void;
  /** The server refused something this client sent (an unknown session, a prompt to an ended session, …). */
  refused(error: { code: string; message: string }): void;
  /** The connection cannot be (re)established: a refused API key, or the server stayed away too long. */
  failed(error: Error): void;
  /** The connection dropped; the next attempt is in `delayMs`. */
  reconnecting?(attempt: number, delayMs: number): void;
}

export interface SubscriptionOptions {
  /** The server's base URL (http or https); the WebSocket is `/ws` on the same host. */
  baseUrl: string;
  apiKey?: string;
  sessionId: string;
  /** Only events after this seq (0: the whole log). */
  afterSeq: number;
  handlers: SubscriptionHandlers;
  /** Reconnect delays: doubling from `initialMs` up to `maxMs`; give up after `giveUpMs` without a subscription. */
  backoff?: { initialMs?: number; maxMs?: number; giveUpMs?: number };
  /** How long to wait for live events `subscribed` promised before subscribing again. */
  catchUpMs?: number;
  /** A ping this often; a connection that then stays silent for `timeoutMs` is considered dead. */
  heartbeat?: { intervalMs?: number; timeoutMs?: number };
}

export function wsUrl(baseUrl: string): string {
  const u = new URL(baseUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = `${u.pathname.replace(/\/$/, '')}/ws`;
  u.search = '';
  return u.toString();
}

export class Subscription {
  private ws: WebSocket | null = null;
  private readonly feed: Feed;
  private closed = false;
  private attempt = 0;
  private everSubscribed = false;
  private lastSubscribedAt = Date.now();
  private readonly timers = new Set<NodeJS.Timeout>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private silenceTimer: NodeJS.Timeout | null = null;
  private catchUpTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: SubscriptionOptions) {
    this.feed = new Feed(options.afterSeq);
  }

  /** The last seq handed over. */
  get lastSeq(): number {
    return this.feed.lastSeq;
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.connect();
  }

  /** Sends a message on the current connection; false when there is none (or it failed). */
  send(message: ViewerMessage): Promise<boolean> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.resolve(false);
    return new Promise((resolve) => ws.send(JSON.stringify(message), (err) => resolve(!err)));
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.stopHeartbeat();
    if (this.catchUpTimer) clearTimeout(this.catchUpTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.removeAllListeners('message');
      ws.removeAllListeners('close');
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000);
    }
  }

  private connect(): void {
    if (this.closed) return;
    const { apiKey } = this.options;
    const ws = new WebSocket(wsUrl(this.options.baseUrl), { headers: apiKey ? { 'x-api-key': apiKey } : {}, handshakeTimeout: 15_000 });
    this.ws = ws;
    // A reset connection emits 'error' then 'close'; 'close' decides what happens next.
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      if (status === 401 || status === 403) {
        this.fail(new ApiError(status, status === 401 ? 'unauthenticated' : 'forbidden', 'The server refused the connection: the API key is missing, not valid or revoked'));
      } else {
        ws.terminate();
      }
    });
    ws.on('open', () => {
      this.startHeartbeat(ws);
      this.subscribe();
    });
    ws.on('message', (data) => this.onMessage(ws, data.toString()));
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopHeartbeat();
      this.retry();
    });
  }

  private retry(): void {
    if (this.closed) return;
    const { initialMs = 250, maxMs = 8_000, giveUpMs = 120_000 } = this.options.backoff ?? {};
    if (Date.now() - this.lastSubscribedAt > giveUpMs) {
      this.fail(new ApiError(0, 'unreachable', `Lost the connection to ${this.options.baseUrl} and could not get it back`));
      return;
    }
    this.attempt++;
    const delay = Math.min(maxMs, initialMs * 2 ** (this.attempt - 1));
    this.options.handlers.reconnecting?.(this.attempt, delay);
    this.later(delay, () => this.connect());
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.close();
    this.options.handlers.failed(error);
  }

  private subscribe(): void {
    const afterSeq = this.feed.subscribe();
    void this.send({ type: 'subscribe', sessionId: this.options.sessionId, afterSeq });
  }

  private onMessage(ws: WebSocket, raw: string): void {
    if (this.ws !== ws || this.closed) return;
    this.heard();
    let m: { type?: unknown; sessionId?: unknown; [k: string]: unknown };
    try {
      m = JSON.parse(raw);
    } catch {
      return;
    }
    if (m.sessionId !== undefined && m.sessionId !== this.options.sessionId) return;
    switch (m.type) {
      case 'events':
      case 'event': {
        const events = m.type === 'events' ? (m.events as LoggedEvent[]) : [{ seq: m.seq as number, at: m.at as string, event: m.event } as LoggedEvent];
        if (!Array.isArray(events)) return;
        const step = this.feed.receive(events, m.replay === true);
        this.deliver(step.release);
        if (step.resubscribe) this.subscribe();
        else if (!this.feed.behind) this.clearCatchUp();
        return;
      }
      case 'subscribed': {
        const step = this.feed.subscribed(Number(m.lastSeq));
        this.deliver(step.release);
        if (step.resubscribe) {
          this.subscribe();
          return;
        }
        const reconnected = this.everSubscribed;
        this.everSubscribed = true;
        this.attempt = 0;
        this.lastSubscribedAt = Date.now();
        this.clearCatchUp();
        if (this.feed.behind) this.catchUpTimer = setTimeout(() => this.catchUp(), this.options.catchUpMs ?? 2_000);
        this.options.handlers.subscribed({ lastSeq: Number(m.lastSeq), status: m.status as SessionStatus, reconnected });
        return;
      }
      case 'error':
        // Errors name the session they concern; ones that name none answer something this connection sent.
        this.options.handlers.refused({ code: String(m.code ?? 'error'), message: String(m.message ?? 'The server refused the request') });
        return;
      default:
        return;
    }
  }

  private deliver(events: LoggedEvent[]): void {
    if (events.length && !this.closed) this.options.handlers.events(events);
  }

  private catchUp(): void {
    this.catchUpTimer = null;
    if (this.feed.behind && this.connected) this.subscribe();
  }

  private clearCatchUp(): void {
    if (this.catchUpTimer) clearTimeout(this.catchUpTimer);
    this.catchUpTimer = null;
  }

  private startHeartbeat(ws: WebSocket): void {
    const { intervalMs = 25_000 } = this.options.heartbeat ?? {};
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(JSON.stringify({ type: 'ping' }), () => {});
      if (!this.silenceTimer) this.silenceTimer = setTimeout(() => ws.terminate(), this.options.heartbeat?.timeoutMs ?? 15_000);
    }, intervalMs);
  }

  /** Anything from the server shows the connection is alive. */
  private heard(): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.heard();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
}
