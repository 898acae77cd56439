import type { LoggedEvent, SessionEvent } from '../../shared/contracts/session-events';
import { diffStat, Transcript } from '../../cli/transcript';

/** Numbers events from 1, the way the log does. */
function logged(events: SessionEvent[], from = 1): LoggedEvent[] {
  return events.map((event, i) => ({ seq: from + i, at: '2025-01-01T00:00:00.000Z', event }));
}

const M = 'msg_1-reply';

/** A turn as the daemon streams it: text, a file written, a command run with streamed output, more text. */
const live: SessionEvent[] = [
  { type: 'user_message', messageId: 'msg_1', content: 'Write notes.txt, then show it.', senderId: 'u1', source: 'web' },
  { type: 'message', messageId: M, role: 'assistant' },
  { type: 'token', messageId: M, partId: `${M}-t1`, text: "I'll write " },
  { type: 'token', messageId: M, partId: `${M}-t1`, text: 'the file.' },
  { type: 'text_part_complete', messageId: M, partId: `${M}-t1`, text: "I'll write the file." },
  { type: 'tool_start', messageId: M, toolCallId: 'c1', tool: 'write_file', title: 'Write notes.txt', kind: 'edit', args: { path: 'notes.txt' } },
  { type: 'tool_end', toolCallId: 'c1', status: 'completed', result: 'Wrote notes.txt', diffs: [{ path: 'notes.txt', oldText: null, newText: 'one\ntwo\n' }] },
  { type: 'tool_start', messageId: M, toolCallId: 'c2', tool: 'run_command', title: 'Run cat notes.txt', kind: 'execute' },
  { type: 'tool_metadata', toolCallId: 'c2', output: 'one\ntw' },
  { type: 'tool_metadata', toolCallId: 'c2', output: 'o\n' },
  { type: 'tool_end', toolCallId: 'c2', status: 'completed', result: 'one\ntwo\n' },
  { type: 'token', messageId: M, partId: `${M}-t2`, text: 'It says ' },
  { type: 'token', messageId: M, partId: `${M}-t2`, text: 'one, two.' },
  { type: 'text_part_complete', messageId: M, partId: `${M}-t2`, text: 'It says one, two.' },
  { type: 'message_complete', messageId: M, stopReason: 'end_turn' },
];

const REPLY = ["I'll write the file.", '✓ Write notes.txt', '    +2 -0 notes.txt', '▶ Run cat notes.txt', '    one', '    two', '✓ Run cat notes.txt', 'It says one, two.', ''].join('\n');

function render(events: LoggedEvent[][], options: ConstructorParameters<typeof Transcript>[0] = {}) {
  const t = new Transcript(options);
  let out = '';
  let err = '';
  for (const batch of events) {
    const r = t.push(batch);
    out += r.out;
    err += r.err;
  }
  const end = t.finish();
  return { out: out + end.out, err: err + end.err, transcript: t };
}

