import { DOCUMENT, Injectable, InjectionToken, inject, signal } from '@angular/core';
import { Observable, Subject, filter } from 'rxjs';
import { parseServerMessage } from '../api/server-message';
import type { OrgEventMessage, ServerMessage } from '../api/types';

/** Builds the socket; tests hand in a fake. */
export const WEB_SOCKET_FACTORY = new InjectionToken<(url: string) => WebSocket>('WEB_SOCKET_FACTORY', {
  providedIn: 'root',
  factory: () => (url: string) => new WebSocket(url),
});

export type RealtimeState = 'idle' | 'connecting' | 'open' | 'closed';

const MIN_DELAY_MS = 1_000;
const MAX_DELAY_MS = 30_000;
/** API Gateway drops a WebSocket after 10 idle minutes; a ping now and then keeps it open. */
const HEARTBEAT_MS = 5 * 60_000;

/**
 * One cookie-authenticated socket to `/ws`. Reconnects with exponential backoff (with jitter) until
 * `disconnect()` is called; consumers subscribe to the messages they care about.
 */
@Injectable({ providedIn: 'root' })
export class Realtime {
  private readonly document = inject(DOCUMENT);
  private readonly createSocket = inject(WEB_SOCKET_FACTORY);
  private readonly messages = new Subject<ServerMessage>();
  private socket: WebSocket | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private attempt = 0;
  private wanted = false;

  readonly state = signal<RealtimeState>('idle');

  readonly messages$: Observable<ServerMessage> = this.messages.asObservable();

  orgEvents(organizationId?: string): Observable<OrgEventMessage> {
    return this.messages$.pipe(
      filter((m): m is OrgEventMessage => m.type === 'org.event'),
      filter((m) => !organizationId || m.organizationId === organizationId),
    );
  }

  /** Opens the socket, or re-opens it so the server sees the session's current organisation. */
  connect(): void {
    this.wanted = true;
    this.attempt = 0;
    this.close();
    this.open();
  }

  disconnect(): void {
    this.wanted = false;
    this.close();
    this.state.set('idle');
  }

  private url(): string {
    const location = this.document.location;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/ws`;
  }

  private open(): void {
    this.state.set('connecting');
    let socket: WebSocket;
    try {
      socket = this.createSocket(this.url());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.state.set('open');
      this.heartbeat = setInterval(() => socket.send(JSON.stringify({ type: 'ping' })), HEARTBEAT_MS);
    };
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== 'string') return;
      const message = parseServerMessage(event.data);
      if (message) this.messages.next(message);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.stopHeartbeat();
      this.socket = null;
      this.state.set('closed');
      if (this.wanted) this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    const base = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this.attempt);
    this.attempt += 1;
    const delay = base / 2 + Math.random() * (base / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.wanted) this.open();
    }, delay);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private close(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.stopHeartbeat();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      socket.close();
    }
  }
}
