import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SessionEvent } from '../../../shared/contracts/session-events';
import { writeEnvFiles } from '../../../shared/sandbox/daemon/env-files';
import { fitEvent } from '../../../shared/sandbox/daemon/event-size';
import { parsePorcelainV2 } from '../../../shared/sandbox/daemon/git';
import { Outbox } from '../../../shared/sandbox/daemon/outbox';
import { shellWords } from '../../../shared/sandbox/daemon/shell-words';
import { StateStore } from '../../../shared/sandbox/daemon/state-store';
import { TurnTranslator } from '../../../shared/sandbox/daemon/turn-translator';
import { resolveInside } from '../../../shared/sandbox/daemon/workspace-path';
import { globToRegExp } from '../../../shared/sandbox/agent/tools/search';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'daemon-units-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('shellWords splits like a shell: quotes, escapes, no expansion', () => {
  expect(shellWords(`npx -y @zed/claude-code-acp --name "two words" 'it''s' a\\ b "$HOME"`)).toEqual(['npx', '-y', '@zed/claude-code-acp', '--name', 'two words', 'its', 'a b', '$HOME']);
  expect(shellWords('  ')).toEqual([]);
  expect(shellWords(`x ""`)).toEqual(['x', '']);
  expect(() => shellWords(`x "open`)).toThrow(/Unterminated/);
});

test('resolveInside keeps paths in the workspace, following symlinks', () => {
  mkdirSync(path.join(dir, 'ws/repo'), { recursive: true });
  mkdirSync(path.join(dir, 'outside'));
  symlinkSync(path.join(dir, 'outside'), path.join(dir, 'ws/escape'));
  const ws = path.join(dir, 'ws');
  expect(resolveInside(ws, 'repo/new/file.txt')).toBe(path.join(ws, 'repo/new/file.txt'));
  expect(resolveInside(ws, '.')).toBe(ws);
  expect(() => resolveInside(ws, '../outside')).toThrow(/outside the workspace/);
  expect(() => resolveInside(ws, 'escape/file.txt')).toThrow(/outside the workspace/);
  expect(() => resolveInside(ws, '/etc/passwd')).toThrow(/outside the workspace/);
});

test('parsePorcelainV2 reads branch, ahead/behind, staged, unstaged, renames, conflicts and untracked files', () => {
  const out = [
    '# branch.oid 1234',
    '# branch.head feature/x',
    '# branch.upstream origin/feature/x',
    '# branch.ab +2 -1',
    '1 M. N... 100644 100644 100644 aaa bbb staged.txt',
    '1 .M N... 100644 100644 100644 aaa bbb dir/with space.txt',
    '2 R. N... 100644 100644 100644 aaa bbb R100 new-name.txt',
    'old-name.txt',
    'u UU N... 100644 100644 100644 100644 aaa bbb ccc conflict.txt',
    '? untracked.txt',
    '',
  ].join('\0');
  expect(parsePorcelainV2(out)).toEqual({
    branch: 'feature/x',
    detached: false,
    ahead: 2,
    behind: 1,
    staged: [
      { path: 'staged.txt', indexStatus: 'M', worktreeStatus: '.' },
      { path: 'new-name.txt', indexStatus: 'R', worktreeStatus: '.' },
    ],
    unstaged: [{ path: 'dir/with space.txt', indexStatus: '.', worktreeStatus: 'M' }],
    conflicted: ['conflict.txt'],
    untracked: ['untracked.txt'],
  });
  expect(parsePorcelainV2('# branch.oid abc\0# branch.head (detached)\0')).toMatchObject({ branch: null, detached: true, ahead: null, behind: null });
});

test('the translator closes a text part and flushes pending tokens before a tool call, and ends the message', () => {
  const events: SessionEvent[] = [];
  const t = new TurnTranslator('m1', (e) => events.push(e), '/ws', 60_000);
  t.start();
  t.update({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'Hel' } });
  t.update({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'lo' } });
  t.update({ sessionUpdate: 'tool_call', toolCallId: 'c1', title: 'Run ls', kind: 'execute', status: 'in_progress' });
  t.update({ sessionUpdate: 'tool_call_update', toolCallId: 'c1', content: [{ type: 'content', content: { type: 'text', text: 'a\n' } }], _meta: { 'proliferate.dev/outputDelta': true } });
  t.update({ sessionUpdate: 'tool_call_update', toolCallId: 'c1', content: [{ type: 'content', content: { type: 'text', text: 'b\n' } }], _meta: { 'proliferate.dev/outputDelta': true } });
  t.update({ sessionUpdate: 'tool_call_update', toolCallId: 'c1', status: 'completed', content: [{ type: 'content', content: { type: 'text', text: 'Exit code: 0' } }, { type: 'diff', path: '/ws/x.txt', newText: 'x' }] });
  t.update({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'Bye' } });
  t.update({ sessionUpdate: 'tool_call', toolCallId: 'c2', title: 'Never ends', kind: 'switch_mode' });
  t.finish('end_turn');
  expect(events).toEqual([
    { type: 'message', messageId: 'm1', role: 'assistant' },
    { type: 'token', messageId: 'm1', partId: 'm1-t1', text: 'Hello' },
    { type: 'text_part_complete', messageId: 'm1', partId: 'm1-t1', text: 'Hello' },
    { type: 'tool_start', messageId: 'm1', toolCallId: 'c1', tool: 'Run ls', title: 'Run ls', kind: 'execute' },
    { type: 'tool_metadata', toolCallId: 'c1', output: 'a\nb\n' },
    { type: 'tool_end', toolCallId: 'c1', status: 'completed', result: 'Exit code: 0', diffs: [{ path: 'x.txt', oldText: null, newText: 'x' }], durationMs: expect.any(Number) },
    { type: 'token', messageId: 'm1', partId: 'm1-t2', text: 'Bye' },
    { type: 'text_part_complete', messageId: 'm1', partId: 'm1-t2', text: 'Bye' },
    { type: 'tool_start', messageId: 'm1', toolCallId: 'c2', tool: 'Never ends', title: 'Never ends', kind: 'other' },
    { type: 'tool_end', toolCallId: 'c2', status: 'failed', result: 'The tool did not finish.', durationMs: expect.any(Number) },
    { type: 'message_complete', messageId: 'm1', stopReason: 'end_turn' },
  ]);
});

