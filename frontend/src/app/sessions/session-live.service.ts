import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { Observable, Subject, filter } from 'rxjs';
import { parseViewerUpdate, type GitAction, type GitState, type ViewerMessage, type ViewerUpdate } from '../api/session-events';
import { Realtime } from '../core/realtime.service';
import { beginReplay, initialFeed, receiveEvents, receiveSubscribed, type FeedState } from './session-feed';
import { applyEvents, initialSessionState, isAwaitingReply, isWorking, type SessionState } from './session-state';

/** How long to wait for live events the `subscribed` message promised before asking again. */
export const CATCH_UP_MS = 2_000;
/** A git request the sandbox never answers stops looking busy after this. */
export const GIT_TIMEOUT_MS = 90_000;

export type SyncState = 'connecting' | 'replaying' | 'live';
export type TerminalUpdate = Extract<ViewerUpdate, { type: 'terminal_output' | 'terminal_exit' }>;

export interface PendingGit {
  requestId: string;
  action: GitAction['action'];
}

let counter = 0;
/** Request and terminal ids: unique within this page, readable in logs. */
export function clientId(prefix: string): string {
  const random = globalThis.crypto?.randomUUID?.().slice(0, 8) ?? Math.random().toString(36).slice(2, 10);
  return `${prefix}_${Date.now().toString(36)}${(counter++).toString(36)}${random}`;
}

/**
 * One watched session: its transcript (the reducer's state), git status and terminal output, and the messages that
 * go to it. Created by `SessionLive.open`, shared by everything that shows the same session.
 */
export class SessionChannel {
  private feed: FeedState = initialFeed();
  private readonly state = signal<SessionState>(initialSessionState());
  private readonly syncState = signal<SyncState>('connecting');
  private readonly gitState = signal<GitState | null>(null);
  private readonly pendingGit = signal<PendingGit | null>(null);
  private readonly gitProblem = signal<string | null>(null);
  private readonly socketProblem = signal<string | null>(null);
  private readonly terminal = new Subject<TerminalUpdate>();
  private catchUpTimer: ReturnType<typeof setTimeout> | null = null;
  private gitTimer: ReturnType<typeof setTimeout> | null = null;
  /** The sequence number `subscribed` promised; live events up to it are still due. */
  private promisedSeq = 0;

  readonly view = this.state.asReadonly();
  readonly sync = this.syncState.asReadonly();
  readonly git = this.gitState.asReadonly();
  readonly gitPending = this.pendingGit.asReadonly();
  /** Why the last git request failed before the sandbox could answer (not connected, not allowed, no answer). */
  readonly gitError = this.gitProblem.asReadonly();
  /** The last error the server sent on the socket that may concern this session. */
  readonly socketError = this.socketProblem.asReadonly();
  readonly working = computed(() => isWorking(this.state()));
  readonly awaitingReply = computed(() => isAwaitingReply(this.state()));
  readonly terminal$: Observable<TerminalUpdate> = this.terminal.asObservable();

  constructor(
    readonly sessionId: string,
    private readonly transport: (message: ViewerMessage) => boolean,
  ) {}

  /** (Re)subscribes from the last event seen: first open, every reconnect, every gap. */
  subscribe(): void {
    this.clearCatchUp();
    if (!this.transport({ type: 'subscribe', sessionId: this.sessionId, afterSeq: this.feed.lastSeq })) {
      this.syncState.set('connecting');
      return;
    }
    this.feed = beginReplay(this.feed);
    this.syncState.set('replaying');
  }

  /** The socket dropped: nothing arrives until it is back (and `subscribe` runs again). */
  disconnected(): void {
    this.clearCatchUp();
    this.syncState.set('connecting');
    if (this.pendingGit()) this.failGit('The connection dropped before the sandbox answered.');
  }

  handle(update: ViewerUpdate): void {
    switch (update.type) {
      case 'events': {
        const step = receiveEvents(this.feed, update.events);
        this.feed = step.feed;
        this.apply(step.apply);
        if (step.resubscribe) this.subscribe();
        else if (this.promisedSeq <= this.feed.lastSeq) this.clearCatchUp();
        return;
      }
      case 'subscribed': {
        const step = receiveSubscribed(this.feed, update.lastSeq);
        this.feed = step.feed;
        this.apply(step.apply);
        // The current status, as of the end of the replay, even if the log holds no status event yet.
        if (!step.resubscribe && this.state().status !== update.status && this.feed.lastSeq >= update.lastSeq) {
          this.state.update((s) => ({ ...s, status: update.status }));
        }
        if (step.resubscribe) {
          this.subscribe();
          return;
        }
        this.syncState.set('live');
        this.promisedSeq = update.lastSeq;
        if (step.behind) this.catchUpTimer = setTimeout(() => this.catchUp(), CATCH_UP_MS);
        return;
      }
      case 'git_status':
        this.gitState.set(update.state);
        if (update.requestId && this.pendingGit()?.requestId === update.requestId) this.settleGit();
        return;
      case 'terminal_output':
      case 'terminal_exit':
        this.terminal.next(update);
        return;
    }
  }

