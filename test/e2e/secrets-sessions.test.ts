import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { eq } from 'drizzle-orm';
import { sandboxSession } from '../../shared/db/schema';
import { snapshotObjectKey } from '../../shared/sandbox/providers/local';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { eventually, signUpVerified, startRuntime, type Client, type TestRuntime } from '../support/runtime';
import { makeGitRepo } from '../support/git';

/**
 * Secrets reaching a sandbox end to end, on the embedded runtime with the local provider and the built-in agent: an
 * organisation secret written into the configuration's env file at start, a value given while the session runs
 * (the file is rewritten), snapshots and a pause that capture neither, and no value in the server's log.
 */
const API_TOKEN = 'org-api-token-4c1d9e';
const DB_PASSWORD = 'db-pass-given-7a2f61';
const VALUES = [API_TOKEN, DB_PASSWORD];

let rt: TestRuntime;
let llm: FakeOpenAI;
let owner: Client;
let sessionId: string;
let configurationId: string;
const logged: string[] = [];
let restoreStdout: () => void;

beforeAll(async () => {
  // Everything the server logs (at debug level) is kept, to check no value is ever in it.
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logged.push(String(chunk));
    return typeof rest.at(-1) === 'function' ? ((rest.at(-1) as () => void)(), true) : true;
  }) as typeof process.stdout.write;
  restoreStdout = () => (process.stdout.write = write);

  llm = await startFakeOpenAI({
    script: (req) => {
      const last = req.messages.at(-1);
      if (last?.role === 'tool') return { text: 'I will wait for the value.' };
      if (String(last?.content).includes('database')) {
        return { toolCalls: [{ name: 'proliferate__request_env_variables', arguments: { keys: [{ key: 'DB_PASSWORD', description: 'Password of the dev database' }] } }] };
      }
      return { text: 'OK.' };
    },
  });
  rt = await startRuntime({ LLM_BASE_URL: llm.url, LLM_API_KEY: llm.apiKey, LLM_MODEL: llm.model, LOG_LEVEL: 'debug' });
  const repoDir = makeGitRepo(path.join(rt.dataDir, 'project'), { files: { 'README.md': '# Project\n' } });

  owner = await signUpVerified(rt.url, 'Owner', 'owner@secret-sessions.example');
  await owner.post('/api/orgs', { name: 'Secret Sessions' });
  const added = await owner.post('/api/repos', { path: realpathSync(repoDir) });
  configurationId = added.body.configuration.id;
  await eventually(async () => (await owner.get(`/api/configurations/${configurationId}`)).body.status !== 'building', 60_000, 'the configuration build');
  const spec = { path: '.env', workspacePath: '.', keys: [{ key: 'API_TOKEN', required: true }, { key: 'DB_PASSWORD', required: false }] };
  expect((await owner.patch(`/api/configurations/${configurationId}`, { envFiles: [spec] })).status).toBe(200);
  expect((await owner.post('/api/secrets', { key: 'API_TOKEN', value: API_TOKEN })).status).toBe(201);
}, 120_000);

afterAll(async () => {
  if (sessionId) await owner.delete(`/api/sessions/${sessionId}`);
  await eventually(async () => (await rt.db.db.select().from(sandboxSession).where(eq(sandboxSession.id, sessionId))).length === 0, 20_000, 'session deleted').catch(() => {});
  await rt?.stop();
  await llm?.close();
  restoreStdout?.();
});

const row = async () => (await rt.db.db.select().from(sandboxSession).where(eq(sandboxSession.id, sessionId)))[0];
const sandboxDir = async () => path.join(rt.dataDir, 'sandboxes', (await row()).providerSandboxId!);
const envFile = async () => path.join(await sandboxDir(), 'workspace', '.env');
const jsonFile = async () => path.join(await sandboxDir(), '.proliferate', 'secrets', 'env.json');
const status = async () => (await owner.get(`/api/sessions/${sessionId}`)).body.status;
const events = async () => (await owner.get(`/api/sessions/${sessionId}/events?after=0&limit=5000`)).body.events.map((e: any) => e.event);

/** Every file under `dir` whose bytes contain one of the values. */
function filesContaining(dir: string, values: string[]): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) found.push(...filesContaining(file, values));
    else if (st.isFile() && values.some((v) => readFileSync(file).includes(v))) found.push(file);
  }
  return found;
}

