import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { boundConversation, HistoryError, HistoryStore, type ConversationEntry } from '../../../shared/sandbox/agent/history';
import type { ChatMessage } from '../../../shared/sandbox/agent/llm-client';

/** The built-in agent's saved conversations: the size bounds, and what loading a bad file does. */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'agent-history-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const user = (content: string): ConversationEntry => ({ message: { role: 'user', content } });
const assistant = (content: string | null, calls: string[] = []): ConversationEntry => ({
  message: { role: 'assistant', content, ...(calls.length ? { tool_calls: calls.map((id) => ({ id, type: 'function' as const, function: { name: 'run_command', arguments: '{"command":"ls"}' } })) } : {}) },
});
const tool = (id: string, content: string, failed = false): ConversationEntry => ({ message: { role: 'tool', tool_call_id: id, content }, ...(failed ? { failed: true } : {}) });

/** Three turns; the second has two tool steps. */
function threeTurns(): ConversationEntry[] {
  return [
    user('turn one'),
    assistant('answer one'),
    user('turn two'),
    assistant(null, ['a']),
    tool('a', 'output a'),
    assistant('checking more', ['b', 'c']),
    tool('b', 'output b'),
    tool('c', 'output c', true),
    assistant('answer two'),
    user('turn three'),
    assistant('answer three'),
  ];
}

const sizeOf = (entries: ConversationEntry[]) => entries.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e.message)), 0);
const contents = (entries: ConversationEntry[]) => entries.map((e) => `${e.message.role}:${e.message.content ?? ''}`);

test('within the bounds nothing is dropped', () => {
  const entries = threeTurns();
  expect(boundConversation(entries, { maxBytes: 1_000_000, maxMessages: 100 })).toEqual({ entries, dropped: 0 });
});

test('over the message bound, the oldest whole turns are dropped; a tool call never loses its result', () => {
  const { entries, dropped } = boundConversation(threeTurns(), { maxBytes: 1_000_000, maxMessages: 9 });
  expect(dropped).toBe(2);
  expect(contents(entries)[0]).toBe('user:turn two');
  expect(entries.find((e) => e.message.role === 'tool' && e.message.tool_call_id === 'c')).toEqual(tool('c', 'output c', true));

  // Fewer messages than the last two turns: only the last turn is left.
  expect(contents(boundConversation(threeTurns(), { maxBytes: 1_000_000, maxMessages: 8 }).entries)).toEqual(['user:turn three', 'assistant:answer three']);
});

test('over the byte bound, the oldest turns go first', () => {
  const big = 'x'.repeat(1500);
  const entries = [user(`first ${big}`), assistant(big), user(`second ${big}`), assistant(big), user('third'), assistant('short')];
  const bounded = boundConversation(entries, { maxBytes: 6100, maxMessages: 100 });
  expect(bounded.entries).toEqual(entries.slice(2));
  expect(bounded.dropped).toBe(2);
  expect(sizeOf(bounded.entries)).toBeLessThanOrEqual(6100);
});

test('a single turn too big on its own keeps its user message and its latest steps; long texts keep head and tail', () => {
  const huge = `HEAD${'y'.repeat(200_000)}TAIL`;
  const entries = [user('only turn'), assistant(null, ['a']), tool('a', huge), assistant(null, ['b']), tool('b', 'small'), assistant('done')];
  expect(contents(boundConversation(entries, { maxBytes: 1_000_000, maxMessages: 3 }).entries)).toEqual(['user:only turn', 'assistant:done']);

  const steps = [user('many steps'), ...Array.from({ length: 10 }, (_, i) => [assistant(null, [`s${i}`]), tool(`s${i}`, `${i}`.repeat(5000))]).flat(), assistant('finished')];
  const bounded = boundConversation(steps, { maxBytes: 8000, maxMessages: 100 });
  expect(sizeOf(bounded.entries)).toBeLessThanOrEqual(8000);
  expect(contents(bounded.entries)[0]).toBe('user:many steps');
  expect(contents(bounded.entries).at(-1)).toBe('assistant:finished');
  expect(bounded.dropped).toBeGreaterThan(0);
  // Each kept tool result follows the assistant message that called it.
  bounded.entries.forEach((e, i) => {
    if (e.message.role === 'tool') expect(JSON.stringify(bounded.entries[i - 1].message)).toContain(e.message.tool_call_id);
  });

  const roomy = boundConversation(entries, { maxBytes: 400_000, maxMessages: 100 });
  expect(roomy.dropped).toBe(0);
  const clipped = roomy.entries[2].message as Extract<ChatMessage, { role: 'tool' }>;
  expect(clipped.content.length).toBeLessThan(70_000);
  expect(clipped.content.startsWith('HEAD')).toBe(true);
  expect(clipped.content.endsWith('TAIL')).toBe(true);
  expect(clipped.content).toContain('characters not kept');
  // Long tool-call arguments are replaced by valid JSON that says so.
  const withArgs: ConversationEntry[] = [user('write'), { message: { role: 'assistant', content: null, tool_calls: [{ id: 'w', type: 'function', function: { name: 'write_file', arguments: JSON.stringify({ content: huge }) } }] } }, tool('w', 'ok')];
  const args = (boundConversation(withArgs, { maxBytes: 400_000, maxMessages: 100 }).entries[1].message as Extract<ChatMessage, { role: 'assistant' }>).tool_calls![0].function.arguments;
  expect(JSON.parse(args)).toEqual({ omitted: expect.stringMatching(/characters of arguments were not kept/) });
});

test('the store saves atomically within its bounds and counts what was dropped; bad files fail to load with a reason', () => {
  const store = new HistoryStore(path.join(dir, 'sessions'), { maxBytes: 1_000_000, maxMessages: 9 });
  const id = '0b7f7f4e-1111-4222-8333-444455556666';
  const saved = store.save({ sessionId: id, cwd: '/ws', systemPrompt: 'SYS', droppedMessages: 3, entries: threeTurns() });
  expect(saved.droppedMessages).toBe(5);
  expect(JSON.parse(readFileSync(store.fileOf(id), 'utf8'))).toEqual(saved);
  expect(store.load(id)).toEqual(saved);

  expect(() => store.load('11111111-2222-4333-8444-555566667777')).toThrow(expect.objectContaining({ kind: 'not_found' }));
  expect(() => store.fileOf('../escape')).toThrow(HistoryError);

  writeFileSync(store.fileOf(id), '{"version":1,"sessionId":');
  expect(() => store.load(id)).toThrow(/not valid JSON/);
  writeFileSync(store.fileOf(id), JSON.stringify({ ...saved, entries: [{ message: { role: 'robot', content: 1 } }] }));
  expect(() => store.load(id)).toThrow(expect.objectContaining({ kind: 'unreadable', message: expect.stringMatching(/malformed \(entries\.0\.message/) }));
  writeFileSync(store.fileOf(id), JSON.stringify({ ...saved, sessionId: 'someone-else' }));
  expect(() => store.load(id)).toThrow(/belongs to session someone-else/);
});
