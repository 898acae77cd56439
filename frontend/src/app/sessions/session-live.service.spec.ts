import { TestBed } from '@angular/core/testing';
import { FakeSocket, fakeSocketProvider } from '../../testing/fake-socket';
import { Realtime } from '../core/realtime.service';
import { CATCH_UP_MS, SessionLive } from './session-live.service';

const at = '2026-01-01T00:00:00.000Z';
const titled = (seq: number) => ({ seq, at, event: { type: 'title_update', title: `t${seq}` } });
const sentOf = (socket: FakeSocket) => socket.sent.map((s) => JSON.parse(s) as Record<string, unknown>).filter((m) => m['type'] !== 'ping');

describe('SessionLive', () => {
  let realtime: Realtime;
  let live: SessionLive;

  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
    TestBed.configureTestingModule({ providers: [fakeSocketProvider] });
    realtime = TestBed.inject(Realtime);
    live = TestBed.inject(SessionLive);
    realtime.connect();
    FakeSocket.last().open();
  });

  afterEach(() => {
    realtime.disconnect();
    vi.useRealTimers();
  });

  it('subscribes from the start, replays, and goes live', () => {
    const channel = live.open('ses_1');
    const socket = FakeSocket.last();
    expect(sentOf(socket)).toEqual([{ type: 'subscribe', sessionId: 'ses_1', afterSeq: 0 }]);
    expect(channel.sync()).toBe('replaying');

    socket.receive({ type: 'events', sessionId: 'ses_1', events: [titled(1), titled(2)] });
    // Held back until the replay is complete.
    expect(channel.view().lastSeq).toBe(0);
    socket.receive({ type: 'subscribed', sessionId: 'ses_1', lastSeq: 2, status: 'running' });
    expect(channel.view()).toMatchObject({ lastSeq: 2, title: 't2', status: 'running' });
    expect(channel.sync()).toBe('live');

    socket.receive({ type: 'event', sessionId: 'ses_1', ...titled(3) });
    expect(channel.view().title).toBe('t3');
    // Frames of other sessions are not ours.
    socket.receive({ type: 'events', sessionId: 'ses_2', events: [titled(4)] });
    expect(channel.view().lastSeq).toBe(3);
  });

  it('resubscribes with the last sequence number after a reconnect, and shows nothing twice', () => {
    const channel = live.open('ses_1');
    const first = FakeSocket.last();
    first.receive({ type: 'events', sessionId: 'ses_1', events: [titled(1), titled(2), titled(3)] });
    first.receive({ type: 'subscribed', sessionId: 'ses_1', lastSeq: 3, status: 'running' });

    first.drop();
    expect(channel.sync()).toBe('connecting');
    vi.advanceTimersByTime(1_000);
    const second = FakeSocket.last();
    expect(second).not.toBe(first);
    second.open();
    expect(sentOf(second)).toEqual([{ type: 'subscribe', sessionId: 'ses_1', afterSeq: 3 }]);

    // The replay overlaps what we had.
    second.receive({ type: 'events', sessionId: 'ses_1', events: [titled(3), titled(4)] });
    second.receive({ type: 'subscribed', sessionId: 'ses_1', lastSeq: 4, status: 'running' });
    expect(channel.view().lastSeq).toBe(4);
    expect(channel.view().title).toBe('t4');
    expect(channel.sync()).toBe('live');
  });

  it('resubscribes from the last event when a live event leaves a gap', () => {
    const channel = live.open('ses_1');
    const socket = FakeSocket.last();
    socket.receive({ type: 'subscribed', sessionId: 'ses_1', lastSeq: 0, status: 'running' });
    socket.receive({ type: 'event', sessionId: 'ses_1', ...titled(1) });
    socket.receive({ type: 'event', sessionId: 'ses_1', ...titled(4) });

    expect(sentOf(socket).at(-1)).toEqual({ type: 'subscribe', sessionId: 'ses_1', afterSeq: 1 });
    expect(channel.view().lastSeq).toBe(1);
    socket.receive({ type: 'events', sessionId: 'ses_1', events: [titled(2), titled(3), titled(4)] });
    socket.receive({ type: 'subscribed', sessionId: 'ses_1', lastSeq: 4, status: 'running' });
    expect(channel.view()).toMatchObject({ lastSeq: 4, title: 't4' });
  });

  it('asks again when events `subscribed` promised do not arrive', () => {
    const channel = live.open('ses_1');
    const socket = FakeSocket.last();
    socket.receive({ type: 'events', sessionId: 'ses_1', events: [titled(1)] });
    socket.receive({ type: 'subscribed', sessionId: 'ses_1', lastSeq: 2, status: 'running' });
    expect(sentOf(socket)).toHaveLength(1);
    vi.advanceTimersByTime(CATCH_UP_MS);
    expect(sentOf(socket).at(-1)).toEqual({ type: 'subscribe', sessionId: 'ses_1', afterSeq: 1 });
    expect(channel.sync()).toBe('replaying');
  });

  it('subscribes when the socket opens if it was not open yet', () => {
    realtime.disconnect();
    const channel = live.open('ses_9');
    expect(channel.sync()).toBe('connecting');
    realtime.connect();
    const socket = FakeSocket.last();
    expect(socket.sent).toEqual([]);
    socket.open();
    expect(sentOf(socket)).toEqual([{ type: 'subscribe', sessionId: 'ses_9', afterSeq: 0 }]);
  });

  it('shares one channel per session and unsubscribes when the last holder lets go', () => {
    const a = live.open('ses_1');
    const b = live.open('ses_1');
    expect(a).toBe(b);
    const socket = FakeSocket.last();
    live.release(a);
    expect(sentOf(socket).filter((m) => m['type'] === 'unsubscribe')).toEqual([]);
    live.release(b);
    expect(sentOf(socket).at(-1)).toEqual({ type: 'unsubscribe', sessionId: 'ses_1' });
  });

  it('clears a pending git request with its result, and with a socket error when the sandbox cannot answer', () => {
    const channel = live.open('ses_1');
    const socket = FakeSocket.last();
    socket.receive({ type: 'subscribed', sessionId: 'ses_1', lastSeq: 0, status: 'running' });

    channel.sendGit({ action: 'commit', message: 'wip', includeUntracked: true });
    const request = sentOf(socket).at(-1)!;
    expect(request).toMatchObject({ type: 'git', sessionId: 'ses_1', git: { action: 'commit', message: 'wip', includeUntracked: true } });
    expect(channel.gitPending()?.action).toBe('commit');
    socket.receive({
      type: 'event',
      sessionId: 'ses_1',
      seq: 1,
      at,
      event: { type: 'git_result', requestId: request['requestId'], action: 'commit', success: false, code: 'NOTHING_TO_COMMIT', message: 'nothing' },
    });
    expect(channel.gitPending()).toBeNull();

    channel.sendGit({ action: 'status' });
    const status = sentOf(socket).at(-1)!;
    const state = { workspacePath: '.', branch: 'main', detached: false, staged: [], unstaged: [], untracked: ['a.ts'], conflicted: [], commits: [], ahead: 0, behind: 0, busy: false };
    socket.receive({ type: 'git_status', sessionId: 'ses_1', requestId: status['requestId'], state });
    expect(channel.gitPending()).toBeNull();
    expect(channel.git()?.untracked).toEqual(['a.ts']);

    channel.sendGit({ action: 'push' });
    socket.receive({ type: 'error', code: 'sandbox_not_connected', message: 'The sandbox is not running; resume the session first' });
    expect(channel.gitPending()).toBeNull();
    expect(channel.gitError()).toContain('not running');
  });

  it('passes terminal output of the session to its channel', () => {
    const channel = live.open('ses_1');
    const seen: unknown[] = [];
    channel.terminal$.subscribe((u) => seen.push(u));
    FakeSocket.last().receive({ type: 'terminal_output', sessionId: 'ses_1', terminalId: 't1', data: '$ ' });
    FakeSocket.last().receive({ type: 'terminal_exit', sessionId: 'ses_1', terminalId: 't1', exitCode: 0 });
    expect(seen).toEqual([
      { type: 'terminal_output', sessionId: 'ses_1', terminalId: 't1', data: '$ ' },
      { type: 'terminal_exit', sessionId: 'ses_1', terminalId: 't1', exitCode: 0 },
    ]);
  });
});
