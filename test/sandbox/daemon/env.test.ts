import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSandboxBundles, type SandboxBundles } from '../../../scripts/build-sandbox';
import { startFakeOpenAI, type FakeOpenAI } from '../../support/fake-openai';
import { FakeProliferateServer } from './fake-server';
import { bootstrapFor, daemonEnv, makeRepo, startDaemon, type RunningDaemon } from './harness';

/**
 * Env values in the daemon: written from the bootstrap, rewritten when a person gives the running session more
 * (`env` → `env_applied`), kept out of snapshots (removed at `prepare_snapshot`, written again at `resume_prompts`)
 * and removed when the daemon stops. No value ever appears in an event, a message to the server or the daemon's log.
 */
const BOOT_TOKEN = 'boot-token-7f3a';
const NEEDED = 'needed-value-91c2';
const EXTRA = 'extra-9d4e "quoted" $value';
const JSON_ONLY = 'json-only-value-55d1';
const LATE = 'late-value-0b7e';
const VALUES = [BOOT_TOKEN, NEEDED, 'extra-9d4e', JSON_ONLY, LATE, 'override-token-31e9'];

let root: string;
let workspace: string;
let home: string;
let bundles: SandboxBundles;
let llm: FakeOpenAI;
let server: FakeProliferateServer;
let daemon: RunningDaemon;
const envFile = () => path.join(workspace, 'app', '.env');
const jsonFile = () => path.join(home, 'secrets', 'env.json');

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'daemon-env-'));
  workspace = path.join(root, 'workspace');
  home = path.join(root, 'home');
  const source = makeRepo(path.join(root, 'source'));
  bundles = await buildSandboxBundles();
  llm = await startFakeOpenAI({
    script: (req) => {
      const last = req.messages[req.messages.length - 1];
      if (last.role === 'tool') return { text: 'Noted.' };
      const text = String(last.content);
      if (text.includes('[ask]')) return { toolCalls: [{ name: 'proliferate__request_env_variables', arguments: { keys: [{ key: 'NEEDED', description: 'the API token' }] } }] };
      if (text.includes('[read]')) return { toolCalls: [{ name: 'run_command', arguments: { command: 'test -r "$PROLIFERATE_ENV_FILE" && echo "readable at $PROLIFERATE_ENV_FILE"' } }] };
      return { text: 'Hello.' };
    },
  });
  server = await new FakeProliferateServer(
    'sandbox-token-env',
    bootstrapFor({
      repos: [{ repoId: 'r1', url: source, branch: 'main', workspacePath: 'app' }],
      envFiles: [
        {
          path: '.env',
          workspacePath: 'app',
          format: 'dotenv',
          mode: 'secret',
          keys: [
            { key: 'API_TOKEN', required: true },
            { key: 'NEEDED', required: true },
            { key: 'EXTRA', required: false },
          ],
        },
      ],
      envValues: { API_TOKEN: BOOT_TOKEN },
      llm: { baseUrl: llm.url, apiKey: llm.apiKey, model: llm.model },
    }),
  ).start();
  daemon = startDaemon(bundles.daemon, daemonEnv(server, { workspace, home }));
  await server.waitFor('hello', () => server.messages('hello').length > 0);
}, 120_000);

afterAll(async () => {
  await daemon?.stop();
  await server?.close();
  await llm?.close();
  rmSync(root, { recursive: true, force: true });
});

async function sendEnv(requestId: string, values: Record<string, string>) {
  server.send({ type: 'env', requestId, values });
  return server.waitFor(`env_applied ${requestId}`, () => server.messages('env_applied').find((m) => m.requestId === requestId));
}

function prompt(id: string, content: string) {
  server.send({ type: 'prompt', promptId: `p-${id}`, content, messageId: id });
  const reply = `${id}-reply`;
  return server.waitFor(`the end of ${reply}`, () => server.ofType('message_complete').find((e) => e.messageId === reply));
}

test('at boot a required key without a value leaves the env file unwritten and says which key', async () => {
  const error = await server.waitFor('env_missing', () => server.ofType('error').find((e) => e.code === 'env_missing'));
  expect(error.message).toContain('NEEDED');
  expect(error.message).not.toContain('API_TOKEN,');
  expect(existsSync(envFile())).toBe(false);
});

