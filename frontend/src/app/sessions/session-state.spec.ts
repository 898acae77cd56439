import type { LoggedEvent, SessionEvent } from '../api/session-events';
import { parseSessionEvent } from '../api/session-events';
import { applyEvents, initialSessionState, isAwaitingReply, isWorking, type AssistantItem, type SessionState } from './session-state';

/** Numbers events from `first` on, one second apart. */
function log(events: SessionEvent[], first = 1): LoggedEvent[] {
  return events.map((event, i) => ({ seq: first + i, at: new Date(Date.UTC(2026, 0, 1, 0, 0, first + i)).toISOString(), event }));
}

function run(events: LoggedEvent[], from: SessionState = initialSessionState()): SessionState {
  return applyEvents(from, events);
}

const assistant = (s: SessionState, messageId = 'm1-reply') => s.items.find((i): i is AssistantItem => i.kind === 'assistant' && i.messageId === messageId)!;
const texts = (s: SessionState, messageId?: string) =>
  assistant(s, messageId).blocks.flatMap((b) => (b.kind === 'text' ? [b.text] : [`[tool ${b.toolCallId}]`]));

/** One turn as the daemon streams it: text, a tool call with output and a diff, more text. */
const TURN: SessionEvent[] = [
  { type: 'user_message', messageId: 'm1', content: 'Fix the bug', senderId: 'u1', source: 'web' },
  { type: 'message', messageId: 'm1-reply', role: 'assistant' },
  { type: 'thought', messageId: 'm1-reply', text: 'Let me ' },
  { type: 'thought', messageId: 'm1-reply', text: 'look.' },
  { type: 'token', messageId: 'm1-reply', partId: 'm1-reply-t1', text: 'Looking at ' },
  { type: 'token', messageId: 'm1-reply', partId: 'm1-reply-t1', text: 'the file.' },
  { type: 'text_part_complete', messageId: 'm1-reply', partId: 'm1-reply-t1', text: 'Looking at the file.' },
  { type: 'tool_start', messageId: 'm1-reply', toolCallId: 'tc1', tool: 'bash', title: 'Run tests', kind: 'execute', args: { cmd: 'npm test' } },
  { type: 'tool_metadata', toolCallId: 'tc1', output: 'PASS a\n' },
  { type: 'tool_metadata', toolCallId: 'tc1', output: 'FAIL b\n', title: 'Run tests (1 failing)' },
  { type: 'tool_metadata', toolCallId: 'tc1', diffs: [{ path: 'src/b.ts', oldText: 'a\n', newText: 'b\n' }] },
  { type: 'tool_end', toolCallId: 'tc1', status: 'completed', result: 'exit 0', durationMs: 1200 },
  { type: 'token', messageId: 'm1-reply', partId: 'm1-reply-t2', text: 'Fixed.' },
  { type: 'text_part_complete', messageId: 'm1-reply', partId: 'm1-reply-t2', text: 'Fixed.' },
  { type: 'message_complete', messageId: 'm1-reply', stopReason: 'end_turn' },
];

