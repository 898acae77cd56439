import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SandboxProviderError, type CreateSandboxOptions } from '../../../shared/sandbox/provider';
import { E2bSandboxProvider } from '../../../shared/sandbox/providers/e2b';
import { createLogger } from '../../../shared/runtime/logger';
import { describeProviderContract } from './contract';
import { FakeE2b, named } from './fakes/fake-e2b';

/*
 * E2B cannot be reached from here, and no loopback fake can stand in for all of it: commands and files go to envd on a
 * per-sandbox TLS host (`<port>-<id>.<domain>`). So the contract runs against FakeE2b, a fake at the SDK boundary whose
 * sandboxes are real directories and real processes. The control-API calls the real SDK makes (state, terminate,
 * pause) are also checked below against a loopback HTTP server, through the real `e2b` package.
 */

const API_KEY = 'e2b_0123456789abcdef0123456789abcdef';
const logger = createLogger({ level: 'silent' });

describeProviderContract(
  'e2b (fake SDK)',
  async () => {
    const fake = new FakeE2b(API_KEY);
    const provider = new E2bSandboxProvider({ apiKey: API_KEY, template: 'base', logger, sdk: fake });
    return {
      provider,
      processesOf: (sandboxId) => fake.machine(sandboxId).processes(),
      reach: FakeE2b.loopbackFor,
      missingId: 'e2bmissing000',
      cleanup: () => fake.close(),
    };
  },
  { pausedState: 'paused' },
);

