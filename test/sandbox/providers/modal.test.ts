import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CreateSandboxOptions } from '../../../shared/sandbox/provider';
import { ModalSandboxProvider } from '../../../shared/sandbox/providers/modal';
import { createLogger } from '../../../shared/runtime/logger';
import { describeProviderContract, freePort } from './contract';
import { named } from './fakes/fake-e2b';
import { FakeModal } from './fakes/fake-modal';

/*
 * Modal cannot be reached from here, and its API is gRPC with Modal's own protobufs, which no loopback fake can serve
 * to the real client. So the contract runs against FakeModal, a fake at the SDK boundary whose sandboxes are real
 * directories and real processes. The real `modal` client is checked below only for how it fails when Modal is out of
 * reach (a closed loopback port).
 */

const TOKEN_ID = 'ak-0123456789abcdef';
const TOKEN_SECRET = 'as-fedcba9876543210secret';
const logger = createLogger({ level: 'silent' });

describeProviderContract(
  'modal (fake SDK)',
  async () => {
    const fake = new FakeModal();
    // Modal tunnels only ports declared at creation; the fake's sandboxes share this machine's network, so the
    // contract's daemons take these in turn rather than all using one.
    const ports = await Promise.all(Array.from({ length: 8 }, () => freePort()));
    const provider = new ModalSandboxProvider({ tokenId: TOKEN_ID, tokenSecret: TOKEN_SECRET, appName: 'proliferate-test', logger, client: fake, tunnelPorts: ports });
    return {
      provider,
      processesOf: (sandboxId) => fake.machine(sandboxId).processes(),
      reach: FakeModal.loopbackFor,
      missingId: 'sb-missing000',
      ports,
      cleanup: () => fake.close(),
    };
  },
  { pausedState: 'stopped' },
);

