import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { buildSandboxBundles, type SandboxBundles } from '../../../scripts/build-sandbox';
import type { SessionEvent } from '../../../shared/contracts/session-events';
import { FakeProliferateServer } from './fake-server';
import { bootstrapFor, daemonEnv, isAlive, makeRepo, startDaemon, type RunningDaemon } from './harness';

/**
 * The daemon drives any ACP agent: here a minimal one written for the test (test/sandbox/agent/echo-agent.ts), given
 * as `agentCommand`. Also: an agent that dies is restarted on the next prompt; a restarted daemon continues its event
 * numbers and fast-forwards the repo; without a model configuration the built-in agent's prompts fail clearly.
 */
let root: string;
let bundles: SandboxBundles;
let echoAgent: string;
const running: RunningDaemon[] = [];
const servers: FakeProliferateServer[] = [];

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'daemon-acp-'));
  bundles = await buildSandboxBundles();
  echoAgent = path.join(root, 'echo-agent.js');
  await build({ entryPoints: [path.join(__dirname, '../agent/echo-agent.ts')], bundle: true, platform: 'node', target: 'node22', format: 'cjs', outfile: echoAgent, logLevel: 'warning' });
});

afterAll(async () => {
  await Promise.all(running.map((d) => d.stop()));
  await Promise.all(servers.map((s) => s.close()));
  rmSync(root, { recursive: true, force: true });
});

async function serve(bootstrap: Parameters<typeof bootstrapFor>[0]): Promise<FakeProliferateServer> {
  const server = await new FakeProliferateServer('tok-acp', bootstrapFor(bootstrap)).start();
  servers.push(server);
  return server;
}

async function start(server: FakeProliferateServer, dirs: { workspace: string; home: string }, env: Record<string, string> = {}, bundle = bundles.daemon): Promise<RunningDaemon> {
  const hellos = server.messages('hello').length;
  const d = startDaemon(bundle, daemonEnv(server, dirs, env));
  running.push(d);
  await server.waitFor('hello', () => server.messages('hello').length > hellos && server.connected);
  return d;
}

function prompt(server: FakeProliferateServer, id: string, content: string): Promise<SessionEvent[]> {
  server.send({ type: 'prompt', promptId: `p-${id}`, content, messageId: id });
  const reply = `${id}-reply`;
  return server.waitFor(`the end of ${reply}`, () => {
    const events = server.events().map((e) => e.event);
    const end = events.findIndex((e) => e.type === 'message_complete' && e.messageId === reply);
    if (end < 0) return undefined;
    const start = events.findIndex((e) => e.type === 'message' && e.messageId === reply);
    return events.slice(start, end + 1);
  });
}

const textOf = (events: SessionEvent[]) =>
  events
    .filter((e): e is Extract<SessionEvent, { type: 'text_part_complete' }> => e.type === 'text_part_complete')
    .map((e) => e.text)
    .join('');

test('an ACP agent given as agentCommand: prompts, permissions, tool output and diffs, a restart after it dies', async () => {
  const dirs = { workspace: path.join(root, 'ws1'), home: path.join(root, 'home1') };
  const server = await serve({
    agentCommand: `'${process.execPath}' ${echoAgent} --flag "two words"`,
    systemPrompt: 'SYSTEM-PROMPT-MARKER',
    llm: { missing: 'LLM_PROXY_URL' },
  });
  const daemon = await start(server, dirs);

  const first = await prompt(server, 'a1', 'hello there');
  const text = textOf(first);
  expect(text).toContain('SYSTEM-PROMPT-MARKER\n\n---\n\nhello there');
  expect(text).toContain('argv: --flag|two words');
  expect(text).toContain('mcp: proliferate');
  expect(text).toContain('permission: allow');
  expect(first.filter((e) => e.type === 'text_part_complete')).toHaveLength(2);
  expect(first).toContainEqual({ type: 'thought', messageId: 'a1-reply', text: 'thinking about files' });
  expect(first).toContainEqual({ type: 'tool_start', messageId: 'a1-reply', toolCallId: 'tool-1', tool: 'Edit hello.txt', title: 'Edit hello.txt', kind: 'edit', args: { path: 'hello.txt' } });
  // Replace-style content became output deltas.
  const output = first.filter((e) => e.type === 'tool_metadata').map((e) => (e as { output?: string }).output ?? '');
  expect(output.join('')).toBe('line1\nline2\n');
  expect(first.find((e) => e.type === 'tool_end')).toMatchObject({ toolCallId: 'tool-1', status: 'completed', result: 'edited', diffs: [{ path: 'hello.txt', oldText: 'a', newText: 'b' }] });
  expect(first[first.length - 1]).toEqual({ type: 'message_complete', messageId: 'a1-reply', stopReason: 'end_turn' });

  const second = await prompt(server, 'a2', 'again');
  expect(textOf(second)).toContain('echo[2]: again |');
  expect(textOf(second)).not.toContain('SYSTEM-PROMPT-MARKER');

  const died = await prompt(server, 'a3', 'please die');
  expect(died.find((e) => e.type === 'error')).toMatchObject({ code: 'agent_error', message: expect.stringMatching(/exited \(code 3\)/) });
  expect(died[died.length - 1]).toEqual({ type: 'message_complete', messageId: 'a3-reply', stopReason: 'error' });

  const revived = await prompt(server, 'a4', 'are you back');
  expect(server.ofType('error').some((e) => e.code === 'agent_restarted')).toBe(true);
  expect(textOf(revived)).toContain('echo[1]: SYSTEM-PROMPT-MARKER');
  expect(server.invalid).toEqual([]);
  expect(await daemon.stop()).toBe(0);
});

