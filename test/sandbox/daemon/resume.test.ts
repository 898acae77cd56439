import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSandboxBundles, type SandboxBundles } from '../../../scripts/build-sandbox';
import type { SessionEvent } from '../../../shared/contracts/session-events';
import { startFakeOpenAI, type FakeOpenAI } from '../../support/fake-openai';
import { FakeProliferateServer } from './fake-server';
import { bootstrapFor, daemonEnv, startDaemon, type RunningDaemon } from './harness';

/**
 * A paused and resumed sandbox, as the daemon sees it: the daemon (and with it the built-in agent) is stopped and
 * started again on the same home. The agent continues its ACP session with `session/load`, so the model sees the
 * earlier turns; the replay of that conversation is not logged again; a conversation that cannot be restored is said.
 */
let root: string;
let bundles: SandboxBundles;
let llm: FakeOpenAI;
let server: FakeProliferateServer;
const running: RunningDaemon[] = [];
const dirs = () => ({ workspace: path.join(root, 'workspace'), home: path.join(root, 'home') });

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'daemon-resume-'));
  bundles = await buildSandboxBundles();
  llm = await startFakeOpenAI({
    script: (req) => {
      const last = req.messages[req.messages.length - 1];
      if (last.role === 'tool') return { text: 'Wrote hello.txt.' };
      if (String(last.content).includes('Write hello.txt')) return { text: 'Writing. ', toolCalls: [{ name: 'write_file', arguments: { path: 'hello.txt', content: 'hello\n' } }] };
      return { text: 'OK.' };
    },
  });
  server = await new FakeProliferateServer('tok-resume', bootstrapFor({ llm: { baseUrl: llm.url, apiKey: llm.apiKey, model: llm.model } })).start();
});

afterAll(async () => {
  await Promise.all(running.map((d) => d.stop()));
  await server?.close();
  await llm?.close();
  rmSync(root, { recursive: true, force: true });
});

async function startFresh(): Promise<RunningDaemon> {
  const hellos = server.messages('hello').length;
  server.dropConnection();
  const daemon = startDaemon(bundles.daemon, daemonEnv(server, dirs()));
  running.push(daemon);
  await server.waitFor('hello', () => server.messages('hello').length > hellos && server.connected);
  return daemon;
}

async function stop(d: RunningDaemon): Promise<void> {
  expect(await d.stop()).toBe(0);
}

async function prompt(id: string, content: string): Promise<SessionEvent[]> {
  server.send({ type: 'prompt', promptId: `p-${id}`, content, messageId: id });
  const reply = `${id}-reply`;
  return server.waitFor(`the end of ${reply}`, () => {
    const events = server.events().map((e) => e.event);
    const end = events.findIndex((e) => e.type === 'message_complete' && e.messageId === reply);
    return end < 0 ? undefined : events.slice(events.findIndex((e) => e.type === 'message' && e.messageId === reply), end + 1);
  });
}

const lastRequest = () => llm.requests[llm.requests.length - 1].messages;
const acpSessionId = () => JSON.parse(readFileSync(path.join(dirs().home, 'agent-session.json'), 'utf8')).acpSessionId as string;
const conversationFile = (id: string) => path.join(dirs().home, 'agent', 'sessions', `${id}.json`);

test('after a restart the built-in agent continues the conversation: the model gets the earlier turns, and the replay is not logged', async () => {
  const first = await startFresh();
  const turn = await prompt('r1', 'Write hello.txt please');
  expect(turn.find((e) => e.type === 'tool_end')).toMatchObject({ status: 'completed' });
  const sessionId = acpSessionId();
  // The conversation is saved in the daemon's home, which a pause keeps.
  expect(JSON.parse(readFileSync(conversationFile(sessionId), 'utf8')).entries.map((e: any) => e.message.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
  await stop(first);
  const loggedBefore = server.events().length;

  const second = await startFresh();
  const after = await prompt('r2', 'What did you write?');
  expect(after[after.length - 1]).toEqual({ type: 'message_complete', messageId: 'r2-reply', stopReason: 'end_turn' });
  expect(acpSessionId()).toBe(sessionId);
  const request = lastRequest();
  expect(request.map((m: any) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
  expect(request[1]).toEqual({ role: 'user', content: 'Write hello.txt please' });
  expect(request[3]).toMatchObject({ role: 'tool', content: 'Created hello.txt (1 line)' });
  expect(request[2]).toMatchObject({ role: 'assistant', content: 'Writing. ', tool_calls: [{ function: { name: 'write_file' } }] });
  expect(request[4]).toEqual({ role: 'assistant', content: 'Wrote hello.txt.' });
  expect(second.logs()).toContain('agent session loaded');

  // Since the restart the server got this turn's events and nothing else (the replay went nowhere).
  const since = server.events().slice(loggedBefore).map((e) => e.event);
  expect(since).toEqual(after);
  expect(since.filter((e) => e.type === 'tool_start')).toEqual([]);
  expect(server.ofType('error')).toEqual([]);
  expect(server.invalid).toEqual([]);
  await stop(second);
});

test('a saved conversation that is corrupt: the agent starts a new one and the daemon says the earlier one could not be restored', async () => {
  const sessionId = acpSessionId();
  writeFileSync(conversationFile(sessionId), '{"version":1,"sessionId":"trunc');
  const third = await startFresh();
  const turn = await prompt('r3', 'Are you there?');
  expect(server.ofType('error')).toEqual([
    { type: 'error', code: 'conversation_not_restored', message: expect.stringMatching(/^The earlier conversation could not be restored \(.*not valid JSON.*\)/) },
  ]);
  expect(turn[turn.length - 1]).toEqual({ type: 'message_complete', messageId: 'r3-reply', stopReason: 'end_turn' });
  expect(lastRequest().map((m: any) => m.role)).toEqual(['system', 'user']);
  const fresh = acpSessionId();
  expect(fresh).not.toBe(sessionId);
  expect(existsSync(conversationFile(fresh))).toBe(true);
  await stop(third);
});
