import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import type { LocalSockets } from '../../infra/local/server';
import { sandboxSession, sessionEvent, wsConnection } from '../../shared/db/schema';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { eventually, signUpVerified, startRuntime, type TestRuntime } from '../support/runtime';
import { makeGitRepo } from '../support/git';

const ROOT = path.resolve(__dirname, '..', '..');

interface Run {
  child: ChildProcessWithoutNullStreams;
  readonly stdout: string;
  readonly stderr: string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Starts the `proliferate` CLI as a user would, in its own process (stdin: the given text, else empty). */
function start(args: string[], env: Record<string, string>, stdin = ''): Run {
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'bin', 'cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', PROLIFERATE_API_KEY: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.on('error', () => {});
  child.stdin.end(stdin);
  // 'close' comes after the output streams have ended: nothing written is lost.
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
  };
}

const cli = (args: string[], env: Record<string, string>, stdin?: string) => start(args, env, stdin).done;

const WORDS = Array.from({ length: 40 }, (_, i) => `word${i} `);

let rt: TestRuntime;
let llm: FakeOpenAI;
let env: Record<string, string>;
let configuration: { id: string; name: string };
let sessionId: string | undefined;
let newReply = '';

beforeAll(async () => {
  llm = await startFakeOpenAI({
    script: (req) => {
      const lastMessage = req.messages.at(-1);
      const last = JSON.stringify(lastMessage ?? {});
      if (lastMessage?.role === 'tool') {
        if (last.includes('hello from the cli')) return { text: ['The file ', 'says hello.'] };
        if (last.includes('notes.txt')) return { toolCalls: [{ name: 'run_command', arguments: { command: 'cat notes.txt' } }] };
        return { text: 'OK.' };
      }
      if (last.includes('Write notes.txt')) return { toolCalls: [{ name: 'write_file', arguments: { path: 'notes.txt', content: 'hello from the cli\n' } }] };
      // Streamed slowly, so the connection can be cut in the middle of it.
      if (last.includes('Count to forty')) return { text: WORDS, chunkDelayMs: 50 };
      // Starts, then keeps the response open until the agent gives up on it (a cancel).
      if (last.includes('long story')) return { text: ['Once ', 'upon ', 'a time'], holdMs: 60_000 };
      if (last.includes('still there')) return { text: ['Still ', 'here.'] };
      if (last.includes('Break, please')) return { status: 400, error: 'The model cannot take this request' };
      return { text: 'OK.' };
    },
  });
  rt = await startRuntime({ LLM_BASE_URL: llm.url, LLM_API_KEY: llm.apiKey, LLM_MODEL: llm.model });
  const repoDir = makeGitRepo(path.join(rt.dataDir, 'notes-project'), { files: { 'README.md': '# Notes\n' } });

  const owner = await signUpVerified(rt.url, 'Terminal Person', 'person@cli-sessions.example');
  await owner.post('/api/orgs', { name: 'Terminal Sessions Co' });
  const key = (await owner.post('/api/api-keys', { name: 'laptop' })).body.key;
  env = { PROLIFERATE_URL: rt.url, PROLIFERATE_API_KEY: key };
  const added = await owner.post('/api/repos', { path: realpathSync(repoDir) });
  expect(added.status).toBe(201);
  configuration = added.body.configuration;
}, 120_000);

afterAll(async () => {
  if (sessionId) {
    await cli(['session', 'delete', sessionId], env).catch(() => {});
    await eventually(async () => (await rt.db.db.select().from(sandboxSession).where(eq(sandboxSession.id, sessionId!))).length === 0, 20_000, 'session deleted').catch(() => {});
  }
  await rt?.stop();
  await llm?.close();
});

