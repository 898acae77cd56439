import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSandboxBundles, type SandboxBundles } from '../../../scripts/build-sandbox';
import type { SessionEvent } from '../../../shared/contracts/session-events';
import { startFakeOpenAI, type FakeOpenAI } from '../../support/fake-openai';
import { FakeProliferateServer } from './fake-server';
import { bootstrapFor, daemonEnv, isAlive, makeRepo, startDaemon, type RunningDaemon } from './harness';

/**
 * The daemon bundle end to end: a fake Proliferate server (HTTP + WebSocket), a fake model endpoint, a real git repo
 * to clone, and the built-in agent. One daemon serves the whole file; tests run in order.
 */
const FULL_TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(6);
const BURST = FULL_TEXT.match(/[\s\S]{1,5}/g)!;
const SLOW = 'Streaming slowly so that the connection can drop in the middle of it. '.match(/[\s\S]{1,3}/g)!;

let root: string;
let workspace: string;
let home: string;
let bundles: SandboxBundles;
let llm: FakeOpenAI;
let server: FakeProliferateServer;
let daemon: RunningDaemon;
const servicePidFile = () => path.join(root, 'service.pid');

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'daemon-e2e-'));
  workspace = path.join(root, 'workspace');
  home = path.join(root, 'home');
  const source = makeRepo(path.join(root, 'source'), { 'README.md': '# demo\n', 'src/index.js': 'console.log(1);\n' });
  bundles = await buildSandboxBundles();
  llm = await startFakeOpenAI({
    script: (req) => {
      const last = req.messages[req.messages.length - 1];
      if (last.role === 'tool') return { text: 'Tool finished.' };
      const text = String(last.content);
      if (text.includes('[burst]')) return { text: BURST };
      if (text.includes('[slow]')) return { text: SLOW, chunkDelayMs: 15 };
      if (text.includes('[hold]')) return { text: ['Working on it'], holdMs: 60_000 };
      if (text.includes('[snapshot]')) return { toolCalls: [{ name: 'proliferate__save_snapshot', arguments: { message: 'after setup' } }] };
      if (text.includes('[verify]')) return { toolCalls: [{ name: 'proliferate__verify', arguments: { paths: ['app/src/index.js'], note: 'the entry point' } }] };
      if (text.includes('[tool]')) return { toolCalls: [{ name: 'proliferate__save_service_commands', arguments: { commands: [{ name: 'api', command: 'npm start' }] } }] };
      return { text: 'Hello.' };
    },
  });
  server = await new FakeProliferateServer(
    'sandbox-token-123',
    bootstrapFor({
      repos: [{ repoId: 'r1', url: source, branch: 'main', workspacePath: 'app' }],
      envFiles: [{ path: '.env.local', workspacePath: 'app', format: 'dotenv', mode: 'secret', keys: [{ key: 'API_TOKEN', required: true }, { key: 'OPTIONAL_X', required: false }] }],
      envValues: { API_TOKEN: 'tok "q" $x' },
      serviceCommands: [{ name: 'web', command: 'echo "service up"; echo $$ > "$SERVICE_PID_FILE"; exec sleep 600', workspacePath: 'app' }],
      llm: { baseUrl: llm.url, apiKey: llm.apiKey, model: llm.model },
    }),
  ).start();
  daemon = startDaemon(bundles.daemon, daemonEnv(server, { workspace, home }, { SERVICE_PID_FILE: servicePidFile() }));
  await server.waitFor('the service to run', () => server.messages('heartbeat').some((h) => h.runningServices.includes('web')));
});

afterAll(async () => {
  if (process.env.DAEMON_TEST_LOGS) console.warn(daemon?.logs());
  await daemon?.stop();
  await server?.close();
  await llm?.close();
  rmSync(root, { recursive: true, force: true });
});

function prompt(id: string, content: string): string {
  server.send({ type: 'prompt', promptId: `p-${id}`, content, messageId: id });
  return `${id}-reply`;
}

function turnEvents(replyId: string): SessionEvent[] {
  const tools = new Set(server.ofType('tool_start').filter((t) => t.messageId === replyId).map((t) => t.toolCallId));
  return server
    .events()
    .map((e) => e.event)
    .filter((e) => ('messageId' in e && e.messageId === replyId) || ('toolCallId' in e && tools.has(e.toolCallId)));
}