test('the outbox numbers events, forgets what is acknowledged, resends the rest, and persists its numbers', () => {
  const store = new StateStore(path.join(dir, 'home'));
  const box = new Outbox(store);
  for (let i = 0; i < 3; i++) box.append({ type: 'title_update', title: `t${i}` });
  box.welcome(0);
  expect(box.nextBatch().map((e) => e.dseq)).toEqual([1, 2, 3]);
  expect(box.nextBatch()).toEqual([]);
  box.ack(2);
  box.disconnected();
  box.welcome(2);
  expect(box.nextBatch().map((e) => e.dseq)).toEqual([3]);
  expect(store.loadState()).toMatchObject({ lastDseq: 3, lastAckedDseq: 2 });

  // A server that knows more than this daemon ever numbered: the daemon's state was lost; renumber after it.
  const fresh = new Outbox(new StateStore(path.join(dir, 'fresh')));
  fresh.append({ type: 'title_update', title: 'a' });
  fresh.welcome(40);
  expect(fresh.nextBatch().map((e) => e.dseq)).toEqual([41]);
  expect(fresh.append({ type: 'title_update', title: 'b' })).toBe(42);
});

test('the agent session is remembered per Proliferate session and agent, next to the outbox state that it does not disturb', () => {
  const home = path.join(dir, 'home');
  const store = new StateStore(home);
  expect(store.loadAgentSession('ses_a', 'built-in')).toBeNull();
  const outbox = new Outbox(store);
  outbox.append({ type: 'title_update', title: 'one' });
  store.saveAgentSession('ses_a', 'built-in', 'acp-1');
  outbox.append({ type: 'title_update', title: 'two' });

  const again = new StateStore(home);
  expect(again.loadAgentSession('ses_a', 'built-in')).toBe('acp-1');
  // A sandbox made from another session's snapshot, or another agent: not loaded.
  expect(again.loadAgentSession('ses_b', 'built-in')).toBeNull();
  expect(again.loadAgentSession('ses_a', 'npx some-acp-agent')).toBeNull();
  expect(new Outbox(again).lastDseq).toBe(2);
  writeFileSync(path.join(home, 'agent-session.json'), 'not json');
  expect(again.loadAgentSession('ses_a', 'built-in')).toBeNull();
});

test('env files are all-or-nothing: a missing required key writes nothing', () => {
  const ws = path.join(dir, 'ws');
  mkdirSync(ws);
  const spec = { path: 'app/.env', workspacePath: '.', format: 'dotenv' as const, mode: 'secret' as const, keys: [{ key: 'A', required: true }] };
  const other = { ...spec, path: 'b.env', keys: [{ key: 'NOPE_NOT_SET_ANYWHERE', required: true }] };
  expect(writeEnvFiles(ws, [spec, other], { A: '1' })).toEqual({ written: [], missing: [{ file: 'b.env', key: 'NOPE_NOT_SET_ANYWHERE' }] });
  expect(existsSync(path.join(ws, 'app/.env'))).toBe(false);
  expect(writeEnvFiles(ws, [spec], { A: '1' }).written).toEqual([path.join(ws, 'app/.env')]);
});

test('globs for the search fallback', () => {
  expect(globToRegExp('*.ts').test('a.ts')).toBe(true);
  expect(globToRegExp('*.ts').test('dir/a.ts')).toBe(false);
  expect(globToRegExp('src/**/*.{ts,tsx}').test('src/a/b/c.tsx')).toBe(true);
  expect(globToRegExp('a,b').test('a,b')).toBe(true);
});

test('an event too large for one WebSocket message is shortened to fit', () => {
  const big = 'x'.repeat(300_000);
  const event: SessionEvent = { type: 'tool_start', toolCallId: 'c', tool: 'write_file', title: 'Write a', kind: 'edit', args: { path: 'a', content: big } };
  const fitted = fitEvent(event);
  expect(JSON.stringify(fitted).length).toBeLessThanOrEqual(100 * 1024);
  expect((fitted as any).args.path).toBe('a');
  expect((fitted as any).args.content).toMatch(/characters omitted/);
  const small: SessionEvent = { type: 'title_update', title: 'ok' };
  expect(fitEvent(small)).toBe(small);
});