test('values given while it runs complete the env file and land in the env JSON file (0600 in a 0700 folder)', async () => {
  const applied = await sendEnv('e1', { NEEDED, JSON_ONLY });
  expect(applied).toEqual({ type: 'env_applied', requestId: 'e1', written: ['app/.env'], missing: [], deferred: false });
  expect(readFileSync(envFile(), 'utf8')).toBe(`API_TOKEN=${BOOT_TOKEN}\nNEEDED=${NEEDED}\n`);
  expect(JSON.parse(readFileSync(jsonFile(), 'utf8'))).toEqual({ NEEDED, JSON_ONLY });
  expect(statSync(jsonFile()).mode & 0o777).toBe(0o600);
  expect(statSync(path.dirname(jsonFile())).mode & 0o777).toBe(0o700);
  expect(statSync(envFile()).mode & 0o777).toBe(0o600);

  // More values later: the file is rewritten with them; a given value wins over the bootstrap's.
  expect(await sendEnv('e2', { EXTRA, API_TOKEN: 'override-token-31e9' })).toMatchObject({ written: ['app/.env'], missing: [], deferred: false });
  expect(readFileSync(envFile(), 'utf8')).toBe(`API_TOKEN=override-token-31e9\nNEEDED=${NEEDED}\nEXTRA="extra-9d4e \\"quoted\\" $value"\n`);
  expect(Object.keys(JSON.parse(readFileSync(jsonFile(), 'utf8')))).toEqual(['NEEDED', 'JSON_ONLY', 'EXTRA', 'API_TOKEN']);
});

test('the agent is told where the env JSON file is, and can read it', async () => {
  await prompt('m-ask', '[ask] I need a token');
  const toolResult = llm.requests.at(-1)!.messages.find((m: any) => m.role === 'tool');
  expect(toolResult.content).toContain(`PROLIFERATE_ENV_FILE=${jsonFile()}`);
  expect(server.toolAttempts.find((a) => a.tool === 'request_env_variables')?.args).toEqual({ keys: [{ key: 'NEEDED', description: 'the API token', type: 'secret', required: true }] });

  await prompt('m-read', '[read] check the file');
  const end = server.ofType('tool_end').find((e) => e.result?.includes('readable at'));
  expect(end?.result).toContain(`readable at ${jsonFile()}`);
});

test('a snapshot finds no secret file; values given meanwhile wait; resume writes everything again', async () => {
  server.send({ type: 'prepare_snapshot', requestId: 'snap-env', waitMs: 5_000 });
  await server.waitFor('snapshot_ready', () => server.messages('snapshot_ready').find((m) => m.requestId === 'snap-env'));
  expect(existsSync(envFile())).toBe(false);
  expect(existsSync(jsonFile())).toBe(false);

  expect(await sendEnv('e3', { LATE })).toEqual({ type: 'env_applied', requestId: 'e3', written: [], missing: [], deferred: true });
  expect(existsSync(envFile())).toBe(false);
  expect(existsSync(jsonFile())).toBe(false);

  server.send({ type: 'resume_prompts' });
  await server.waitFor('the env file again', () => existsSync(envFile()) && existsSync(jsonFile()));
  expect(readFileSync(envFile(), 'utf8')).toContain(`NEEDED=${NEEDED}\n`);
  expect(JSON.parse(readFileSync(jsonFile(), 'utf8'))).toMatchObject({ NEEDED, LATE });
});

test('no value is in any event, any message to the server, or the daemon log; stopping removes the files', async () => {
  const toServer = JSON.stringify(server.received);
  const logs = daemon.logs();
  for (const v of VALUES) {
    expect(toServer).not.toContain(v);
    expect(logs).not.toContain(v);
  }
  expect(logs).toContain('env values received');
  expect(server.invalid).toEqual([]);

  await daemon.stop();
  expect(existsSync(envFile())).toBe(false);
  expect(existsSync(jsonFile())).toBe(false);
});