function ended(replyId: string) {
  return server.events().find((e) => (e.event.type === 'message_complete' || e.event.type === 'message_cancelled') && e.event.messageId === replyId);
}

const waitEnded = (replyId: string) => server.waitFor(`the end of ${replyId}`, () => ended(replyId));

test('bootstraps: says hello with its version, clones the repo, writes the env file, starts the service', async () => {
  const hello = server.messages('hello')[0];
  expect(hello).toEqual({ type: 'hello', sandboxId: 'sbx_test', daemonVersion: bundles.version, lastAckedDseq: 0 });
  expect(server.bootstrapCalls).toBe(1);

  const repo = path.join(workspace, 'app');
  expect(readFileSync(path.join(repo, 'src/index.js'), 'utf8')).toBe('console.log(1);\n');
  expect(execFileSync('git', ['log', '--format=%s'], { cwd: repo, encoding: 'utf8' }).trim()).toBe('initial');

  expect(readFileSync(path.join(repo, '.env.local'), 'utf8')).toBe('API_TOKEN="tok \\"q\\" $x"\n');
  expect(readFileSync(path.join(repo, '.git/info/exclude'), 'utf8')).toContain('/.env.local\n');

  const pid = Number(await server.waitFor('the service pid', () => existsSync(servicePidFile()) && readFileSync(servicePidFile(), 'utf8').trim()));
  expect(isAlive(pid)).toBe(true);
  await server.waitFor('the service log', () => existsSync(path.join(home, 'logs/web.log')) && readFileSync(path.join(home, 'logs/web.log'), 'utf8').includes('service up'));
  expect(JSON.parse(readFileSync(path.join(home, 'metadata.json'), 'utf8')).lastGitFetchAt).toEqual(expect.any(String));
  expect(server.ofType('error')).toEqual([]);
});

test('a prompt becomes ordered events ending in message_complete, with streamed tokens coalesced into frames', async () => {
  const reply = prompt('m-burst', '[burst] say something long');
  await waitEnded(reply);

  expect(server.messages('prompt_accepted')).toContainEqual({ type: 'prompt_accepted', promptId: 'p-m-burst' });
  const events = turnEvents(reply);
  expect(events[0]).toEqual({ type: 'message', messageId: reply, role: 'assistant' });
  expect(events[events.length - 1]).toEqual({ type: 'message_complete', messageId: reply, stopReason: 'end_turn' });
  const tokens = events.filter((e) => e.type === 'token');
  expect(tokens.map((t) => t.text).join('')).toBe(FULL_TEXT);
  expect(tokens.length).toBeLessThan(BURST.length);
  const part = events.find((e) => e.type === 'text_part_complete');
  expect(part).toEqual({ type: 'text_part_complete', messageId: reply, partId: (tokens[0] as { partId: string }).partId, text: FULL_TEXT });

  const modelRequest = llm.requests.find((r) => r.messages.some((m: any) => m.role === 'user' && String(m.content).includes('[burst]')))!;
  expect(modelRequest.messages[0].content).toContain('do what the person asks');
  expect(modelRequest.body.tools.map((t: any) => t.function.name)).toEqual(
    expect.arrayContaining([
      'proliferate__verify',
      'proliferate__save_snapshot',
      'proliferate__save_service_commands',
      'proliferate__save_env_files',
      'proliferate__request_env_variables',
      'proliferate__automation_complete',
    ]),
  );
});

test('when the connection drops mid-stream, the daemon reconnects and the server gets every event exactly once', async () => {
  const before = server.connections;
  server.welcomeWith = 'lastAck';
  const reply = prompt('m-slow', '[slow] stream slowly');
  await server.waitFor('the first token', () => server.ofType('token').some((t) => t.messageId === reply));
  // Events the server logs from here on stay unacknowledged, and its welcome will not know them: they come again.
  server.acksPaused = true;
  const logged = server.logged.size;
  await server.waitFor('an unacknowledged event', () => server.logged.size > logged);
  server.dropConnection();
  server.acksPaused = false;
  await waitEnded(reply);
  server.welcomeWith = 'logged';

  expect(server.connections).toBeGreaterThan(before);
  expect(server.resent.length).toBeGreaterThan(0);
  const hellos = server.messages('hello');
  expect(hellos[hellos.length - 1].lastAckedDseq).toBeGreaterThan(0);
  const text = turnEvents(reply)
    .filter((e) => e.type === 'token')
    .map((e) => (e as { text: string }).text)
    .join('');
  expect(text).toBe(SLOW.join(''));
  expect(ended(reply)!.event).toEqual({ type: 'message_complete', messageId: reply, stopReason: 'end_turn' });
  expectEveryEventOnce();
});

