import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SandboxProviderError, type CreateSandboxOptions, type SandboxHandle, type SandboxProvider } from '../../../shared/sandbox/provider';

/** A provider wired for the contract, with the few things only its test setup can know. */
export interface ProviderUnderTest {
  provider: SandboxProvider;
  /** The live processes of a sandbox as this machine sees them (every provider here runs real ones). */
  processesOf(sandboxId: string): Promise<number[]>;
  /** A tunnel URL made fetchable from this test process (the local provider's is already). */
  reach(url: string): string;
  /** An id in the provider's format that names no sandbox. */
  missingId: string;
  /** Ports the daemons must serve on (taken in turn), for providers that tunnel only ports declared up front. */
  ports?: number[];
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  /** The state after `pause`: `paused` where the sandbox waits in place (local, E2B), `stopped` where pause snapshots and terminates (Modal). */
  pausedState: 'paused' | 'stopped';
}

/**
 * A stand-in daemon: it records its environment and pid in the workspace, starts a "service" in a session of its
 * own (as the real daemon's service manager does, so stopping only the daemon's group would miss it), and answers
 * HTTP on CONTRACT_PORT. It exits on SIGTERM without stopping the service: cleaning up is the provider's job.
 */
const TEST_DAEMON = `
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');
const id = process.env.PROLIFERATE_SANDBOX_ID;
const service = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
service.unref();
const server = http.createServer((req, res) => res.end('daemon ' + id));
server.listen(Number(process.env.CONTRACT_PORT), '127.0.0.1', () => {
  const env = {};
  for (const key of Object.keys(process.env)) if (key.startsWith('PROLIFERATE_') || key === 'CONTRACT_PORT') env[key] = process.env[key];
  const record = { pid: process.pid, servicePid: service.pid, cwd: process.cwd(), env, envNames: Object.keys(process.env) };
  fs.writeFileSync(path.join(process.env.PROLIFERATE_WORKSPACE, 'daemon-' + id + '.json'), JSON.stringify(record));
});
process.on('SIGTERM', () => process.exit(0));
`;

interface DaemonRecord {
  pid: number;
  servicePid: number;
  cwd: string;
  env: Record<string, string>;
  envNames: string[];
}

const SERVER_SECRET_NAME = 'CONTRACT_SERVER_SECRET';