describe('the transcript renderer', () => {
  it('renders a live turn: text as it streams, tools as one line with their status, command output indented, diffs summarised', () => {
    expect(render([logged(live)]).out).toBe(REPLY);
  });

  it('prints tokens raw, as they come, without waiting for the end of a line', () => {
    const t = new Transcript();
    const events = logged(live);
    t.push(events.slice(0, 2));
    expect(t.push([events[2]]).out).toBe("I'll write ");
    expect(t.atLineStart).toBe(false);
    expect(t.activity()).toEqual({ tool: undefined, writing: true });
    expect(t.push([events[3]]).out).toBe('the file.');
    expect(t.push([events[4]]).out).toBe('\n');
    expect(t.atLineStart).toBe(true);
    t.push([events[5]]);
    expect(t.activity()).toEqual({ tool: 'Write notes.txt', writing: false });
  });

  it('renders a compacted replay (token frames gone, text_part_complete carries the text) exactly like the live stream', () => {
    const compacted = logged(live).filter((e) => e.event.type !== 'token');
    expect(render([compacted]).out).toBe(REPLY);
  });

  it('completes a part whose tokens were only partly seen (a reconnect after compaction) without repeating any text', () => {
    const events = logged(live);
    // Seen live: the first token only; then the replay from there, compacted.
    const first = events.slice(0, 3);
    const rest = events.slice(3).filter((e) => e.event.type !== 'token');
    expect(render([first, rest]).out).toBe(REPLY);
  });

  it('skips duplicates (same seq again, overlapping batches) and puts a batch in sequence order', () => {
    const events = logged(live);
    const overlapping = [events.slice(0, 9), events.slice(5, 12), events.slice(0, 3), [...events.slice(10)].reverse()];
    expect(render(overlapping).out).toBe(REPLY);
  });

  it('leaves out events older than the last one rendered: ordering is the subscription’s job, the renderer never goes back', () => {
    const events = logged(live);
    const t = new Transcript();
    t.push(events.slice(4, 6));
    expect(t.push(events.slice(0, 4)).out).toBe('');
    expect(t.lastSeq).toBe(6);
  });

  it('repeats a command’s header when its output resumes after something else, normalises carriage returns, and shows failures', () => {
    const events = logged([
      { type: 'tool_start', toolCallId: 'a', tool: 'run_command', title: 'Run npm test', kind: 'execute' },
      { type: 'tool_start', toolCallId: 'b', tool: 'run_command', title: 'Run npm run lint', kind: 'execute' },
      { type: 'tool_metadata', toolCallId: 'a', output: 'PASS one\r\n' },
      { type: 'tool_metadata', toolCallId: 'b', output: 'lint: ok' },
      { type: 'tool_metadata', toolCallId: 'a', output: 'FAIL two\n' },
      { type: 'tool_end', toolCallId: 'b', status: 'completed', result: 'lint: ok' },
      { type: 'tool_end', toolCallId: 'a', status: 'failed', result: 'PASS one\nFAIL two\n' },
      { type: 'tool_start', toolCallId: 'c', tool: 'read_file', title: 'Read missing.txt', kind: 'read' },
      { type: 'tool_end', toolCallId: 'c', status: 'failed', result: 'ENOENT: no such file\nsecond line' },
      { type: 'tool_start', toolCallId: 'd', tool: 'run_command', title: 'Run ls', kind: 'execute' },
      { type: 'tool_end', toolCallId: 'd', status: 'completed', result: 'a.txt\nb.txt' },
      { type: 'tool_start', toolCallId: 'e', tool: 'read_file', title: 'Read a.txt', kind: 'read' },
      { type: 'tool_end', toolCallId: 'e', status: 'completed', result: 'the contents of a.txt' },
    ]);
    expect(render([events]).out).toBe(
      [
        '▶ Run npm test',
        '    PASS one',
        '▶ Run npm run lint',
        '    lint: ok',
        '▶ Run npm test',
        '    FAIL two',
        '✓ Run npm run lint',
        '✗ Run npm test',
        '✗ Read missing.txt',
        '    ENOENT: no such file',
        '    second line',
        '✓ Run ls',
        '    a.txt',
        '    b.txt',
        '✓ Read a.txt',
        '',
      ].join('\n'),
    );
  });

  it('summarises diffs from tool metadata and tool end, one line per file, the latest version of each', () => {
    const events = logged([
      { type: 'tool_start', toolCallId: 'e', tool: 'edit_file', title: 'Edit src/a.ts', kind: 'edit' },
      { type: 'tool_metadata', toolCallId: 'e', diffs: [{ path: 'src/a.ts', oldText: 'a\nb\nc\n', newText: 'a\nB\nc\n' }] },
      { type: 'tool_metadata', toolCallId: 'e', title: 'Edit src/a.ts and src/b.ts' },
      {
        type: 'tool_end',
        toolCallId: 'e',
        status: 'completed',
        diffs: [
          { path: 'src/a.ts', oldText: 'a\nb\nc\n', newText: 'a\nB\nc\nd\n' },
          { path: 'src/b.ts', oldText: 'x\n', newText: '', unified: '--- a/src/b.ts\n+++ b/src/b.ts\n@@ -1 +0,0 @@\n-x\n' },
        ],
      },
    ]);
    expect(render([events]).out).toBe(['✓ Edit src/a.ts and src/b.ts', '    +2 -1 src/a.ts', '    +0 -1 src/b.ts', ''].join('\n'));
  });

  it('shows prompts and notices inline for a log, and sends notices to stderr (statuses left to the caller) for a chat', () => {
    const events = logged([
      { type: 'status', status: 'starting', message: 'Creating the sandbox' },
      { type: 'status', status: 'running' },
      ...live,
      { type: 'error', message: 'The agent had stopped.', code: 'agent_restarted' },
      { type: 'git_result', requestId: 'g', action: 'push', success: false, code: 'NO_REMOTE', message: 'No remote' },
      { type: 'title_update', title: 'Notes' },
      { type: 'status', status: 'paused', pauseReason: 'manual' },
    ]);
    const log = render([events], { prompts: true, notices: 'inline' });
    expect(log.err).toBe('');
    expect(log.out).toBe(
      [
        '· Creating the sandbox',
        '· Sandbox running',
        '',
        '> Write notes.txt, then show it.',
        '',
        REPLY + '· Error: The agent had stopped.',
        '· git push: NO_REMOTE No remote',
        '· Title: Notes',
        '· Paused (manual)',
        '',
      ].join('\n'),
    );
    const chat = render([events], { notices: 'stderr' });
    expect(chat.out).toBe(REPLY);
    expect(chat.err).toBe(['Error: The agent had stopped.', 'git push: NO_REMOTE No remote', 'Title: Notes', ''].join('\n'));
  });

  it('closes a half-written line and lists tools still running when the transcript ends mid-turn', () => {
    const events = logged(live).slice(0, 9);
    expect(render([events]).out).toBe(["I'll write the file.", '✓ Write notes.txt', '    +2 -0 notes.txt', '▶ Run cat notes.txt', '    one', '    tw', '… Run cat notes.txt (still running)', ''].join('\n'));
  });

  it('colours only when asked', () => {
    const { out } = render([logged(live)], { color: true });
    expect(out).toContain('\x1b[32m✓\x1b[0m Write notes.txt');
    expect(render([logged(live)]).out).not.toContain('\x1b[');
  });

  it('ignores event types it does not know', () => {
    const events = logged([{ type: 'something_new', x: 1 } as unknown as SessionEvent, ...live]);
    expect(render([events]).out).toBe(REPLY);
  });
});