test('a platform tool call goes through MCP to the server and is retried with the same id after a transport failure', async () => {
  server.dropToolCalls = 1;
  server.toolReply = (tool, args) => ({ success: true, result: `Saved ${args.commands.length} service command(s) via ${tool}` });
  const reply = prompt('m-tool', '[tool] save the service commands');
  await waitEnded(reply);

  const attempts = server.toolAttempts.filter((a) => a.tool === 'save_service_commands');
  expect(attempts).toHaveLength(2);
  expect(attempts[0].dropped).toBe(true);
  expect(attempts[1].toolCallId).toBe(attempts[0].toolCallId);
  expect(attempts[1].args).toEqual({ commands: [{ name: 'api', command: 'npm start' }] });

  const toolResult = llm.requests[llm.requests.length - 1].messages.find((m: any) => m.role === 'tool');
  expect(toolResult.content).toBe('Saved 1 service command(s) via save_service_commands');
  const start = turnEvents(reply).find((e) => e.type === 'tool_start');
  expect(start).toMatchObject({ type: 'tool_start', tool: 'proliferate__save_service_commands', title: 'proliferate: save_service_commands' });
  const end = turnEvents(reply).find((e) => e.type === 'tool_end');
  expect(end).toMatchObject({ status: 'completed', result: 'Saved 1 service command(s) via save_service_commands' });
  server.toolReply = (tool) => ({ success: true, result: `${tool}: done` });
});

test('verify uploads the named workspace files to the server, base64-encoded', async () => {
  const reply = prompt('m-verify', '[verify] show the evidence');
  await waitEnded(reply);
  const attempt = server.toolAttempts.find((a) => a.tool === 'verify')!;
  expect(attempt.args).toEqual({
    files: [{ path: 'app/src/index.js', contentBase64: Buffer.from('console.log(1);\n').toString('base64'), contentType: 'application/octet-stream' }],
    note: 'the entry point',
  });
  expect(turnEvents(reply).find((e) => e.type === 'tool_end')).toMatchObject({ status: 'completed', result: 'verify: done' });
});

test('save_snapshot called by the agent: the prepare_snapshot it causes does not wait for (or cancel) the turn that asked', async () => {
  server.toolReply = async (tool) => {
    if (tool !== 'save_snapshot') return { success: true, result: `${tool}: done` };
    // What the server does for save_snapshot: quiesce the daemon, capture, resume.
    server.send({ type: 'prepare_snapshot', requestId: 'snap-tool', waitMs: 60_000 });
    await server.waitFor('snapshot_ready', () => server.messages('snapshot_ready').find((s) => s.requestId === 'snap-tool'));
    server.send({ type: 'resume_prompts' });
    return { success: true, result: 'Snapshot saved: snap_123' };
  };
  const reply = prompt('m-snapshot-tool', '[snapshot] save it');
  await waitEnded(reply);
  server.toolReply = (tool) => ({ success: true, result: `${tool}: done` });

  expect(ended(reply)!.event).toEqual({ type: 'message_complete', messageId: reply, stopReason: 'end_turn' });
  expect(turnEvents(reply).find((e) => e.type === 'tool_end')).toMatchObject({ status: 'completed', result: 'Snapshot saved: snap_123' });
  expect(server.toolAttempts.filter((a) => a.tool === 'save_snapshot').map((a) => a.args)).toEqual([{ message: 'after setup' }]);
});