describe('secrets in a session with the local provider', () => {
  it('writes the organisation secret into the env file when the sandbox starts', async () => {
    const created = await owner.post('/api/sessions', { configurationId, sandboxMode: 'immediate', title: 'Secrets session' });
    expect(created.status).toBe(201);
    sessionId = created.body.id;
    await eventually(async () => (await status()) === 'running', 60_000, 'running');
    await eventually(async () => existsSync(await envFile()), 20_000, 'the env file');
    expect(readFileSync(await envFile(), 'utf8')).toBe(`API_TOKEN=${API_TOKEN}\n`);
    expect(statSync(await envFile()).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(await sandboxDir(), 'workspace', '.git', 'info', 'exclude'), 'utf8')).toContain('/.env');
  });

  it('shows the agent’s request_env_variables call in the feed, with the keys and no value', async () => {
    expect((await owner.post(`/api/sessions/${sessionId}/message`, { content: 'Connect to the database' })).status).toBe(202);
    const start = await eventually(async () => (await events()).find((e: any) => e.type === 'tool_start' && e.tool === 'proliferate__request_env_variables'), 30_000, 'the tool call');
    expect(start.args).toEqual({ keys: [{ key: 'DB_PASSWORD', description: 'Password of the dev database' }] });
    await eventually(async () => (await events()).some((e: any) => e.type === 'message_complete'), 30_000, 'the reply');
    const toolResult = llm.requests.at(-1)!.messages.find((m: any) => m.role === 'tool');
    expect(toolResult.content).toContain(`PROLIFERATE_ENV_FILE=${await jsonFile()}`);
  });

  it('takes a value while running: the env file and the env JSON file are rewritten, and it is saved for later', async () => {
    const res = await owner.post(`/api/sessions/${sessionId}/env`, { secrets: [{ key: 'DB_PASSWORD', value: DB_PASSWORD, persist: true }] });
    expect([res.status, res.body]).toEqual([
      200,
      { submitted: true, results: [{ key: 'DB_PASSWORD', persisted: true, alreadyExisted: false }], delivery: { written: ['.env'], missing: [], deferred: false } },
    ]);
    expect(readFileSync(await envFile(), 'utf8')).toBe(`API_TOKEN=${API_TOKEN}\nDB_PASSWORD=${DB_PASSWORD}\n`);
    expect(JSON.parse(readFileSync(await jsonFile(), 'utf8'))).toEqual({ DB_PASSWORD });
    const again = await owner.post(`/api/sessions/${sessionId}/env`, { secrets: [{ key: 'DB_PASSWORD', value: DB_PASSWORD, persist: true }] });
    expect(again.body.results).toEqual([{ key: 'DB_PASSWORD', persisted: false, alreadyExisted: true }]);
    expect((await owner.get('/api/secrets')).body.secrets.map((s: any) => s.key).sort()).toEqual(['API_TOKEN', 'DB_PASSWORD']);
  });

  it('keeps the values out of a snapshot, and writes them back while the session goes on', async () => {
    const before = (await row()).snapshotId;
    expect((await owner.post(`/api/sessions/${sessionId}/snapshot`)).status).toBe(202);
    const snapshotId = await eventually(async () => {
      const r = await row();
      return r.snapshotId !== before && r.snapshotId;
    }, 60_000, 'the snapshot');
    const object = await rt.runtime.container.objects.get(snapshotObjectKey(snapshotId));
    const archive = gunzipSync(object!.body);
    for (const v of VALUES) expect(archive.includes(v)).toBe(false);
    const tarFile = path.join(rt.dataDir, 'snapshot.tar');
    writeFileSync(tarFile, archive);
    const members = execFileSync('tar', ['-tf', tarFile], { encoding: 'utf8' }).split('\n');
    expect(members).toContain('./workspace/README.md');
    expect(members.filter((m) => m.endsWith('/.env') || m.endsWith('secrets/env.json'))).toEqual([]);

    await eventually(async () => existsSync(await envFile()) && existsSync(await jsonFile()), 20_000, 'the files again');
    expect(readFileSync(await envFile(), 'utf8')).toBe(`API_TOKEN=${API_TOKEN}\nDB_PASSWORD=${DB_PASSWORD}\n`);
    expect(await status()).toBe('running');
  });

  it('leaves no value in the paused sandbox; resuming brings the saved ones back', async () => {
    expect((await owner.post(`/api/sessions/${sessionId}/pause`)).status).toBe(202);
    await eventually(async () => (await status()) === 'paused', 30_000, 'paused');
    expect(filesContaining(await sandboxDir(), VALUES)).toEqual([]);

    expect((await owner.post(`/api/sessions/${sessionId}/resume`)).status).toBe(202);
    await eventually(async () => (await status()) === 'running', 60_000, 'running again');
    // DB_PASSWORD was saved as a secret, so the bootstrap brings it too; the env JSON file held a given value only.
    await eventually(async () => existsSync(await envFile()) && readFileSync(await envFile(), 'utf8').includes('DB_PASSWORD'), 20_000, 'the env file after resume');
    expect(readFileSync(await envFile(), 'utf8')).toBe(`API_TOKEN=${API_TOKEN}\nDB_PASSWORD=${DB_PASSWORD}\n`);
    expect(existsSync(await jsonFile())).toBe(false);
  });

  it('never logs a value, nor puts one in the session’s events', async () => {
    const events_ = JSON.stringify(await events());
    const logs = logged.join('');
    const daemonLog = readFileSync(path.join(await sandboxDir(), 'daemon.log'), 'utf8');
    expect(logs).toContain('"path":"/api/sessions/'); // the capture works: request lines are in it
    for (const v of VALUES) {
      expect(logs).not.toContain(v);
      expect(events_).not.toContain(v);
      expect(daemonLog).not.toContain(v);
    }
  });
});