test('a restarted daemon continues its event numbers and fast-forwards the repo', async () => {
  const dirs = { workspace: path.join(root, 'ws2'), home: path.join(root, 'home2') };
  const source = makeRepo(path.join(root, 'source2'));
  const server = await serve({ agentCommand: `${process.execPath} ${echoAgent}`, repos: [{ repoId: 'r', url: `file://${source}`, branch: 'main', workspacePath: '.' }] });

  const first = await start(server, dirs);
  await prompt(server, 'b1', 'one');
  expect(await first.stop()).toBe(0);
  const lastBefore = server.contiguous;
  expect(lastBefore).toBeGreaterThan(0);

  writeFileSync(path.join(source, 'later.txt'), 'later\n');
  execFileSync('git', ['add', '-A'], { cwd: source });
  execFileSync('git', ['commit', '-q', '-m', 'later'], { cwd: source });

  server.dropConnection();
  const second = await start(server, dirs);
  await prompt(server, 'b2', 'two');
  const hellos = server.messages('hello');
  expect(hellos[hellos.length - 1].lastAckedDseq).toBe(lastBefore);
  const dseqs = server.events().map((e) => e.dseq);
  expect(dseqs).toEqual(dseqs.map((_, i) => i + 1));
  expect(server.resent).toEqual([]);
  expect(readFileSync(path.join(dirs.workspace, 'later.txt'), 'utf8')).toBe('later\n');
  expect(server.ofType('error')).toEqual([]);
  expect(await second.stop()).toBe(0);
});

test('without a model configuration the daemon still runs, and a prompt gets an error naming the variable; a fresh home renumbers after the server; without node-pty terminals run under script', async () => {
  const dirs = { workspace: path.join(root, 'ws3'), home: path.join(root, 'home3') };
  const server = await serve({ llm: { missing: 'PROLIFERATE_LLM_PROXY_URL' } });
  // The server already logged events from an earlier daemon whose home is gone.
  for (let i = 1; i <= 5; i++) server.logged.set(i, { type: 'title_update', title: `old ${i}` });
  // Built outside the project, the bundle cannot resolve @lydell/node-pty (as in an image without it).
  const elsewhere = await buildSandboxBundles({ outDir: path.join(root, 'bundle-elsewhere') });
  expect(elsewhere.version).toBe(bundles.version);
  const daemon = await start(server, dirs, {}, elsewhere.daemon);

  const events = await prompt(server, 'c1', 'hi');
  expect(events.find((e) => e.type === 'error')).toEqual({
    type: 'error',
    code: 'llm_not_configured',
    message: expect.stringContaining('Set PROLIFERATE_LLM_PROXY_URL'),
  });
  expect(events[events.length - 1]).toMatchObject({ type: 'message_complete', stopReason: 'error' });
  expect(server.events().find((e) => e.event.type === 'message')!.dseq).toBe(6);
  expect(server.resent).toEqual([]);
  expect(existsSync(path.join(dirs.home, 'daemon-state.json'))).toBe(true);

  server.send({ type: 'terminal_open', terminalId: 'tt', cols: 80, rows: 24 });
  server.send({ type: 'terminal_input', terminalId: 'tt', data: 'echo fallback-$((6*7))\n' });
  await server.waitFor('terminal output', () =>
    server
      .messages('terminal_output')
      .map((o) => o.data)
      .join('')
      .includes('fallback-42'),
  );
  expect(daemon.logs()).toContain('terminals run under script(1)');
  server.send({ type: 'terminal_close', terminalId: 'tt' });
  expect(await daemon.stop()).toBe(0);
});

test('a daemon that was killed leaves its service behind; the next daemon kills it before starting the service again', async () => {
  const dirs = { workspace: path.join(root, 'ws4'), home: path.join(root, 'home4') };
  const pids = path.join(root, 'service-pids.txt');
  const server = await serve({ serviceCommands: [{ name: 'web', command: 'echo $$ >> "$PIDS_FILE"; exec sleep 600' }] });
  const readPids = () => (existsSync(pids) ? readFileSync(pids, 'utf8').split('\n').filter(Boolean).map(Number) : []);

  const first = await start(server, dirs, { PIDS_FILE: pids });
  const [orphan] = await server.waitFor('the first service', () => readPids().length === 1 && readPids());
  first.child.kill('SIGKILL');
  await first.exited;
  expect(isAlive(orphan)).toBe(true);

  const second = await start(server, dirs, { PIDS_FILE: pids });
  const [, again] = await server.waitFor('the second service', () => readPids().length === 2 && readPids());
  await server.waitFor('the orphan to be gone', () => !isAlive(orphan));
  expect(isAlive(again)).toBe(true);
  expect(await second.stop()).toBe(0);
  expect(isAlive(again)).toBe(false);
});

