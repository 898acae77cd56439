import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import WebSocket from 'ws';
import { sandboxSession } from '../../shared/db/schema';
import { mintSandboxToken } from '../../shared/domain/sessions/sandbox-token';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { Client, eventually, signUpVerified, startRuntime, type TestRuntime } from '../support/runtime';
import { makeGitRepo } from '../support/git';

/** A viewer's WebSocket: collects logged events by seq, as the dashboard does. */
class Viewer {
  ws!: WebSocket;
  readonly events = new Map<number, any>();
  readonly received: number[] = [];
  readonly other: any[] = [];
  lastSeq = 0;
  constructor(
    readonly client: Client,
    readonly sessionId: string,
  ) {}

  async connect(afterSeq = this.lastSeq) {
    this.ws = new WebSocket(this.client.base.replace(/^http/, 'ws') + '/ws', { headers: { cookie: this.client.cookieHeader(), origin: this.client.base } });
    await new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
    // A server going away resets the socket; that is an expected end here, not a crash of the test process.
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.type === 'events' && m.sessionId === this.sessionId) {
        for (const e of m.events) {
          this.received.push(e.seq);
          if (!this.events.has(e.seq)) this.events.set(e.seq, e.event);
          this.lastSeq = Math.max(this.lastSeq, e.seq);
        }
      } else this.other.push(m);
    });
    this.send({ type: 'subscribe', sessionId: this.sessionId, afterSeq });
  }
  send(message: unknown) {
    this.ws.send(JSON.stringify(message));
  }
  types() {
    return [...this.events.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e.type);
  }
  has(pred: (e: any) => boolean) {
    return [...this.events.values()].some(pred);
  }
  waitFor(pred: (e: any) => boolean, what: string, timeoutMs = 30_000) {
    return eventually(async () => this.has(pred), timeoutMs, what);
  }
  close() {
    this.ws.close();
  }
}

let rt: TestRuntime;
let llm: FakeOpenAI;
let owner: Client;
let colleague: Client;
let outsider: Client;
let repoDir: string;
let sessionId: string;

beforeAll(async () => {
  llm = await startFakeOpenAI({
    script: (req) => {
      const last = JSON.stringify(req.messages.at(-1) ?? {});
      if (last.includes('Write hello.txt')) return { toolCalls: [{ name: 'write_file', arguments: { path: 'hello.txt', content: 'hello from the agent\n' } }] };
      if (req.messages.at(-1)?.role === 'tool' && last.includes('hello.txt') && !last.includes('hello from the agent')) {
        return { toolCalls: [{ name: 'run_command', arguments: { command: 'cat hello.txt && ls' } }] };
      }
      if (req.messages.at(-1)?.role === 'tool' && !last.includes('Snapshot')) {
        // A long streamed reply, so a viewer can drop out in the middle of it.
        return { text: Array.from({ length: 40 }, (_, i) => `word${i} `), chunkDelayMs: 25 };
      }
      if (last.includes('Are you still there')) return { text: ['Still ', 'here.'] };
      if (last.includes('Save a snapshot')) return { toolCalls: [{ name: 'proliferate__save_snapshot', arguments: { message: 'checkpoint' } }] };
      if (req.messages.at(-1)?.role === 'tool' && last.includes('Snapshot saved')) return { text: 'Saved.' };
      return { text: 'OK.' };
    },
  });
  rt = await startRuntime({ LLM_BASE_URL: llm.url, LLM_API_KEY: llm.apiKey, LLM_MODEL: llm.model });
  repoDir = makeGitRepo(path.join(rt.dataDir, 'project'), { files: { 'README.md': '# Project\n' } });

  owner = await signUpVerified(rt.url, 'Owner', 'owner@sessions.example');
  await owner.post('/api/orgs', { name: 'Sessions Co' });
  const invite = await owner.post('/api/org/invitations', { email: 'colleague@sessions.example', role: 'member' });
  colleague = await signUpVerified(rt.url, 'Colleague', 'colleague@sessions.example');
  await colleague.post(`/api/invitations/${invite.body.id}/accept`);
  outsider = await signUpVerified(rt.url, 'Outsider', 'outsider@elsewhere.example');
  await outsider.post('/api/orgs', { name: 'Elsewhere' });
}, 120_000);