describe('ModalSandboxProvider', () => {
  let fake: FakeModal;
  let provider: ModalSandboxProvider;
  let dir: string;
  let bundle: string;

  const optionsFor = (extra: Partial<CreateSandboxOptions> = {}): CreateSandboxOptions => ({
    sessionId: 'sess_modal',
    sandboxId: 'sbx_platform',
    daemonBundle: bundle,
    env: {
      PROLIFERATE_API_URL: 'https://app.example.com',
      PROLIFERATE_WS_URL: 'wss://app.example.com/ws',
      PROLIFERATE_SESSION_ID: 'sess_modal',
      PROLIFERATE_SANDBOX_ID: 'sbx_platform',
      PROLIFERATE_SANDBOX_TOKEN: 'sandbox-token-abcdef123456',
      PROLIFERATE_WORKSPACE: '/workspace',
    },
    timeoutMs: 20 * 60_000,
    ...extra,
  });
  const methods = () => fake.calls.map((c) => c.method);

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'modal-provider-'));
    bundle = path.join(dir, 'daemon.js');
    await writeFile(bundle, 'setInterval(() => {}, 1000);');
    fake = new FakeModal();
    provider = new ModalSandboxProvider({ tokenId: TOKEN_ID, tokenSecret: TOKEN_SECRET, appName: 'proliferate-test', logger, client: fake, tunnelPorts: [4000, 4000, 20000] });
  });

  afterEach(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates in the app from node:22 with the lifetime, workdir, tunnels and tags, and returns Modal’s id', async () => {
    const handle = await provider.create(optionsFor());

    expect(fake.calls.find((c) => c.method === 'apps.fromName')!.args).toEqual(['proliferate-test', { createIfMissing: true }]);
    expect(fake.calls.find((c) => c.method === 'images.fromRegistry')!.args).toEqual(['node:22']);
    expect(fake.params(handle.sandboxId)).toEqual({
      timeoutMs: 20 * 60_000,
      workdir: '/root/workspace',
      encryptedPorts: [4000, 20000],
      tags: { sessionId: 'sess_modal', sandboxId: 'sbx_platform' },
    });
    expect(handle.sandboxId).toMatch(/^sb-/);
    expect(await readFile(fake.machine(handle.sandboxId).hostPath('/root/.proliferate/daemon.js'), 'utf8')).toBe('setInterval(() => {}, 1000);');
  });

  it('starts the daemon with exec, its environment attached to the command and not written into it', async () => {
    await provider.create(optionsFor());

    const [, argv, params] = fake.calls.find((c) => c.method === 'sandbox.exec')!.args as [string, string[], { env: Record<string, string> }];
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv[2]).toContain('node /root/.proliferate/daemon.js');
    expect(argv[2]).not.toContain('sandbox-token-abcdef123456');
    expect(params.env).toMatchObject({ PROLIFERATE_SANDBOX_TOKEN: 'sandbox-token-abcdef123456', PROLIFERATE_WORKSPACE: '/root/workspace' });
  });

  it('uses a configured image id as it is', async () => {
    fake.images.fromRegistry('prebuilt');
    const custom = new ModalSandboxProvider({ tokenId: TOKEN_ID, tokenSecret: TOKEN_SECRET, appName: 'app', logger, client: fake, image: 'im-registry-prebuilt' });

    await custom.create(optionsFor());

    expect(methods()).toContain('images.fromId');
    expect(fake.calls.filter((c) => c.method === 'images.fromRegistry')).toHaveLength(1);
  });

  it('pauses by snapshotting the filesystem and terminating; resume is a new sandbox from that image', async () => {
    const handle = await provider.create(optionsFor());
    fake.calls.length = 0;

    const { snapshotId } = await provider.pause(handle.sandboxId);

    expect(methods()).toEqual(['sandboxes.fromId', 'sandbox.snapshotFilesystem', 'sandbox.terminate']);
    expect(snapshotId).toMatch(/^im-/);
    expect(await provider.state(handle.sandboxId)).toBe('stopped');
    expect(provider.capabilities.pause).toBe(false);

    const resumed = await provider.resume(handle.sandboxId, optionsFor({ sandboxId: 'sbx_next', fromSnapshot: snapshotId }));

    expect(resumed.sandboxId).not.toBe(handle.sandboxId);
    expect(fake.calls.find((c) => c.method === 'images.fromId')!.args).toEqual([snapshotId]);
    expect(await provider.state(resumed.sandboxId)).toBe('running');
    await expect(provider.resume(resumed.sandboxId, optionsFor({ fromSnapshot: null }))).rejects.toMatchObject({ code: 'unsupported' });
  });

  it('keeps the sandbox running when the snapshot before a pause fails', async () => {
    const handle = await provider.create(optionsFor());
    fake.failures.set('sandbox.snapshotFilesystem', named('SnapshotCreationError', 'snapshot failed'));

    await expect(provider.pause(handle.sandboxId)).rejects.toMatchObject({ code: 'failed', message: expect.stringMatching(/before pausing/) });

    expect(methods()).not.toContain('sandbox.terminate');
    expect(await provider.state(handle.sandboxId)).toBe('running');
  });

  it('tunnels only the ports declared at creation', async () => {
    const handle = await provider.create(optionsFor());

    expect(await provider.tunnelUrl(handle.sandboxId, 20000)).toBe(`https://${handle.sandboxId}-20000.modal.test`);
    await expect(provider.tunnelUrl(handle.sandboxId, 3000)).rejects.toMatchObject({ code: 'unsupported', message: expect.stringMatching(/4000, 20000/) });
  });

  it('maps exec deadlines to timeout and runs relative working directories in the workspace', async () => {
    const handle = await provider.create(optionsFor());
    await provider.exec(handle.sandboxId, ['mkdir', 'repo']);

    const inRepo = await provider.exec(handle.sandboxId, ['pwd'], { cwd: 'repo' });
    const slow = provider.exec(handle.sandboxId, ['sleep', '20'], { timeoutMs: 300 });

    expect(inRepo.stdout.trim()).toBe('/root/workspace/repo');
    await expect(slow).rejects.toMatchObject({ code: 'timeout' });
  });

  it('turns SDK errors into SandboxProviderErrors without the token secret or the sandbox token', async () => {
    const unavailable = Object.assign(named('ClientError', `/modal.client.ModalClient/SandboxCreate UNAVAILABLE: token ${TOKEN_SECRET} rejected`), { code: 14 });
    fake.failures.set('sandboxes.create', unavailable);
    const down = provider.create(optionsFor());
    await expect(down).rejects.toMatchObject({ name: 'SandboxProviderError', provider: 'modal', code: 'unavailable' });
    await expect(down).rejects.not.toThrow(TOKEN_SECRET);

    fake.failures.set('sandbox.filesystem.writeText', named('SandboxFilesystemError', 'cannot write for sandbox-token-abcdef123456'));
    const broken = provider.create(optionsFor());
    await expect(broken).rejects.not.toThrow('sandbox-token-abcdef123456');
    // The sandbox whose daemon could not start is not left running.
    expect(methods().slice(-1)).toEqual(['sandbox.terminate']);

    expect(await provider.state('sb-unknown')).toBe('stopped');
    await expect(provider.terminate('sb-unknown')).resolves.toBeUndefined();
  });

  it('needs tokens and an app name', () => {
    expect(() => new ModalSandboxProvider({ tokenId: '', tokenSecret: '', appName: 'a', logger })).toThrow(/MODAL_TOKEN_ID/);
    expect(() => new ModalSandboxProvider({ tokenId: TOKEN_ID, tokenSecret: TOKEN_SECRET, appName: '', logger })).toThrow(/MODAL_APP_NAME/);
  });
});

describe('ModalSandboxProvider on the real modal client', () => {
  const previous = process.env.MODAL_SERVER_URL;

  beforeAll(async () => {
    // A closed loopback port: the real client fails the way it does when Modal is out of reach (after its retries).
    process.env.MODAL_SERVER_URL = `http://127.0.0.1:${await freePort()}`;
  });

  afterAll(() => {
    if (previous === undefined) delete process.env.MODAL_SERVER_URL;
    else process.env.MODAL_SERVER_URL = previous;
  });

  it('reports an unreachable Modal as unavailable, without the token secret', async () => {
    const provider = new ModalSandboxProvider({ tokenId: TOKEN_ID, tokenSecret: TOKEN_SECRET, appName: 'proliferate-test', logger });
    const bundleDir = await mkdtemp(path.join(os.tmpdir(), 'modal-real-'));
    await writeFile(path.join(bundleDir, 'daemon.js'), '');

    const attempt = provider.create({
      sessionId: 's',
      sandboxId: 'sbx_real',
      daemonBundle: path.join(bundleDir, 'daemon.js'),
      env: { PROLIFERATE_API_URL: '', PROLIFERATE_WS_URL: '', PROLIFERATE_SESSION_ID: 's', PROLIFERATE_SANDBOX_ID: 'sbx_real', PROLIFERATE_SANDBOX_TOKEN: 't', PROLIFERATE_WORKSPACE: '' },
    });

    await expect(attempt).rejects.toMatchObject({ name: 'SandboxProviderError', code: 'unavailable' });
    await expect(attempt).rejects.not.toThrow(TOKEN_SECRET);
    await rm(bundleDir, { recursive: true, force: true });
  });
});