export function describeProviderContract(name: string, makeProvider: () => Promise<ProviderUnderTest>, options: ContractOptions): void {
  describe(`${name} provider contract`, () => {
    let under: ProviderUnderTest;
    let provider: SandboxProvider;
    let bundleDir: string;
    let bundle: string;
    let live: string[] = [];
    let counter = 0;

    beforeAll(async () => {
      // Something only the server has: a sandbox must never see it.
      process.env[SERVER_SECRET_NAME] = 'the-server-secret';
      bundleDir = await mkdtemp(path.join(os.tmpdir(), 'contract-daemon-'));
      bundle = path.join(bundleDir, 'daemon.js');
      await writeFile(bundle, TEST_DAEMON);
      under = await makeProvider();
      provider = under.provider;
    });

    afterEach(async () => {
      for (const id of live) await provider.terminate(id).catch(() => {});
      live = [];
    });

    afterAll(async () => {
      delete process.env[SERVER_SECRET_NAME];
      await under?.cleanup();
      await rm(bundleDir, { recursive: true, force: true });
    });

    async function optionsFor(extra: Partial<CreateSandboxOptions> = {}): Promise<CreateSandboxOptions & { port: number }> {
      counter += 1;
      const sandboxId = `sbx_contract${counter}${Math.random().toString(36).slice(2, 8)}`;
      const port = under.ports ? under.ports[counter % under.ports.length]! : await freePort();
      return {
        sessionId: 'sess_contract',
        sandboxId,
        daemonBundle: bundle,
        env: {
          PROLIFERATE_API_URL: 'http://127.0.0.1:4100',
          PROLIFERATE_WS_URL: 'ws://127.0.0.1:4100/ws',
          PROLIFERATE_SESSION_ID: 'sess_contract',
          PROLIFERATE_SANDBOX_ID: sandboxId,
          PROLIFERATE_SANDBOX_TOKEN: `token-for-${sandboxId}`,
          PROLIFERATE_WORKSPACE: '/workspace',
          CONTRACT_PORT: String(port),
        },
        timeoutMs: 10 * 60_000,
        port,
        ...extra,
      };
    }

    async function create(extra: Partial<CreateSandboxOptions> = {}) {
      const opts = await optionsFor(extra);
      const handle = await provider.create(opts);
      live.push(handle.sandboxId);
      return { handle, opts };
    }

    /** The record the daemon of `platformSandboxId` wrote, read through exec (the daemon starts in the background). */
    async function daemonRecord(handle: SandboxHandle, platformSandboxId: string): Promise<DaemonRecord> {
      for (const deadline = Date.now() + 20_000; ; ) {
        const read = await provider.exec(handle.sandboxId, ['cat', `daemon-${platformSandboxId}.json`]);
        if (read.exitCode === 0 && read.stdout.trim().endsWith('}')) return JSON.parse(read.stdout) as DaemonRecord;
        if (Date.now() > deadline) throw new Error(`the daemon of ${platformSandboxId} never wrote its record: ${read.stderr}`);
        await sleep(100);
      }
    }

    it('create starts the daemon with the environment given, in the workspace, and nothing of the server', async () => {
      const { handle, opts } = await create();
      expect(typeof handle.sandboxId).toBe('string');
      if (handle.expiresAt !== null) expect(handle.expiresAt.getTime()).toBeGreaterThan(Date.now());

      const record = await daemonRecord(handle, opts.sandboxId);
      const workspace = (await provider.exec(handle.sandboxId, ['pwd'])).stdout.trim();

      expect(record.env).toMatchObject({
        PROLIFERATE_SESSION_ID: 'sess_contract',
        PROLIFERATE_SANDBOX_ID: opts.sandboxId,
        PROLIFERATE_SANDBOX_TOKEN: `token-for-${opts.sandboxId}`,
        PROLIFERATE_API_URL: 'http://127.0.0.1:4100',
        PROLIFERATE_WS_URL: 'ws://127.0.0.1:4100/ws',
      });
      // The provider says where the workspace is: exec starts there, and so does the daemon.
      expect(record.env.PROLIFERATE_WORKSPACE).toBe(workspace);
      expect(record.cwd).toBe(workspace);
      expect(record.envNames).not.toContain(SERVER_SECRET_NAME);
      expect(await provider.state(handle.sandboxId)).toBe('running');
    });

    it('exec returns output and exit code, and honours cwd, env and arguments as given', async () => {
      const { handle } = await create();

      const failed = await provider.exec(handle.sandboxId, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
      await provider.exec(handle.sandboxId, ['mkdir', '-p', 'sub dir']);
      const inSub = await provider.exec(handle.sandboxId, ['pwd'], { cwd: 'sub dir' });
      const withEnv = await provider.exec(handle.sandboxId, ['sh', '-c', 'printf %s "$GREETING"'], { env: { GREETING: 'hi there' } });
      const literal = await provider.exec(handle.sandboxId, ['printf', '%s|', 'a b', "it's", '$HOME', '*', '"q"']);
      const missing = await provider.exec(handle.sandboxId, ['no-such-command-contract']);

      expect(failed).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
      expect(inSub.exitCode).toBe(0);
      expect(inSub.stdout.trim().endsWith('/sub dir')).toBe(true);
      expect(withEnv.stdout).toBe('hi there');
      expect(literal.stdout).toBe(`a b|it's|$HOME|*|"q"|`);
      expect(missing.exitCode).toBe(127);
    });

    it('exec gives up at its timeout and the command does not keep running', async () => {
      const { handle } = await create();

      const slow = provider.exec(handle.sandboxId, ['sh', '-c', 'echo $$ > slow.pid; exec sleep 30'], { timeoutMs: 1_000 });

      await expect(slow).rejects.toMatchObject({ name: 'SandboxProviderError', code: 'timeout' });
      const pid = Number((await provider.exec(handle.sandboxId, ['cat', 'slow.pid'])).stdout.trim());
      expect(pid).toBeGreaterThan(0);
      await eventually(async () => !(await isRunning(pid)), 'the timed-out command is still running');
    });

    it('a sandbox created from a snapshot has the files, and runs its own daemon', async () => {
      const { handle: first, opts: firstOpts } = await create();
      await daemonRecord(first, firstOpts.sandboxId);
      await provider.exec(first.sandboxId, ['sh', '-c', 'mkdir -p notes && echo remembered > notes/a.txt']);

      const { snapshotId } = await provider.snapshot(first.sandboxId, { key: `contract-${Date.now()}` });
      const { handle: second, opts: secondOpts } = await create({ fromSnapshot: snapshotId });
      const record = await daemonRecord(second, secondOpts.sandboxId);

      expect((await provider.exec(second.sandboxId, ['cat', 'notes/a.txt'])).stdout).toBe('remembered\n');
      expect(record.env.PROLIFERATE_SANDBOX_ID).toBe(secondOpts.sandboxId);
      expect(await provider.state(first.sandboxId)).toBe('running');
      expect(await fetchText(under.reach(await provider.tunnelUrl(second.sandboxId, secondOpts.port)))).toBe(`daemon ${secondOpts.sandboxId}`);
    });

    it('pause stops every process; resume restarts the daemon with the new environment and the files intact', async () => {
      const { handle, opts } = await create();
      const before = await daemonRecord(handle, opts.sandboxId);
      await provider.exec(handle.sandboxId, ['sh', '-c', 'echo kept > kept.txt']);
      const processes = await under.processesOf(handle.sandboxId);
      expect(processes).toEqual(expect.arrayContaining([before.pid, before.servicePid]));

      const { snapshotId } = await provider.pause(handle.sandboxId);

      expect(typeof snapshotId).toBe('string');
      expect(await provider.state(handle.sandboxId)).toBe(options.pausedState);
      for (const pid of processes) expect(await isRunning(pid)).toBe(false);

      const next = await optionsFor({ fromSnapshot: snapshotId });
      const resumed = await provider.resume(handle.sandboxId, next);
      live.push(resumed.sandboxId);
      const after = await daemonRecord(resumed, next.sandboxId);

      expect(await provider.state(resumed.sandboxId)).toBe('running');
      expect((await provider.exec(resumed.sandboxId, ['cat', 'kept.txt'])).stdout).toBe('kept\n');
      expect(after.env.PROLIFERATE_SANDBOX_TOKEN).toBe(`token-for-${next.sandboxId}`);
      expect(await isRunning(after.pid)).toBe(true);
      await eventually(async () => !(await isRunning(before.pid)), 'the old daemon still runs after resume');
      expect(await fetchText(under.reach(await provider.tunnelUrl(resumed.sandboxId, next.port)))).toBe(`daemon ${next.sandboxId}`);
    });

    it('terminate stops every process, leaves the sandbox stopped, and can be repeated', async () => {
      const { handle, opts } = await create();
      const record = await daemonRecord(handle, opts.sandboxId);
      const processes = await under.processesOf(handle.sandboxId);
      expect(processes).toEqual(expect.arrayContaining([record.pid, record.servicePid]));

      await provider.terminate(handle.sandboxId);
      await provider.terminate(handle.sandboxId);

      expect(await provider.state(handle.sandboxId)).toBe('stopped');
      for (const pid of processes) expect(await isRunning(pid)).toBe(false);
      await expect(provider.exec(handle.sandboxId, ['true'])).rejects.toBeInstanceOf(SandboxProviderError);
    });

    it('tunnelUrl reaches a port served inside the sandbox', async () => {
      const { handle, opts } = await create();
      await daemonRecord(handle, opts.sandboxId);

      const url = await provider.tunnelUrl(handle.sandboxId, opts.port);

      expect(await fetchText(under.reach(url))).toBe(`daemon ${opts.sandboxId}`);
    });

    it('a sandbox that does not exist is stopped, terminating it is fine, and using it is not_found', async () => {
      expect(await provider.state(under.missingId)).toBe('stopped');
      await expect(provider.terminate(under.missingId)).resolves.toBeUndefined();
      await expect(provider.exec(under.missingId, ['true'])).rejects.toMatchObject({ name: 'SandboxProviderError', code: 'not_found' });
    });
  });
}

/** Live and not stopped: a frozen (SIGSTOP) or finished (zombie) process does not run. */
export async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  return !['T', 't', 'Z', 'X'].includes(state ?? '');
}

async function eventually(check: () => Promise<boolean>, message: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; !(await check()); ) {
    if (Date.now() > deadline) throw new Error(message);
    await sleep(50);
  }
}

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url);
  return res.text();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