describe('E2bSandboxProvider', () => {
  let fake: FakeE2b;
  let provider: E2bSandboxProvider;
  let dir: string;
  let bundle: string;

  const optionsFor = (extra: Partial<CreateSandboxOptions> = {}): CreateSandboxOptions => ({
    sessionId: 'sess_e2b',
    sandboxId: 'sbx_platform',
    daemonBundle: bundle,
    env: {
      PROLIFERATE_API_URL: 'https://app.example.com',
      PROLIFERATE_WS_URL: 'wss://app.example.com/ws',
      PROLIFERATE_SESSION_ID: 'sess_e2b',
      PROLIFERATE_SANDBOX_ID: 'sbx_platform',
      PROLIFERATE_SANDBOX_TOKEN: 'sandbox-token-abcdef123456',
      PROLIFERATE_WORKSPACE: '/workspace',
    },
    timeoutMs: 30 * 60_000,
    ...extra,
  });
  const methods = () => fake.calls.map((c) => c.method);

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'e2b-provider-'));
    bundle = path.join(dir, 'daemon.js');
    await writeFile(bundle, 'setInterval(() => {}, 1000);');
    fake = new FakeE2b(API_KEY, ['base', 'custom-template']);
    provider = new E2bSandboxProvider({ apiKey: API_KEY, template: 'custom-template', logger, sdk: fake });
  });

  afterEach(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates from the template with the key, lifetime and ids, and returns E2B’s own sandbox id', async () => {
    const before = Date.now();

    const handle = await provider.create(optionsFor());

    const create = fake.calls.find((c) => c.method === 'create')!;
    expect(create.args).toEqual(['custom-template', { apiKey: API_KEY, timeoutMs: 30 * 60_000, metadata: { sessionId: 'sess_e2b', sandboxId: 'sbx_platform' } }]);
    expect(handle.sandboxId).not.toBe('sbx_platform');
    expect(handle.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 30 * 60_000);
    expect(fake.metadata(handle.sandboxId)).toEqual({ sessionId: 'sess_e2b', sandboxId: 'sbx_platform' });
    expect(await readFile(fake.machine(handle.sandboxId).hostPath('/home/user/.proliferate/daemon.js'), 'utf8')).toBe('setInterval(() => {}, 1000);');
  });

  it('starts the daemon with its environment attached to the command, never written into it', async () => {
    await provider.create(optionsFor());

    const start = fake.calls.find((c) => c.method === 'commands.run')!;
    const [, script, options] = start.args as [string, string, { envs: Record<string, string>; cwd: string }];
    expect(script).toContain('node /home/user/.proliferate/daemon.js');
    expect(script).not.toContain('sandbox-token-abcdef123456');
    expect(options.envs).toMatchObject({ PROLIFERATE_SANDBOX_TOKEN: 'sandbox-token-abcdef123456', PROLIFERATE_WORKSPACE: '/home/user/workspace' });
  });

  it('creates from a snapshot by using it as the template', async () => {
    const first = await provider.create(optionsFor());
    const { snapshotId } = await provider.snapshot(first.sandboxId, { key: 'k1' });

    await provider.create(optionsFor({ fromSnapshot: snapshotId }));

    expect(fake.calls.filter((c) => c.method === 'create').map((c) => c.args[0])).toEqual(['custom-template', snapshotId]);
  });

  it('pauses with E2B’s pause and resumes with connect, keeping the sandbox id and setting a fresh lifetime', async () => {
    const handle = await provider.create(optionsFor());

    const { snapshotId } = await provider.pause(handle.sandboxId);
    const paused = await provider.state(handle.sandboxId);
    fake.calls.length = 0;
    const resumed = await provider.resume(handle.sandboxId, optionsFor({ sandboxId: 'sbx_next', fromSnapshot: snapshotId, timeoutMs: 60_000 }));

    expect(snapshotId).toBe(handle.sandboxId);
    expect(paused).toBe('paused');
    expect(resumed.sandboxId).toBe(handle.sandboxId);
    expect(methods()).toEqual(['connect', 'setTimeout', 'files.write', 'commands.run']);
    expect(fake.calls[1]!.args).toEqual([handle.sandboxId, 60_000]);
    expect(await provider.state(handle.sandboxId)).toBe('running');
  });

  it('recreates from a persistent snapshot when the paused sandbox is gone, and says not_found when there is none', async () => {
    const handle = await provider.create(optionsFor());
    const { snapshotId } = await provider.snapshot(handle.sandboxId, { key: 'k' });
    await provider.terminate(handle.sandboxId);

    const rebuilt = await provider.resume(handle.sandboxId, optionsFor({ fromSnapshot: snapshotId }));
    const missing = provider.resume(handle.sandboxId, optionsFor({ fromSnapshot: handle.sandboxId }));

    expect(rebuilt.sandboxId).not.toBe(handle.sandboxId);
    await expect(missing).rejects.toMatchObject({ name: 'SandboxProviderError', provider: 'e2b', code: 'not_found' });
  });

  it('maps a non-zero exit to a result, a deadline to timeout, and resolves relative working directories in the workspace', async () => {
    const handle = await provider.create(optionsFor());
    await provider.exec(handle.sandboxId, ['mkdir', '-p', 'repo']);

    const failed = await provider.exec(handle.sandboxId, ['sh', '-c', 'echo nope >&2; exit 4'], { cwd: 'repo' });
    const slow = provider.exec(handle.sandboxId, ['sleep', '20'], { timeoutMs: 300 });

    expect(failed).toEqual({ exitCode: 4, stdout: '', stderr: 'nope\n' });
    expect(fake.calls.filter((c) => c.method === 'commands.run').at(-1)!.args[2]).toMatchObject({ cwd: '/home/user/workspace/repo' });
    await expect(slow).rejects.toMatchObject({ code: 'timeout' });
  });

  it('tunnels through E2B’s host for the port, over https', async () => {
    const handle = await provider.create(optionsFor());

    expect(await provider.tunnelUrl(handle.sandboxId, 3000)).toBe(`https://3000-${handle.sandboxId}.e2b.test`);
    await expect(provider.tunnelUrl(handle.sandboxId, 0)).rejects.toBeInstanceOf(SandboxProviderError);
  });

  it('turns SDK errors into SandboxProviderErrors that never carry the API key or the sandbox token', async () => {
    fake.failures.set('create', named('RateLimitError', `Rate limit exceeded for key ${API_KEY}`));
    const limited = provider.create(optionsFor());
    await expect(limited).rejects.toMatchObject({ name: 'SandboxProviderError', code: 'unavailable' });
    await expect(limited).rejects.not.toThrow(API_KEY);

    fake.failures.set('files.write', named('SandboxError', 'write refused: PROLIFERATE_SANDBOX_TOKEN=sandbox-token-abcdef123456'));
    const broken = provider.create(optionsFor());
    await expect(broken).rejects.toMatchObject({ code: 'failed' });
    await expect(broken).rejects.not.toThrow('sandbox-token-abcdef123456');
    // The sandbox whose daemon could not start is not left running.
    expect(methods().slice(-1)).toEqual(['kill']);

    const wrongKey = new E2bSandboxProvider({ apiKey: 'e2b_wrongwrongwrongwrong', template: 'base', logger, sdk: fake });
    const denied = wrongKey.create(optionsFor());
    await expect(denied).rejects.toMatchObject({ code: 'failed', message: expect.stringMatching(/Unauthorized/) });
  });

  it('treats a sandbox E2B no longer knows as stopped and terminating it as done', async () => {
    expect(await provider.state('e2bgone')).toBe('stopped');
    await expect(provider.terminate('e2bgone')).resolves.toBeUndefined();
    await expect(provider.pause('e2bgone')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('needs an API key and a template', () => {
    expect(() => new E2bSandboxProvider({ apiKey: '', template: 'base', logger })).toThrow(/E2B_API_KEY/);
    expect(() => new E2bSandboxProvider({ apiKey: API_KEY, template: '', logger })).toThrow(/E2B_TEMPLATE/);
  });
});

describe('E2bSandboxProvider on the real e2b SDK (control API on loopback)', () => {
  let server: Server;
  let requests: Array<{ method: string; url: string; apiKey: string | undefined }>;
  let reply: (req: IncomingMessage) => { status: number; body: unknown };
  const previousApiUrl = process.env.E2B_API_URL;

  beforeAll(async () => {
    // e2b's CommonJS build requires chalk 5, which is ESM-only: Node 22 loads it, Jest's CommonJS runtime cannot.
    // Colours do not matter here, so a plain stand-in takes its place (jest.config could transform chalk instead).
    const chalk = require.resolve('chalk', { paths: [path.dirname(require.resolve('e2b'))] });
    const plain = (text: unknown) => String(text);
    jest.doMock(chalk, () => ({ __esModule: true, default: new Proxy({}, { get: (_, name) => (name === 'hex' || name === 'rgb' ? () => plain : plain) }) }));
    requests = [];
    server = createServer((req, res) => {
      requests.push({ method: req.method!, url: req.url!, apiKey: req.headers['x-api-key'] as string | undefined });
      const { status, body } = reply(req);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // The SDK reads its API address from here; envd (commands, files) would still need E2B's TLS hosts.
    process.env.E2B_API_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    if (previousApiUrl === undefined) delete process.env.E2B_API_URL;
    else process.env.E2B_API_URL = previousApiUrl;
    await new Promise((resolve) => server.close(resolve));
  });

  const provider = () => new E2bSandboxProvider({ apiKey: API_KEY, template: 'base', logger });

  it('reads state, pauses and terminates with the key in X-API-KEY', async () => {
    reply = (req) => {
      if (req.method === 'GET') {
        return {
          status: 200,
          body: { sandboxID: 'isb1', templateID: 'base', clientID: 'c', startedAt: new Date().toISOString(), endAt: new Date().toISOString(), state: 'paused', cpuCount: 2, memoryMB: 512, envdVersion: '0.2.0', diskSizeMB: 1 },
        };
      }
      if (req.method === 'DELETE') return { status: 404, body: { code: 404, message: 'sandbox not found' } };
      return { status: 204, body: null };
    };

    expect(await provider().state('isb1')).toBe('paused');
    await expect(provider().terminate('isb1')).resolves.toBeUndefined();
    expect(await provider().pause('isb1')).toEqual({ snapshotId: 'isb1' });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /sandboxes/isb1', 'DELETE /sandboxes/isb1', 'POST /sandboxes/isb1/pause']);
    expect(requests.every((r) => r.apiKey === API_KEY)).toBe(true);
  });

  it('reports a missing sandbox as stopped and an auth failure without the key', async () => {
    reply = (req) => (req.method === 'GET' ? { status: 404, body: { code: 404, message: 'not found' } } : { status: 401, body: { code: 401, message: `Invalid API key ${API_KEY}` } });

    expect(await provider().state('isb2')).toBe('stopped');
    const denied = provider().pause('isb2');
    await expect(denied).rejects.toMatchObject({ name: 'SandboxProviderError', code: 'failed' });
    await expect(denied).rejects.not.toThrow(API_KEY);
  });
});