test('git: status, commit (nothing to commit, tracked, untracked), branches, push, PR, and a path outside the workspace', async () => {
  const git = async (requestId: string, action: any) => {
    server.send({ type: 'git', requestId, git: action });
    return server.waitFor(`git ${requestId}`, () => server.ofType('git_result').find((r) => r.requestId === requestId));
  };
  const status = async (requestId: string) => {
    server.send({ type: 'git', requestId, git: { action: 'status', workspacePath: 'app' } });
    return server.waitFor(`git status ${requestId}`, () => server.messages('git_status').find((s) => s.requestId === requestId));
  };

  const s1 = await status('g-status');
  expect(s1.state).toMatchObject({ workspacePath: 'app', branch: 'main', detached: false, staged: [], unstaged: [], untracked: [], busy: false });
  expect(s1.state.commits[0]).toMatchObject({ message: 'initial', author: 'Test' });

  expect(await git('g-empty', { action: 'commit', message: 'nothing', includeUntracked: false })).toMatchObject({ action: 'commit', success: false, code: 'NOTHING_TO_COMMIT' });
  expect(await git('g-branch', { action: 'create_branch', branchName: 'feature/x' })).toMatchObject({ success: true, code: 'SUCCESS' });
  expect(await git('g-branch-again', { action: 'create_branch', branchName: 'feature/x' })).toMatchObject({ success: false, code: 'BRANCH_EXISTS' });

  const repo = path.join(workspace, 'app');
  writeFileSync(path.join(repo, 'README.md'), '# demo\nchanged\n');
  writeFileSync(path.join(repo, 'new.txt'), 'new\n');
  const s2 = await status('g-status-2');
  expect(s2.state.unstaged).toEqual([{ path: 'README.md', indexStatus: '.', worktreeStatus: 'M' }]);
  expect(s2.state.untracked).toEqual(['new.txt']);

  expect(await git('g-commit', { action: 'commit', message: 'update readme', includeUntracked: false })).toMatchObject({ success: true, code: 'SUCCESS' });
  const afterTracked = await server.waitFor('status after commit', () => server.messages('git_status').find((s) => s.requestId === 'g-commit'));
  expect(afterTracked.state.commits[0].message).toBe('update readme');
  expect(afterTracked.state.untracked).toEqual(['new.txt']);
  expect(await git('g-commit-all', { action: 'commit', message: 'add new', includeUntracked: true })).toMatchObject({ success: true, code: 'SUCCESS' });

  expect(await git('g-push', { action: 'push' })).toMatchObject({ success: true, code: 'SUCCESS' });
  expect(execFileSync('git', ['log', '--format=%s', 'feature/x'], { cwd: path.join(root, 'source'), encoding: 'utf8' }).split('\n')[0]).toBe('add new');

  const pr = await git('g-pr', { action: 'create_pr', title: 'A PR' });
  expect(pr.success).toBe(false);
  expect(['GH_NOT_AVAILABLE', 'NOT_GITHUB_REMOTE']).toContain(pr.code);

  expect(await git('g-outside', { action: 'commit', message: 'x', includeUntracked: false, workspacePath: '../..' })).toMatchObject({ success: false, code: 'NOT_A_REPO' });
});

test('a terminal runs a shell and relays its output and exit', async () => {
  server.send({ type: 'terminal_open', terminalId: 't1', cols: 100, rows: 30 });
  server.send({ type: 'terminal_input', terminalId: 't1', data: 'echo sum-$((40+2)); pwd\r' });
  await server.waitFor('terminal output', () =>
    server
      .messages('terminal_output')
      .filter((o) => o.terminalId === 't1')
      .map((o) => o.data)
      .join('')
      .includes('sum-42'),
  );
  server.send({ type: 'terminal_resize', terminalId: 't1', cols: 120, rows: 40 });
  server.send({ type: 'terminal_input', terminalId: 't1', data: 'exit 3\r' });
  const exit = await server.waitFor('terminal exit', () => server.messages('terminal_exit').find((e) => e.terminalId === 't1'));
  expect(exit.exitCode).toBe(3);
  const output = server
    .messages('terminal_output')
    .filter((o) => o.terminalId === 't1')
    .map((o) => o.data)
    .join('');
  expect(output).toContain(path.join(workspace, 'app'));
});