describe('sessions from the proliferate CLI, against the embedded runtime and a fake model', () => {
  it('session new --prompt: creates the session, streams the reply and the tool calls, exits 0', async () => {
    const r = await cli(['session', 'new', '--configuration', configuration.id, '--title', 'CLI session', '--prompt', 'Write notes.txt, then show it.'], env);
    expect(r.stderr).toContain('Starting the sandbox…');
    sessionId = r.stderr.match(/Session (ses_\S+)/)?.[1];
    expect(sessionId).toBeDefined();
    expect(r.code).toBe(0);
    const out = r.stdout;
    // In order: the file written (with its diff), the command (with its output, indented), the reply.
    const at = (s: string) => {
      const i = out.indexOf(s);
      expect(i).toBeGreaterThanOrEqual(0);
      return i;
    };
    const order = [at('✓ Write notes.txt\n'), at('    +1 -0 notes.txt\n'), at('✓ Run cat notes.txt\n'), at('    hello from the cli\n'), at('The file says hello.\n')];
    expect(order.slice(0, 3)).toEqual([...order.slice(0, 3)].sort((a, b) => a - b));
    expect(order[4]).toBeGreaterThan(Math.max(...order.slice(0, 4)));
    // Each thing once: nothing duplicated by the replay and the live stream overlapping.
    expect(out.split('The file says hello.')).toHaveLength(2);
    expect(out.split('✓ Write notes.txt')).toHaveLength(2);
    // The prompt itself is not echoed in a chat.
    expect(out).not.toContain('Write notes.txt, then show it.');
    newReply = out;
  }, 120_000);

  it('session log: the same transcript, with the prompt and the lifecycle around it', async () => {
    const r = await cli(['session', 'log', sessionId!], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('> Write notes.txt, then show it.');
    expect(r.stdout).toContain('· Sandbox running');
    // The log is replayed compacted (no token frames): the same text, character for character.
    expect(r.stdout).toContain(newReply);
  });

  it('sessions: lists it with its status, configuration and telemetry', async () => {
    const r = await cli(['sessions'], env);
    expect(r.code).toBe(0);
    const [header, , row] = r.stdout.split('\n');
    expect(header).toMatch(/^id\s+title\s+status\s+configuration\s+tool calls\s+messages\s+latest task\s+last activity$/);
    expect(row).toMatch(new RegExp(`^${sessionId}\\s+CLI session\\s+running\\s+${configuration.name}\\s+2\\s+2\\s+Run cat notes\\.txt\\s+just now$`));
    const paused = await cli(['sessions', '--status', 'paused'], env);
    expect(paused.stdout.trim()).toBe('No paused sessions.');
  });

  it('session chat <id> -: takes the prompt from stdin and streams the reply', async () => {
    const r = await cli(['session', 'chat', sessionId!, '-'], env, 'Are you still there?\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Still here.\n');
    expect(r.stderr).not.toContain('Starting the sandbox');
    // Sent over the WebSocket with the API key: logged as the CLI's, with the id the CLI gave it.
    const prompts = await rt.db.db.select({ payload: sessionEvent.payload }).from(sessionEvent).where(and(eq(sessionEvent.sessionId, sessionId!), eq(sessionEvent.type, 'user_message')));
    expect(prompts.map((p) => p.payload).find((p) => p.content === 'Are you still there?')).toMatchObject({ source: 'cli', clientMessageId: expect.any(String) });
  }, 60_000);

  it('reconnects when the connection drops mid-stream and shows the reply exactly once, nothing missing', async () => {
    const chat = start(['session', 'chat', sessionId!, 'Count to forty.'], env);
    await eventually(async () => chat.stdout.includes('word3 '), 30_000, 'the reply to start');
    // Cut the CLI's connection from the server's side, the way a network drop would.
    const sockets = (rt.runtime.container.sockets as LocalSockets).sockets;
    const viewers = await rt.db.db.select().from(wsConnection).where(eq(wsConnection.kind, 'user'));
    expect(viewers.length).toBeGreaterThan(0);
    for (const v of viewers) sockets.get(v.connectionId)?.terminate();
    const r = await chat.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Connection lost; reconnecting…');
    expect(r.stdout).toBe(`${WORDS.join('')}\n`);
  }, 60_000);

  it('exits 1 with the message when the agent’s turn fails', async () => {
    const r = await cli(['session', 'chat', sessionId!, 'Break, please.'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The model cannot take this request');
  }, 60_000);

  it('Ctrl-C cancels the agent’s turn and exits 130', async () => {
    const chat = start(['session', 'chat', sessionId!, 'Tell a long story.'], env);
    await eventually(async () => chat.stdout.includes('Once upon a time'), 30_000, 'the story to start');
    chat.child.kill('SIGINT');
    const r = await chat.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('Cancelled.');
    const log = await cli(['session', 'log', sessionId!], env);
    expect(log.stdout).toMatch(/Once upon a time\n(.*\n)*· Cancelled\.\n/);
  }, 60_000);

  it('session pause, then a chat on the paused session starts the sandbox first', async () => {
    const paused = await cli(['session', 'pause', sessionId!], env);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain(`Pausing ${sessionId}`);
    await eventually(async () => (await cli(['sessions', '--status', 'paused'], env)).stdout.includes(sessionId!), 60_000, 'paused');
    const r = await cli(['session', 'chat', sessionId!, 'Are you still there after the pause?'], env);
    expect(r.stderr).toContain('Starting the sandbox…');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Still here.\n');
  }, 150_000);

  it('explains errors: an unknown session, a missing API key, bad usage', async () => {
    const unknown = await cli(['session', 'chat', 'ses_doesnotexist', 'hello'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Session not found');
    expect((await cli(['session', 'log', 'ses_doesnotexist'], env)).stderr).toContain('Session not found');
    expect((await cli(['session', 'pause', 'ses_doesnotexist'], env)).code).toBe(1);

    const anonymous = await cli(['session', 'chat', sessionId!, 'hello'], { PROLIFERATE_URL: rt.url });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain('PROLIFERATE_API_KEY');
    expect((await cli(['sessions'], { PROLIFERATE_URL: rt.url })).stderr).toContain('PROLIFERATE_API_KEY');

    const noPrompt = await cli(['session', 'chat', sessionId!], env);
    expect(noPrompt.code).toBe(2);
    expect(noPrompt.stderr).toContain('Usage: proliferate session chat <id>');
    expect((await cli(['session'], env)).code).toBe(2);
    expect((await cli(['session', 'frobnicate'], env)).code).toBe(2);
    expect((await cli(['session', 'constructor'], env)).code).toBe(2);
    const help = await cli(['--help'], {});
    expect(help.stdout).toContain('session chat <id> <prompt…|->');
  }, 60_000);

  it('session new without a prompt prints just the id (here a scratch session, without a configuration)', async () => {
    const r = await cli(['session', 'new'], env);
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^ses_\S+$/);
    expect(r.stderr).toContain(`proliferate session chat ${id}`);
    const row = async () => (await rt.db.db.select().from(sandboxSession).where(eq(sandboxSession.id, id)))[0];
    const running = await eventually(async () => ((await row())?.status === 'running' ? row() : null), 60_000, 'the scratch session running');
    expect((await cli(['session', 'delete', id], env)).code).toBe(0);
    await eventually(async () => (await row()) === undefined, 30_000, 'the scratch session gone');
    expect(await rt.runtime.container.sandboxes.provider('local').state(running!.providerSandboxId!)).toBe('stopped');
  }, 90_000);

  it('session log --follow streams until the session ends; session delete: the session and its sandbox are gone', async () => {
    const [row] = await rt.db.db.select().from(sandboxSession).where(eq(sandboxSession.id, sessionId!));
    const provider = rt.runtime.container.sandboxes.provider('local');
    const transcript = (await cli(['session', 'log', sessionId!], env)).stdout;
    const following = start(['session', 'log', sessionId!, '--follow'], env);
    // The replay first: everything so far, as `session log` prints it.
    await eventually(async () => following.stdout.length >= transcript.length, 30_000, 'the replay');
    expect(following.stdout).toBe(transcript);

    const r = await cli(['session', 'delete', sessionId!], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Deleting ${sessionId}`);
    const followed = await following.done;
    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe(`${transcript}· Session ended (This session was deleted)\n`);
    await eventually(async () => (await cli(['session', 'log', sessionId!], env)).code === 1, 30_000, 'the session to be gone');
    expect(await provider.state(row.providerSandboxId!)).toBe('stopped');
    sessionId = undefined;
  }, 60_000);
});
