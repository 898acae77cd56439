import { DOCUMENT, Injectable, InjectionToken, inject, signal } from '@angular/core';
import { Observable, Subject, filter } from 'rxjs';
import { toServerMessage } from '../api/server-message';
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
  private readonly frames = new Subject<unknown>();
  private readonly opened = new Subject<void>();
  private readonly closed = new Subject<void>();
  private socket: WebSocket | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private attempt = 0;
  private wanted = false;

  readonly state = signal<RealtimeState>('idle');

  readonly messages$: Observable<ServerMessage> = this.messages.asObservable();

  /**
   * Every other frame (not one of `messages$`), parsed from JSON but not yet checked: areas with their own protocol
   * over this socket (sessions) check the frames they care about themselves.
   */
  readonly frames$: Observable<unknown> = this.frames.asObservable();

  /** Emits each time a socket opens, the first time and after every reconnect: the moment to (re)subscribe. */
  readonly opened$: Observable<void> = this.opened.asObservable();

  /** Emits when an open socket goes away (dropped, replaced or disconnected): what was sent on it may be lost. */
  readonly closed$: Observable<void> = this.closed.asObservable();

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

  /** Sends a message on the open socket; false (nothing sent) while there is none. */
  send(message: object): boolean {
    if (!this.socket || this.state() !== 'open') return false;
    this.socket.send(JSON.stringify(message));
    return true;
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
      this.opened.next();
    };
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== 'string') return;
      let value: unknown;
      try {
        value = JSON.parse(event.data);
      } catch {
        return;
      }
      const message = toServerMessage(value);
      if (message) this.messages.next(message);
      else this.frames.next(value);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.stopHeartbeat();
      this.socket = null;
      this.state.set('closed');
      this.closed.next();
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
      this.closed.next();
    }
  }
}