test('an agent that offers loadSession continues its session after it dies and after a daemon restart; what it replays is not logged', async () => {
  const dirs = { workspace: path.join(root, 'ws5'), home: path.join(root, 'home5') };
  const agentCommand = `${process.execPath} ${echoAgent} --loadable`;
  const server = await serve({ agentCommand, systemPrompt: 'SYSTEM-PROMPT-MARKER' });
  // Left by the session this sandbox was snapshotted from: not this session's, so not loaded.
  mkdirSync(dirs.home, { recursive: true });
  const agentKey = `command:${createHash('sha256').update(agentCommand).digest('hex').slice(0, 16)}`;
  writeFileSync(path.join(dirs.home, 'agent-session.json'), JSON.stringify({ sessionId: 'ses_snapshotted', agent: agentKey, acpSessionId: 'echo-1', savedAt: new Date().toISOString() }));
  const daemon = await start(server, dirs);

  const first = await prompt(server, 'l1', 'hello');
  expect(textOf(first)).toContain('SYSTEM-PROMPT-MARKER\n\n---\n\nhello');
  expect(textOf(first)).not.toContain('loaded:');
  const stored = JSON.parse(readFileSync(path.join(dirs.home, 'agent-session.json'), 'utf8'));
  expect(stored).toMatchObject({ sessionId: 'ses_test', agent: agentKey, acpSessionId: expect.stringMatching(/^echo-\d+$/) });

  await prompt(server, 'l2', 'please die');
  const revived = await prompt(server, 'l3', 'are you back');
  // The new process continues the session: no system prompt again, and it says which session it loaded.
  expect(textOf(revived)).toContain(`echo[1]: are you back |`);
  expect(textOf(revived)).toContain(`loaded: ${stored.acpSessionId}`);
  expect(server.ofType('error').find((e) => e.code === 'agent_restarted')!.message).toMatch(/continues the conversation/);

  expect(await daemon.stop()).toBe(0);
  server.dropConnection();
  const again = await start(server, dirs);
  const resumed = await prompt(server, 'l4', 'after the restart');
  expect(textOf(resumed)).toContain('echo[1]: after the restart |');
  expect(textOf(resumed)).toContain(`loaded: ${stored.acpSessionId}`);
  expect(again.logs()).toContain('agent session loaded');

  // Each load replayed a conversation; none of it reached the server as events.
  const logged = JSON.stringify(server.events());
  expect(logged).not.toContain('REPLAYED');
  expect(logged).not.toContain('replayed-tool');
  expect(server.ofType('message').map((m) => m.messageId)).toEqual(['l1-reply', 'l2-reply', 'l3-reply', 'l4-reply']);
  expect(server.ofType('error').map((e) => e.code)).toEqual(['agent_error', 'agent_restarted']);
  expect(server.invalid).toEqual([]);
  expect(await again.stop()).toBe(0);
});

test('when session/load fails, the daemon opens a new session and says the earlier conversation could not be restored', async () => {
  const dirs = { workspace: path.join(root, 'ws6'), home: path.join(root, 'home6') };
  const server = await serve({ agentCommand: `${process.execPath} ${echoAgent} --loadable --fail-load`, systemPrompt: 'SYSTEM-PROMPT-MARKER' });
  const first = await start(server, dirs);
  await prompt(server, 'f1', 'one');
  const before = JSON.parse(readFileSync(path.join(dirs.home, 'agent-session.json'), 'utf8')).acpSessionId;
  expect(await first.stop()).toBe(0);
  expect(server.ofType('error')).toEqual([]);

  server.dropConnection();
  const second = await start(server, dirs);
  const after = await prompt(server, 'f2', 'two');
  expect(server.ofType('error')).toEqual([
    { type: 'error', code: 'conversation_not_restored', message: expect.stringMatching(new RegExp(`^The earlier conversation could not be restored \\(.*the history of ${before} is damaged.*\\)\\. The agent starts a new conversation`)) },
  ]);
  // A new session: the system prompt comes again with its first turn.
  expect(textOf(after)).toContain('SYSTEM-PROMPT-MARKER\n\n---\n\ntwo');
  expect(textOf(after)).not.toContain('loaded:');
  expect(after[after.length - 1]).toEqual({ type: 'message_complete', messageId: 'f2-reply', stopReason: 'end_turn' });
  const now = JSON.parse(readFileSync(path.join(dirs.home, 'agent-session.json'), 'utf8')).acpSessionId;
  expect(now).not.toBe(before);
  expect(await second.stop()).toBe(0);
});
