import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FsObjects } from '../../../shared/adapters/local/objects';
import { SandboxProviderError, type CreateSandboxOptions } from '../../../shared/sandbox/provider';
import { LOCAL_SANDBOX_MARKER, LocalSandboxProvider } from '../../../shared/sandbox/providers/local';
import { processesWithMarker } from '../../../shared/sandbox/providers/processes';
import { createLogger } from '../../../shared/runtime/logger';
import { describeProviderContract, isRunning } from './contract';

// The local provider runs for real: folders under a temporary root, real daemons, snapshots in a real object store.
describeProviderContract(
  'local',
  async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'local-sandboxes-'));
    const provider = new LocalSandboxProvider({ rootDir: path.join(root, 'sandboxes'), objects: new FsObjects(path.join(root, 'objects')), logger: createLogger({ level: 'silent' }) });
    return {
      provider,
      processesOf: (sandboxId) => processesWithMarker({ name: LOCAL_SANDBOX_MARKER, value: path.join(root, 'sandboxes', sandboxId) }),
      reach: (url) => url,
      missingId: 'sbx_never_created',
      cleanup: () => rm(root, { recursive: true, force: true }),
    };
  },
  { pausedState: 'paused' },
);

describe('LocalSandboxProvider', () => {
  let root: string;
  let objects: FsObjects;
  let provider: LocalSandboxProvider;
  let bundle: string;
  const live: string[] = [];

  /** A daemon that writes which bundle it is, then idles. */
  const daemonSource = (version: string) =>
    `require('node:fs').writeFileSync(require('node:path').join(process.env.PROLIFERATE_WORKSPACE, 'version.txt'), '${version}'); setInterval(() => {}, 1000);`;

  const optionsFor = (sandboxId: string, extra: Partial<CreateSandboxOptions> = {}): CreateSandboxOptions => ({
    sessionId: 'sess_local',
    sandboxId,
    daemonBundle: bundle,
    env: {
      PROLIFERATE_API_URL: 'http://127.0.0.1:4100',
      PROLIFERATE_WS_URL: 'ws://127.0.0.1:4100/ws',
      PROLIFERATE_SESSION_ID: 'sess_local',
      PROLIFERATE_SANDBOX_ID: sandboxId,
      PROLIFERATE_SANDBOX_TOKEN: 'secret-sandbox-token-value',
      PROLIFERATE_WORKSPACE: '/workspace',
    },
    ...extra,
  });

  const create = async (sandboxId: string, extra: Partial<CreateSandboxOptions> = {}) => {
    const handle = await provider.create(optionsFor(sandboxId, extra));
    live.push(handle.sandboxId);
    return handle;
  };

  const dirOf = (sandboxId: string) => path.join(root, 'sandboxes', sandboxId);

  const waitForFile = async (file: string): Promise<string> => {
    for (const deadline = Date.now() + 10_000; ; ) {
      const text = await readFile(file, 'utf8').catch(() => null);
      if (text) return text;
      if (Date.now() > deadline) throw new Error(`${file} never appeared`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'local-provider-'));
    objects = new FsObjects(path.join(root, 'objects'));
    provider = new LocalSandboxProvider({ rootDir: path.join(root, 'sandboxes'), objects, logger: createLogger({ level: 'silent' }) });
    bundle = path.join(root, 'daemon.js');
    await writeFile(bundle, daemonSource('v1'));
  });

  afterEach(async () => {
    for (const id of live.splice(0)) await provider.terminate(id);
    await writeFile(bundle, daemonSource('v1'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reports pause as supported (it stops the processes and keeps the folder) and no lifetime limit', () => {
    expect(provider.capabilities).toEqual({ pause: true, memorySnapshot: false, maxLifetimeMs: null, baseSnapshot: null });
  });

  it('keeps exec inside the sandbox: no working directory outside its folder, not even through a symlink', async () => {
    await create('sbx_cwd');
    await symlink('/etc', path.join(dirOf('sbx_cwd'), 'workspace', 'escape'));

    await expect(provider.exec('sbx_cwd', ['pwd'], { cwd: '../..' })).rejects.toThrow(/outside sandbox sbx_cwd/);
    await expect(provider.exec('sbx_cwd', ['pwd'], { cwd: '/etc' })).rejects.toThrow(/outside/);
    await expect(provider.exec('sbx_cwd', ['pwd'], { cwd: 'escape' })).rejects.toThrow(/outside/);
    await expect(provider.exec('sbx_cwd', ['pwd'], { cwd: 'missing' })).rejects.toThrow(/does not exist/);
    expect((await provider.exec('sbx_cwd', ['pwd'], { cwd: '..' })).stdout.trim()).toBe(dirOf('sbx_cwd'));
  });

  it('caps each output stream at 1 MiB', async () => {
    await create('sbx_cap');

    const result = await provider.exec('sbx_cap', [process.execPath, '-e', "process.stdout.write('x'.repeat(3 * 1024 * 1024))"]);

    expect(result.exitCode).toBe(0);
    expect(result.stdout.startsWith('x'.repeat(1024 * 1024))).toBe(true);
    expect(result.stdout.endsWith('[output truncated]')).toBe(true);
    expect(result.stdout.length).toBeLessThan(1024 * 1024 + 100);
  });

  it('stores a snapshot as snapshots/<key>.tar.gz without the daemon, its log, its state or tool caches', async () => {
    await create('sbx_snap');
    const dir = dirOf('sbx_snap');
    await waitForFile(path.join(dir, 'workspace', 'version.txt'));
    await mkdir(path.join(dir, 'workspace', 'app', 'node_modules', '.cache', 'swc'), { recursive: true });
    await writeFile(path.join(dir, 'workspace', 'app', 'node_modules', '.cache', 'swc', 'blob'), 'cache');
    await writeFile(path.join(dir, 'workspace', 'app', 'node_modules', 'kept.js'), 'module');
    await writeFile(path.join(dir, '.gitconfig'), '[user]\n');

    const { snapshotId } = await provider.snapshot('sbx_snap', { key: 'cfg-1.v2' });

    expect(snapshotId).toBe('cfg-1.v2');
    const stored = await objects.get('snapshots/cfg-1.v2.tar.gz');
    expect(stored?.contentType).toBe('application/gzip');
    const archive = path.join(root, 'listing.tar.gz');
    await writeFile(archive, stored!.body);
    const members = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(members).toEqual(expect.arrayContaining(['./.gitconfig', './workspace/version.txt', './workspace/app/node_modules/kept.js']));
    expect(members.filter((m) => /daemon\.js|daemon\.log|state\.json|\.cache/.test(m))).toEqual([]);
  });

  it('restores a snapshot with the current daemon bundle, never the one it was taken with', async () => {
    await create('sbx_old');
    await waitForFile(path.join(dirOf('sbx_old'), 'workspace', 'version.txt'));
    await rm(path.join(dirOf('sbx_old'), 'workspace', 'version.txt'));
    const { snapshotId } = await provider.snapshot('sbx_old', { key: 'daemon-upgrade' });
    await writeFile(bundle, daemonSource('v2'));

    await create('sbx_new', { fromSnapshot: snapshotId });

    await expect(waitForFile(path.join(dirOf('sbx_new'), 'workspace', 'version.txt'))).resolves.toBe('v2');
    expect(await readFile(path.join(dirOf('sbx_new'), 'daemon.js'), 'utf8')).toContain("'v2'");
  });

  it('creates a sandbox from a paused one (local:<id>), copying its folder', async () => {
    await create('sbx_paused_src');
    await writeFile(path.join(dirOf('sbx_paused_src'), 'workspace', 'work.txt'), 'in progress');
    const { snapshotId } = await provider.pause('sbx_paused_src');

    await create('sbx_copy', { fromSnapshot: snapshotId });

    expect(snapshotId).toBe('local:sbx_paused_src');
    expect(await readFile(path.join(dirOf('sbx_copy'), 'workspace', 'work.txt'), 'utf8')).toBe('in progress');
    expect(await provider.state('sbx_paused_src')).toBe('paused');
  });

  it('rebuilds a sandbox whose folder is gone from its snapshot on resume, and refuses without one', async () => {
    await create('sbx_lost');
    await writeFile(path.join(dirOf('sbx_lost'), 'workspace', 'saved.txt'), 'saved');
    const { snapshotId } = await provider.snapshot('sbx_lost', { key: 'lost-1' });
    await provider.terminate('sbx_lost');

    await expect(provider.resume('sbx_lost', optionsFor('sbx_lost'))).rejects.toMatchObject({ code: 'not_found' });
    await provider.resume('sbx_lost', optionsFor('sbx_lost', { fromSnapshot: snapshotId }));

    expect(await readFile(path.join(dirOf('sbx_lost'), 'workspace', 'saved.txt'), 'utf8')).toBe('saved');
    expect(await provider.state('sbx_lost')).toBe('running');
  });

  it('reports a sandbox whose daemon died as paused (resume starts it again), and refuses ids that are paths', async () => {
    await create('sbx_crash');
    const { pid } = JSON.parse(await readFile(path.join(dirOf('sbx_crash'), 'state.json'), 'utf8')) as { pid: number };
    process.kill(-pid, 'SIGKILL');
    for (let i = 0; i < 100 && (await isRunning(pid)); i++) await new Promise((r) => setTimeout(r, 20));

    expect(await provider.state('sbx_crash')).toBe('paused');
    await expect(provider.state('../etc')).rejects.toBeInstanceOf(SandboxProviderError);
    await expect(provider.create(optionsFor('a/b'))).rejects.toThrow(/invalid sandbox id/);
  });

  it('refuses to create a sandbox twice and cleans up after a failed create, without naming the token', async () => {
    await create('sbx_twice');

    await expect(provider.create(optionsFor('sbx_twice'))).rejects.toThrow(/already exists/);
    const failed = provider.create(optionsFor('sbx_nobundle', { daemonBundle: path.join(root, 'missing.js') }));
    await expect(failed).rejects.toMatchObject({ code: 'failed' });
    await expect(failed).rejects.not.toThrow(/secret-sandbox-token-value/);
    expect(await provider.state('sbx_nobundle')).toBe('stopped');
    await expect(provider.create(optionsFor('sbx_nosnap', { fromSnapshot: 'no-such-key' }))).rejects.toMatchObject({ code: 'not_found' });
  });
});