test('prepare_snapshot waits for the running turn, holds new prompts and scrubs env files until resume_prompts', async () => {
  const envFile = path.join(workspace, 'app', '.env.local');
  const running = prompt('m-snap-running', '[slow] a turn in progress');
  await server.waitFor('the turn to start', () => server.ofType('message').some((m) => m.messageId === running));
  server.send({ type: 'prepare_snapshot', requestId: 'snap-1', waitMs: 60_000 });
  const held = prompt('m-snap-held', '[burst] arrives during the snapshot');
  server.send({ type: 'git', requestId: 'g-during-snapshot', git: { action: 'status', workspacePath: 'app' } });

  await server.waitFor('snapshot_ready', () => server.messages('snapshot_ready').find((s) => s.requestId === 'snap-1'));
  // The turn finished on its own (it was not cancelled) before the sandbox was declared ready.
  const readyIndex = server.received.findIndex((m) => m.type === 'snapshot_ready' && m.requestId === 'snap-1');
  expect(ended(running)!.event.type).toBe('message_complete');
  const completeBatchIndex = server.received.findIndex((m) => m.type === 'events' && m.events.some((e) => e.event.type === 'message_complete' && e.event.messageId === running));
  expect(completeBatchIndex).toBeLessThan(readyIndex);
  expect(existsSync(envFile)).toBe(false);

  // Commands are handled in order: the git status answered after the held prompt proves it was not admitted.
  await server.waitFor('git status during the snapshot', () => server.messages('git_status').find((s) => s.requestId === 'g-during-snapshot'));
  expect(server.messages('prompt_accepted').map((p) => p.promptId)).not.toContain('p-m-snap-held');
  expect(server.ofType('message').map((m) => m.messageId)).not.toContain(held);

  server.send({ type: 'resume_prompts' });
  await waitEnded(held);
  expect(server.messages('prompt_accepted').map((p) => p.promptId)).toContain('p-m-snap-held');
  expect(existsSync(envFile)).toBe(true);
});

test('prepare_snapshot cancels a turn that does not finish within waitMs; cancel stops a turn', async () => {
  const stuck = prompt('m-stuck', '[hold] never finishes');
  await server.waitFor('the stuck turn to start', () => server.ofType('token').some((t) => t.messageId === stuck));
  server.send({ type: 'prepare_snapshot', requestId: 'snap-2', waitMs: 200 });
  await server.waitFor('snapshot_ready', () => server.messages('snapshot_ready').find((s) => s.requestId === 'snap-2'));
  expect(ended(stuck)!.event).toEqual({ type: 'message_cancelled', messageId: stuck });
  server.send({ type: 'resume_prompts' });

  const second = prompt('m-cancel', '[hold] cancel me');
  await server.waitFor('the second turn to stream', () => server.ofType('token').some((t) => t.messageId === second));
  server.send({ type: 'cancel' });
  await waitEnded(second);
  expect(ended(second)!.event).toEqual({ type: 'message_cancelled', messageId: second });

  const after = prompt('m-after-cancel', 'hello again');
  await waitEnded(after);
  expect(ended(after)!.event.type).toBe('message_complete');
});

test('a prompt sent twice (same promptId) runs once', async () => {
  server.send({ type: 'prompt', promptId: 'p-dup', content: 'hello', messageId: 'm-dup' });
  server.send({ type: 'prompt', promptId: 'p-dup', content: 'hello', messageId: 'm-dup' });
  await waitEnded('m-dup-reply');
  const after = prompt('m-after-dup', 'hello');
  await waitEnded(after);
  expect(server.ofType('message').filter((m) => m.messageId === 'm-dup-reply')).toHaveLength(1);
});

test('heartbeats report whether the agent is busy and which services run; stopping the daemon stops its processes', async () => {
  const beats = server.messages('heartbeat');
  expect(beats.some((b) => b.agentBusy)).toBe(true);
  expect(beats[beats.length - 1]).toEqual({ type: 'heartbeat', agentBusy: false, runningServices: ['web'] });
  expect(server.ofType('error')).toEqual([]);
  expect(server.invalid).toEqual([]);
  expectEveryEventOnce();

  server.send({ type: 'services', commands: [{ name: 'worker', command: 'exec sleep 600' }] });
  await server.waitFor('the new service', () => server.messages('heartbeat').some((h) => h.runningServices.includes('worker')));

  const servicePid = Number(readFileSync(servicePidFile(), 'utf8'));
  expect(await daemon.stop()).toBe(0);
  expect(isAlive(servicePid)).toBe(false);
});

/** dseq 1..n each logged once; anything that arrived twice was a resend of the same event. */
function expectEveryEventOnce(): void {
  const dseqs = server.events().map((e) => e.dseq);
  expect(dseqs).toEqual(dseqs.map((_, i) => i + 1));
  for (const r of server.resent) expect(server.logged.get(r.dseq)).toEqual(r.event);
}