describe('session state reducer', () => {
  it('builds the transcript of a turn: prompt, thoughts, text parts and a tool call in order', () => {
    const s = run(log(TURN));
    expect(s.items.map((i) => i.kind)).toEqual(['user', 'assistant']);
    expect(s.items[0]).toMatchObject({ kind: 'user', content: 'Fix the bug', messageId: 'm1' });
    expect(assistant(s).thoughts).toBe('Let me look.');
    expect(texts(s)).toEqual(['Looking at the file.', '[tool tc1]', 'Fixed.']);
    expect(assistant(s).state).toBe('complete');
    expect(s.tools['tc1']).toMatchObject({
      title: 'Run tests (1 failing)',
      kind: 'execute',
      status: 'completed',
      output: 'PASS a\nFAIL b\n',
      result: 'exit 0',
      durationMs: 1200,
      diffs: [{ path: 'src/b.ts', oldText: 'a\n', newText: 'b\n' }],
    });
    expect(s.lastSeq).toBe(TURN.length);
    expect(isWorking(s)).toBe(false);
  });

  it('streams: the reply is working until it completes, and text grows token by token', () => {
    const partial = run(log(TURN.slice(0, 5)));
    expect(isWorking(partial)).toBe(true);
    expect(texts(partial)).toEqual(['Looking at ']);
    expect(assistant(partial).blocks[0]).toMatchObject({ complete: false });
    const more = run(log(TURN.slice(5, 6), 6), partial);
    expect(texts(more)).toEqual(['Looking at the file.']);
  });

  it('drops duplicates: an event at or below the last sequence number changes nothing', () => {
    const events = log(TURN);
    const once = run(events);
    const twice = run([...events, ...events.slice(3, 9)], once);
    expect(twice).toBe(once);
    // A token replayed twice does not double the text.
    const withDupes = run([events[0], events[1], events[4], events[4], events[5], events[5]]);
    expect(texts(withDupes)).toEqual(['Looking at the file.']);
  });

  it('renders the same transcript from a compacted replay (text_part_complete without its tokens)', () => {
    const live = run(log(TURN));
    // The server deleted the token frames of the completed message; sequence numbers keep their holes.
    const compacted = log(TURN).filter((e) => e.event.type !== 'token');
    const replayed = run(compacted);
    expect(replayed.items).toEqual(live.items);
    expect(replayed.tools).toEqual(live.tools);
  });

  it('keeps a text part in place when thoughts interleave with its tokens (live and replayed agree)', () => {
    const events: SessionEvent[] = [
      { type: 'message', messageId: 'r', role: 'assistant' },
      { type: 'token', messageId: 'r', partId: 'p1', text: 'Hel' },
      { type: 'thought', messageId: 'r', text: 'hmm' },
      { type: 'token', messageId: 'r', partId: 'p1', text: 'lo' },
      { type: 'text_part_complete', messageId: 'r', partId: 'p1', text: 'Hello' },
      { type: 'message_complete', messageId: 'r' },
    ];
    const live = run(log(events));
    const replayed = run(log(events).filter((e) => e.event.type !== 'token'));
    expect(replayed.items).toEqual(live.items);
    expect(texts(live, 'r')).toEqual(['Hello']);
    expect(assistant(live, 'r').thoughts).toBe('hmm');
  });

  it('a text_part_complete replaces streamed text that was cut short', () => {
    const s = run(
      log([
        { type: 'token', messageId: 'r', partId: 'p1', text: 'Hel' },
        { type: 'text_part_complete', messageId: 'r', partId: 'p1', text: 'Hello there' },
        { type: 'token', messageId: 'r', partId: 'p1', text: 'late frame' },
      ]),
    );
    expect(texts(s, 'r')).toEqual(['Hello there']);
    expect(assistant(s, 'r').blocks[0]).toMatchObject({ complete: true });
  });

  it('follows a tool call through its lifecycle and ignores progress after it ended', () => {
    const start = log([
      { type: 'message', messageId: 'r', role: 'assistant' },
      { type: 'tool_start', messageId: 'r', toolCallId: 't', tool: 'edit', title: 'Edit a.ts', kind: 'edit' },
    ]);
    const running = run(start);
    expect(running.tools['t']).toMatchObject({ status: 'running', output: '', result: null, diffs: [] });
    const ended = run(
      log(
        [
          { type: 'tool_end', toolCallId: 't', status: 'failed', result: 'permission denied' },
          { type: 'tool_metadata', toolCallId: 't', output: 'too late' },
        ],
        3,
      ),
      running,
    );
    expect(ended.tools['t']).toMatchObject({ status: 'failed', result: 'permission denied', output: '' });
  });

  it('shows a tool_end for a tool it never saw start, and a tool without a message in a message of its own', () => {
    const s = run(
      log([
        { type: 'tool_end', toolCallId: 'orphan', status: 'completed', result: 'ok' },
        { type: 'tool_start', toolCallId: 'solo', tool: 'grep', title: 'Search', kind: 'search' },
      ]),
    );
    expect(s.tools['orphan']).toMatchObject({ status: 'completed', result: 'ok' });
    expect(s.tools['solo'].status).toBe('running');
    expect(isWorking(s)).toBe(false);
  });

  it('cancellation ends the reply: open text is final and running tools are interrupted', () => {
    const s = run(
      log([
        { type: 'user_message', messageId: 'm1', content: 'go', senderId: null, source: 'web' },
        { type: 'message', messageId: 'm1-reply', role: 'assistant' },
        { type: 'token', messageId: 'm1-reply', partId: 'p', text: 'Work' },
        { type: 'tool_start', messageId: 'm1-reply', toolCallId: 't', tool: 'bash', title: 'Build', kind: 'execute' },
        { type: 'message_cancelled' },
      ]),
    );
    expect(assistant(s)).toMatchObject({ state: 'cancelled' });
    expect(assistant(s).blocks[0]).toMatchObject({ text: 'Work', complete: true });
    expect(s.tools['t'].status).toBe('interrupted');
    expect(isWorking(s)).toBe(false);
  });

  it('a session that pauses mid-reply interrupts it, and notes status changes worth seeing', () => {
    const s = run(
      log([
        { type: 'status', status: 'starting' },
        { type: 'status', status: 'running' },
        { type: 'message', messageId: 'r', role: 'assistant' },
        { type: 'status', status: 'migrating', message: 'moving' },
        { type: 'status', status: 'running' },
        { type: 'status', status: 'paused' },
        { type: 'status', status: 'paused' },
        { type: 'status', status: 'running' },
      ]),
    );
    expect(s.status).toBe('running');
    const notes = s.items.filter((i) => i.kind === 'note').map((i) => (i.kind === 'note' ? i.text : ''));
    expect(notes).toEqual(['Extending session…', 'Session extended', 'Session paused', 'Session resumed']);
    expect(assistant(s, 'r').state).toBe('interrupted');
  });

  it('drops a status message that only repeats the status', () => {
    const s = run(log([{ type: 'status', status: 'paused', message: 'Paused' }]));
    expect(s.statusMessage).toBeNull();
    expect(s.items[0]).toMatchObject({ kind: 'note', text: 'Session paused', detail: null });
    const failed = run(log([{ type: 'status', status: 'failed', message: 'The sandbox did not start: out of disk' }]));
    expect(failed.statusMessage).toBe('The sandbox did not start: out of disk');
  });

  it('collects previews by port, git results with PR links, snapshots, errors and titles', () => {
    const s = run(
      log([
        { type: 'preview_url', port: 5173, url: 'https://p1.example/' },
        { type: 'preview_url', port: 3000, url: 'https://p0.example/' },
        { type: 'preview_url', port: 5173, url: 'https://p2.example/' },
        { type: 'git_result', requestId: 'g1', action: 'commit', success: false, code: 'NOTHING_TO_COMMIT', message: 'nothing to commit' },
        { type: 'git_result', requestId: 'g2', action: 'create_pr', success: true, code: 'SUCCESS', message: 'ok', prUrl: 'https://github.com/a/b/pull/7' },
        { type: 'snapshot_result', success: true, snapshotId: 's1', target: 'session' },
        { type: 'error', message: 'The agent crashed', code: 'agent_error' },
        { type: 'title_update', title: 'Fix login bug' },
      ]),
    );
    expect(s.previews).toEqual([
      { port: 3000, url: 'https://p0.example/' },
      { port: 5173, url: 'https://p2.example/' },
    ]);
    expect(s.gitResults['g1']).toMatchObject({ success: false, code: 'NOTHING_TO_COMMIT' });
    expect(s.prUrls).toEqual(['https://github.com/a/b/pull/7']);
    expect(s.lastSnapshot).toMatchObject({ success: true });
    expect(s.title).toBe('Fix login bug');
    const notes = s.items.flatMap((i) => (i.kind === 'note' ? [[i.topic, i.tone]] : []));
    expect(notes).toEqual([
      ['git', 'warn'],
      ['git', 'success'],
      ['snapshot', 'success'],
      ['error', 'error'],
    ]);
  });

  it('knows when a prompt waits for its reply', () => {
    const waiting = run(log([{ type: 'user_message', messageId: 'm', content: 'hi', senderId: null, source: 'web' }]));
    expect(isAwaitingReply(waiting)).toBe(true);
    const replied = run(log([{ type: 'message', messageId: 'm-reply', role: 'assistant' }], 2), waiting);
    expect(isAwaitingReply(replied)).toBe(false);
    const paused = run(log([{ type: 'status', status: 'paused' }], 2), waiting);
    expect(isAwaitingReply(paused)).toBe(false);
  });

  it('a new reply settles one left streaming by an agent that was restarted', () => {
    const s = run(
      log([
        { type: 'message', messageId: 'a', role: 'assistant' },
        { type: 'token', messageId: 'a', partId: 'a1', text: 'half' },
        { type: 'message', messageId: 'b', role: 'assistant' },
      ]),
    );
    expect(assistant(s, 'a').state).toBe('interrupted');
    expect(s.activeMessageId).toBe('b');
  });

  it('events of unknown types keep their place in the sequence and show nothing', () => {
    const unknown = parseSessionEvent({ type: 'hologram', payload: 1 });
    expect(unknown).toEqual({ type: 'unknown', originalType: 'hologram' });
    const malformed = parseSessionEvent({ type: 'token', messageId: 'x' });
    expect(malformed.type).toBe('unknown');
    const s = run(log([unknown, malformed]));
    expect(s.lastSeq).toBe(2);
    expect(s.items).toEqual([]);
  });
});