afterAll(async () => {
  if (sessionId) await owner.delete(`/api/sessions/${sessionId}`);
  await eventually(async () => (await rt.db.db.select().from(sandboxSession).where(eq(sandboxSession.id, sessionId))).length === 0, 20_000, 'session deleted').catch(() => {});
  await rt?.stop();
  await llm?.close();
});

const row = async () => (await rt.db.db.select().from(sandboxSession).where(eq(sandboxSession.id, sessionId)))[0];
const workspace = async () => path.join(rt.dataDir, 'sandboxes', (await row()).providerSandboxId!, 'workspace');

describe('a session on the embedded runtime with the local provider and the built-in agent', () => {
  let v1: Viewer;
  let v2: Viewer;

  it('starts a session on a configuration made from a real git repo', async () => {
    const added = await owner.post('/api/repos', { path: realpathSync(repoDir) });
    expect(added.status).toBe(201);
    const configurationId = added.body.configuration.id;
    const created = await owner.post('/api/sessions', { configurationId, sandboxMode: 'immediate', title: 'Hello session' });
    expect(created.status).toBe(201);
    sessionId = created.body.id;
    v1 = new Viewer(owner, sessionId);
    v2 = new Viewer(owner, sessionId);
    await v1.connect();
    await v2.connect();
    await v1.waitFor((e) => e.type === 'status' && e.status === 'running', 'running', 60_000);
    // The daemon checks the repo out into the sandbox's workspace as it boots.
    await eventually(async () => existsSync(path.join(await workspace(), 'README.md')), 20_000, 'repo checked out');
  });

  it('streams the agent: it writes a file and runs a command; two viewers see the same events in the same order', async () => {
    v1.send({ type: 'prompt', sessionId, content: 'Write hello.txt, then show it.' });
    await v2.waitFor((e) => e.type === 'token', 'first token');
    // Viewer 2 drops out mid-stream and comes back with the last sequence number it saw.
    const seenBefore = v2.lastSeq;
    v2.close();
    await new Promise((r) => setTimeout(r, 150));
    const countBefore = v2.received.length;
    await v2.connect(seenBefore);
    await v1.waitFor((e) => e.type === 'message_complete', 'message_complete');
    await eventually(async () => v2.lastSeq >= v1.lastSeq, 10_000, 'viewer 2 caught up');

    const afterReconnect = v2.received.slice(countBefore);
    expect(Math.min(...afterReconnect)).toBe(seenBefore + 1);
    expect([...v2.events.keys()].sort((a, b) => a - b)).toEqual([...v1.events.keys()].sort((a, b) => a - b));
    expect(v2.types()).toEqual(v1.types());

    const types = v1.types();
    expect(types).toContain('user_message');
    const tools = [...v1.events.values()].filter((e) => e.type === 'tool_start').map((e) => e.tool);
    expect(tools).toEqual(expect.arrayContaining(['write_file', 'run_command']));
    const ends = [...v1.events.values()].filter((e) => e.type === 'tool_end');
    expect(ends.every((e) => e.status === 'completed')).toBe(true);
    expect(ends.find((e) => e.diffs?.length)?.diffs[0]).toMatchObject({ path: expect.stringContaining('hello.txt'), newText: 'hello from the agent\n' });
    const output = [...v1.events.values()].filter((e) => e.type === 'tool_metadata' || e.type === 'tool_end').map((e) => `${e.output ?? ''}${e.result ?? ''}`).join('');
    expect(output).toContain('hello from the agent');
    const text = [...v1.events.values()].filter((e) => e.type === 'token').map((e) => e.text).join('');
    expect(text).toContain('word0 word1');
    expect(text).toContain('word39');
    // Tokens travel in frames: fewer messages than the model's 40 chunks.
    expect([...v1.events.values()].filter((e) => e.type === 'token').length).toBeLessThan(40);
    expect(readFileSync(path.join(await workspace(), 'hello.txt'), 'utf8')).toBe('hello from the agent\n');

    const listed = await owner.get('/api/sessions');
    expect(listed.body.sessions[0]).toMatchObject({ id: sessionId, status: 'running', displayStatus: 'active' });
    expect(listed.body.sessions[0].metrics.toolCalls).toBeGreaterThanOrEqual(2);
    expect(Date.parse(listed.body.sessions[0].runningSince)).toBeLessThanOrEqual(Date.now());
  });

  it('replays the whole conversation to a tab opened later, compacted', async () => {
    const late = new Viewer(owner, sessionId);
    await late.connect(0);
    await eventually(async () => late.other.some((m) => m.type === 'subscribed'), 10_000, 'subscribed');
    const text = [...late.events.values()].filter((e) => e.type === 'text_part_complete').map((e) => e.text).join('');
    expect(text).toContain('word39');
    expect(late.types().filter((t) => t === 'token')).toEqual([]);
    late.close();
  });

  it('keeps other organisations and non-owners out', async () => {
    const foreign = new Viewer(outsider, sessionId);
    await foreign.connect(0);
    await eventually(async () => foreign.other.find((m) => m.type === 'error'), 10_000, 'error');
    expect(foreign.other.find((m) => m.type === 'error')).toMatchObject({ code: 'not_found' });
    expect(foreign.events.size).toBe(0);
    foreign.close();
    expect((await outsider.get(`/api/sessions/${sessionId}`)).status).toBe(404);

    const member = new Viewer(colleague, sessionId);
    await member.connect(0);
    await eventually(async () => member.other.some((m) => m.type === 'subscribed'), 10_000, 'member subscribed');
    member.send({ type: 'git', sessionId, requestId: 'r1', git: { action: 'commit', message: 'sneaky' } });
    member.send({ type: 'terminal_open', sessionId, terminalId: 't1', cols: 80, rows: 24 });
    await eventually(async () => member.other.filter((m) => m.type === 'error' && m.code === 'not_session_owner').length === 2, 10_000, 'refusals');
    member.close();
  });

  it("refuses a sandbox token for another session or a sandbox that is no longer the session's", async () => {
    const s = await row();
    const forged = mintSandboxToken('not-the-secret-0123456789abcdef0123', sessionId, s.sandboxId!);
    const stale = mintSandboxToken(rt.runtime.container.sandboxSecret, sessionId, 'sbx_old_one');
    for (const token of [forged, stale, 'sbx.bad']) {
      const res = await new Client(rt.url, { authorization: `Bearer ${token}` }).get('/api/sandbox/bootstrap');
      expect(res.status).toBe(401);
      await expect(new Promise((resolve, reject) => {
        const ws = new WebSocket(`${rt.url.replace(/^http/, 'ws')}/ws?sandboxToken=${encodeURIComponent(token)}`);
        ws.once('open', () => reject(new Error('accepted')));
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode));
        ws.once('error', () => resolve('error'));
      })).resolves.toBe(401);
    }
    const good = mintSandboxToken(rt.runtime.container.sandboxSecret, sessionId, s.sandboxId!);
    const boot = await new Client(rt.url, { authorization: `Bearer ${good}` }).get('/api/sandbox/bootstrap');
    expect(boot.body).toMatchObject({ sessionId, sandboxId: s.sandboxId, mode: 'coding' });
  });

  it('runs git actions with result codes', async () => {
    v1.send({ type: 'git', sessionId, requestId: 'g1', git: { action: 'create_branch', branchName: 'feature/hello' } });
    await v1.waitFor((e) => e.type === 'git_result' && e.requestId === 'g1', 'branch');
    v1.send({ type: 'git', sessionId, requestId: 'g2', git: { action: 'commit', message: 'Add hello', includeUntracked: true } });
    await v1.waitFor((e) => e.type === 'git_result' && e.requestId === 'g2', 'commit');
    v1.send({ type: 'git', sessionId, requestId: 'g3', git: { action: 'commit', message: 'Nothing' } });
    await v1.waitFor((e) => e.type === 'git_result' && e.requestId === 'g3', 'empty commit');
    const results = Object.fromEntries([...v1.events.values()].filter((e) => e.type === 'git_result').map((e) => [e.requestId, e.code]));
    expect(results).toMatchObject({ g1: 'SUCCESS', g2: 'SUCCESS', g3: 'NOTHING_TO_COMMIT' });
    const log = execFileSync('git', ['log', '--oneline', '-1'], { cwd: await workspace() }).toString();
    expect(log).toContain('Add hello');
  });

  it('opens a terminal and shows a command’s output', async () => {
    v1.send({ type: 'terminal_open', sessionId, terminalId: 'term', cols: 100, rows: 30 });
    await new Promise((r) => setTimeout(r, 300));
    v1.send({ type: 'terminal_input', sessionId, terminalId: 'term', data: 'echo TERMINAL_$((6*7))\n' });
    await eventually(async () => v1.other.filter((m) => m.type === 'terminal_output').map((m) => m.data).join('').includes('TERMINAL_42'), 15_000, 'terminal output');
    v1.send({ type: 'terminal_close', sessionId, terminalId: 'term' });
  });

  it('previews a port of the sandbox on its own origin through a token, and shares it publicly until revoked', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    v1.send({ type: 'terminal_open', sessionId, terminalId: 'srv', cols: 120, rows: 30 });
    await new Promise((r) => setTimeout(r, 300));
    v1.send({ type: 'terminal_input', sessionId, terminalId: 'srv', data: `node -e "require('http').createServer((q, s) => s.end('preview ok ' + q.url)).listen(${port})"\n` });
    // Browsers resolve *.localhost to this machine; here the Host header says which origin is meant (fetch cannot set it).
    const viaProxy = (url: string, pathname: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const u = new URL(url);
        const req = httpRequest({ host: '127.0.0.1', port: Number(u.port), path: pathname, headers: { host: u.host } }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end();
      });
    const preview = await owner.post(`/api/sessions/${sessionId}/previews`, { port });
    expect(preview.status).toBe(201);
    expect(preview.body.url).toMatch(/^http:\/\/p-[0-9a-f]{32}\.localhost:\d+\/$/);
    await eventually(async () => (await viaProxy(preview.body.url, '/hello?x=1')).text === 'preview ok /hello?x=1', 15_000, 'preview answers');
    await v1.waitFor((e) => e.type === 'preview_url' && e.port === port, 'preview_url event');

    const share = await owner.post(`/api/sessions/${sessionId}/shares`, { port });
    expect((await new Client(rt.url).get(`/api/previews/${share.body.id}`)).body).toMatchObject({ port, live: true, title: 'Hello session' });
    expect((await viaProxy(share.body.url, '/')).text).toBe('preview ok /');
    // The AWS path: CloudFront hands p-<token>.<preview domain> to /api/_preview with the viewer's host in a header.
    const viaApi = async (pathname: string, host: string | null) => {
      const res = await fetch(`${rt.url}/api/_preview${pathname}`, { headers: host ? { 'x-preview-host': host } : {} });
      return { status: res.status, text: await res.text() };
    };
    const shareHost = new URL(share.body.url).hostname.replace(/\.localhost$/, '.preview.example.com');
    expect(await viaApi('/hello?x=1', shareHost)).toEqual({ status: 200, text: 'preview ok /hello?x=1' });
    expect(await viaApi('', shareHost)).toEqual({ status: 200, text: 'preview ok /' });
    expect((await viaApi('/hello', null)).status).toBe(404);
    expect((await viaApi('/hello', `p-${'0'.repeat(32)}.preview.example.com`)).status).toBe(404);
    expect((await outsider.post(`/api/sessions/${sessionId}/shares`, { port })).status).toBe(404);
    expect((await owner.delete(`/api/sessions/${sessionId}/shares/${share.body.id}`)).body.revoked).toBe(true);
    expect((await viaProxy(share.body.url, '/')).status).toBe(404);
    expect((await viaApi('/', shareHost)).status).toBe(404);
    expect((await new Client(rt.url).get(`/api/previews/${share.body.id}`)).status).toBe(404);
    expect((await viaProxy(`http://p-${'0'.repeat(32)}.localhost:${new URL(rt.url).port}/`, '/')).status).toBe(404);
    v1.send({ type: 'terminal_close', sessionId, terminalId: 'srv' });
  });

  it('lets the agent save a snapshot through its platform tools (MCP → API → session worker)', async () => {
    v1.send({ type: 'prompt', sessionId, content: 'Save a snapshot please.' });
    await v1.waitFor((e) => e.type === 'snapshot_result', 'snapshot_result', 60_000);
    expect([...v1.events.values()].find((e) => e.type === 'snapshot_result')).toMatchObject({ success: true, target: 'session' });
    await v1.waitFor((e) => e.type === 'text_part_complete' && e.text.includes('Saved.'), 'reply after the snapshot');
    const tool = [...v1.events.values()].filter((e) => e.type === 'tool_end').at(-1);
    expect(tool).toMatchObject({ status: 'completed' });
    expect((await row()).snapshotId).toMatch(/\S/);
  });

  it('pauses, survives a restart of the runtime, resumes with the files, and the conversation goes on', async () => {
    const before = v1.lastSeq;
    expect((await owner.post(`/api/sessions/${sessionId}/pause`)).status).toBe(202);
    await v1.waitFor((e) => e.type === 'status' && e.status === 'paused', 'paused', 30_000);
    v1.close();
    v2.close();
    expect(await row()).toMatchObject({ status: 'paused', pauseReason: 'manual', latestTask: null });
    expect((await owner.post(`/api/sessions/${sessionId}/pause`)).status).toBe(409);

    await rt.restart();

    const v3 = new Viewer(owner, sessionId);
    await v3.connect(0);
    await eventually(async () => v3.other.some((m) => m.type === 'subscribed'), 10_000, 'subscribed after restart');
    expect(v3.lastSeq).toBeGreaterThanOrEqual(before);
    expect((await owner.post(`/api/sessions/${sessionId}/resume`)).status).toBe(202);
    // Running again: a `running` logged after the pause (the replay holds the one from before it too).
    const pausedAt = Math.max(...[...v3.events.entries()].filter(([, e]) => e.type === 'status' && e.status === 'paused').map(([seq]) => seq));
    await eventually(async () => [...v3.events.entries()].some(([seq, e]) => seq > pausedAt && e.type === 'status' && e.status === 'running'), 60_000, 'running again');
    expect(v3.lastSeq).toBeGreaterThan(before);
    expect(readFileSync(path.join(await workspace(), 'hello.txt'), 'utf8')).toBe('hello from the agent\n');

    // Over HTTP this time, sent twice with one clientMessageId (a retry): the second is answered with the first.
    const prompt = { content: 'Are you still there?', clientMessageId: 'retry-1' };
    const sent = await owner.post(`/api/sessions/${sessionId}/message`, prompt);
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ duplicate: false, started: false });
    const again = await owner.post(`/api/sessions/${sessionId}/message`, prompt);
    expect([again.status, again.body]).toEqual([202, { messageId: sent.body.messageId, started: false, duplicate: true }]);
    await v3.waitFor((e) => e.type === 'text_part_complete' && e.text.includes('Still here.'), 'reply after resume');
    v3.close();
  });

  it('after the resume the model gets the earlier turns: the built-in agent loaded its conversation', async () => {
    const request = llm.requests.findLast((r) => JSON.stringify(r.messages.at(-1)).includes('Are you still there'))!;
    const users = request.messages.filter((m: any) => m.role === 'user').map((m: any) => String(m.content));
    expect(users[0]).toContain('Write hello.txt');
    expect(users.at(-1)).toBe('Are you still there?');
    expect(request.messages.some((m: any) => m.role === 'tool' && String(m.content).includes('hello.txt'))).toBe(true);
    expect(request.messages.some((m: any) => m.role === 'assistant' && m.tool_calls?.some((c: any) => c.function.name === 'write_file'))).toBe(true);
    // The replayed conversation was not logged again: one user message and one write_file call, as before the pause.
    const v4 = new Viewer(owner, sessionId);
    await v4.connect(0);
    await eventually(async () => v4.has((e) => e.type === 'text_part_complete' && e.text.includes('Still here.')), 10_000, 'the whole log');
    const events = [...v4.events.values()];
    expect(events.filter((e) => e.type === 'user_message' && e.content.includes('Write hello.txt'))).toHaveLength(1);
    expect(events.filter((e) => e.type === 'user_message' && e.content === 'Are you still there?')).toEqual([expect.objectContaining({ clientMessageId: 'retry-1', source: 'web' })]);
    expect(events.filter((e) => e.type === 'tool_start' && e.tool === 'write_file')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'error' && ['conversation_not_restored', 'agent_restarted'].includes(e.code))).toEqual([]);
    await new Promise((resolve) => {
      v4.ws.once('close', resolve);
      v4.close();
    });
  });
});