  /** An `error` frame: it names no session, so every open channel hears it; a waiting git request takes it. */
  socketFailed(code: string, message: string): void {
    this.socketProblem.set(message);
    if (this.pendingGit() && code !== 'validation_failed') this.failGit(message);
  }

  clearSocketError(): void {
    this.socketProblem.set(null);
  }

  // ---- messages to the session -----------------------------------------------------------------------------------

  /** Asks the sandbox for git status or runs a git action; `gitPending` holds until the answer. */
  sendGit(git: GitAction): boolean {
    const requestId = clientId('git');
    this.gitProblem.set(null);
    if (!this.transport({ type: 'git', sessionId: this.sessionId, requestId, git })) {
      this.gitProblem.set('Not connected. Wait for the connection to come back and try again.');
      return false;
    }
    this.pendingGit.set({ requestId, action: git.action });
    if (this.gitTimer) clearTimeout(this.gitTimer);
    this.gitTimer = setTimeout(() => this.failGit('The sandbox did not answer. Try again.'), GIT_TIMEOUT_MS);
    return true;
  }

  terminalOpen(terminalId: string, cols: number, rows: number): boolean {
    return this.transport({ type: 'terminal_open', sessionId: this.sessionId, terminalId, cols, rows });
  }

  terminalInput(terminalId: string, data: string): boolean {
    return this.transport({ type: 'terminal_input', sessionId: this.sessionId, terminalId, data });
  }

  terminalResize(terminalId: string, cols: number, rows: number): boolean {
    return this.transport({ type: 'terminal_resize', sessionId: this.sessionId, terminalId, cols, rows });
  }

  terminalClose(terminalId: string): boolean {
    return this.transport({ type: 'terminal_close', sessionId: this.sessionId, terminalId });
  }

  dispose(): void {
    this.clearCatchUp();
    if (this.gitTimer) clearTimeout(this.gitTimer);
    this.terminal.complete();
  }

  private apply(events: Parameters<typeof applyEvents>[1]): void {
    if (events.length === 0) return;
    const next = applyEvents(this.state(), events);
    this.state.set(next);
    const pending = this.pendingGit();
    // Every git action answers with a logged git_result (status answers with git_status instead).
    if (pending && next.gitResults[pending.requestId]) this.settleGit();
  }

  private catchUp(): void {
    this.catchUpTimer = null;
    if (this.syncState() === 'live' && this.feed.lastSeq < this.promisedSeq) this.subscribe();
  }

  private clearCatchUp(): void {
    if (this.catchUpTimer) clearTimeout(this.catchUpTimer);
    this.catchUpTimer = null;
  }

  private settleGit(): void {
    if (this.gitTimer) clearTimeout(this.gitTimer);
    this.gitTimer = null;
    this.pendingGit.set(null);
  }

  private failGit(message: string): void {
    this.settleGit();
    this.gitProblem.set(message);
  }
}

/**
 * The live view of sessions over the app's socket (`Realtime`). `open` hands out a shared channel per session and
 * subscribes it; every reconnect resubscribes each open channel from its last sequence number, so a dropped
 * connection loses nothing and shows nothing twice. `release` unsubscribes when the last holder lets go.
 */
@Injectable({ providedIn: 'root' })
export class SessionLive {
  private readonly realtime = inject(Realtime);
  private readonly channels = new Map<string, { channel: SessionChannel; holders: number }>();

  constructor() {
    const destroyRef = inject(DestroyRef);
    this.realtime.frames$.pipe(takeUntilDestroyed(destroyRef)).subscribe((frame) => {
      const update = parseViewerUpdate(frame);
      if (update) this.channels.get(update.sessionId)?.channel.handle(update);
    });
    this.realtime.opened$.pipe(takeUntilDestroyed(destroyRef)).subscribe(() => {
      for (const { channel } of this.channels.values()) channel.subscribe();
    });
    this.realtime.messages$
      .pipe(
        filter((m) => m.type === 'error'),
        takeUntilDestroyed(destroyRef),
      )
      .subscribe((m) => {
        if (m.type !== 'error') return;
        for (const { channel } of this.channels.values()) channel.socketFailed(m.code, m.message);
      });
    // A dropped socket: channels stop claiming to be live until `opened$` resubscribes them.
    this.realtime.closed$.pipe(takeUntilDestroyed(destroyRef)).subscribe(() => {
      for (const { channel } of this.channels.values()) channel.disconnected();
    });
  }

  open(sessionId: string): SessionChannel {
    const existing = this.channels.get(sessionId);
    if (existing) {
      existing.holders++;
      return existing.channel;
    }
    const channel = new SessionChannel(sessionId, (message) => this.realtime.send(message));
    this.channels.set(sessionId, { channel, holders: 1 });
    channel.subscribe();
    return channel;
  }

  release(channel: SessionChannel): void {
    const entry = this.channels.get(channel.sessionId);
    if (!entry || entry.channel !== channel) return;
    entry.holders--;
    if (entry.holders > 0) return;
    this.channels.delete(channel.sessionId);
    this.realtime.send({ type: 'unsubscribe', sessionId: channel.sessionId });
    channel.dispose();
  }
}