describe('diffStat', () => {
  it('counts a new file, a deletion of everything, a change in the middle, and reads a unified diff when there is one', () => {
    expect(diffStat({ oldText: null, newText: 'a\nb\n' })).toEqual({ added: 2, removed: 0 });
    expect(diffStat({ oldText: 'a\nb', newText: '' })).toEqual({ added: 0, removed: 2 });
    expect(diffStat({ oldText: '1\n2\n3\n4\n5\n', newText: '1\n2\nthree\n4\n5\n6\n' })).toEqual({ added: 2, removed: 1 });
    expect(diffStat({ oldText: 'a\nb\nc\n', newText: 'c\nb\na\n' })).toEqual({ added: 2, removed: 2 });
    expect(diffStat({ oldText: 'same\n', newText: 'same\n' })).toEqual({ added: 0, removed: 0 });
    expect(diffStat({ oldText: 'x', newText: 'y', unified: '--- a/f\n+++ b/f\n@@ -1 +1,2 @@\n-x\n+y\n+z\n' })).toEqual({ added: 2, removed: 1 });
  });

  it('estimates very large changes instead of diffing them line by line', () => {
    const old = Array.from({ length: 3000 }, (_, i) => `old ${i}`).join('\n');
    const next = Array.from({ length: 3000 }, (_, i) => `new ${i}`).join('\n');
    expect(diffStat({ oldText: old, newText: next })).toEqual({ added: 3000, removed: 3000 });
  });
});
