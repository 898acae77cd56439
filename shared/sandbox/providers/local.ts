import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, copyFile, cp, mkdir, open, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import type { ObjectsPort } from '../../ports/objects';
import {
  SandboxProviderError,
  type CreateSandboxOptions,
  type ExecResult,
  type SandboxCapabilities,
  type SandboxHandle,
  type SandboxProvider,
  type SandboxState,
} from '../provider';
import { messageOf, providerError, secretValuesOf } from './errors';
import { DAEMON_STOP_GRACE_MS, DEFAULT_EXEC_TIMEOUT_MS, MAX_EXEC_OUTPUT_BYTES } from './limits';
import type { ProviderLogger } from './logger';
import { processHasMarker, stopProcesses } from './processes';
import { packDirectory, unpackArchive } from './tar';

export interface LocalSandboxProviderOptions {
  /** Every sandbox is a folder `<rootDir>/<sandboxId>/`. */
  rootDir: string;
  /** Where snapshots are kept, as `snapshots/<key>.tar.gz`. */
  objects: ObjectsPort;
  logger: ProviderLogger;
  /** The Node.js that runs the daemon; this process's own by default. */
  nodePath?: string;
}

/** Every process a sandbox starts inherits this variable (its folder), which is how terminate finds them all. */
export const LOCAL_SANDBOX_MARKER = 'PROLIFERATE_LOCAL_SANDBOX';
/** What `pause` returns: the folder stays where it is, so resuming from it needs nothing but its id. */
export const LOCAL_PAUSED_PREFIX = 'local:';

const SANDBOX_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const SNAPSHOT_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const WORKSPACE = 'workspace';
const DAEMON_FILE = 'daemon.js';
const DAEMON_LOG = 'daemon.log';
const STATE_FILE = 'state.json';
/** Per-sandbox bookkeeping and the daemon itself stay out of snapshots: a restore always runs today's daemon. */
const NOT_SNAPSHOTTED = [DAEMON_FILE, DAEMON_LOG, STATE_FILE];
const NEVER_SNAPSHOTTED_ANYWHERE = ['node_modules/.cache'];
/** After a command exits, how long its output may still trickle in before processes it left behind are ignored. */
const OUTPUT_DRAIN_MS = 1_000;
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

interface LocalSandboxState {
  sessionId: string;
  status: 'running' | 'paused';
  /** The daemon's pid, which is also its process group (it is started detached). */
  pid: number | null;
  startedAt: string | null;
}

/**
 * Sandboxes as folders and child processes on this machine: how one developer or a small team runs Proliferate.
 * There is no isolation beyond the working directory and a clean environment; the daemon runs as this user.
 *
 * Pause stops every process of the sandbox and keeps its folder; resume starts the daemon again in it (memory is not
 * kept: the daemon starts afresh and brings its services back). Snapshots are tarballs in the object store.
 */
export class LocalSandboxProvider implements SandboxProvider {
  readonly kind = 'local' as const;
  readonly capabilities: SandboxCapabilities = { pause: true, memorySnapshot: false, maxLifetimeMs: null, baseSnapshot: null };
  private readonly rootDir: string;
  private readonly nodePath: string;

  constructor(private readonly options: LocalSandboxProviderOptions) {
    this.rootDir = path.resolve(options.rootDir);
    this.nodePath = options.nodePath ?? process.execPath;
  }

  async create(options: CreateSandboxOptions): Promise<SandboxHandle> {
    const id = this.checkId(options.sandboxId);
    const dir = this.dirOf(id);
    try {
      await mkdir(this.rootDir, { recursive: true });
      await mkdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new SandboxProviderError('local', 'failed', `sandbox ${id} already exists`);
      throw this.fail('create the sandbox', err, options);
    }
    try {
      await mkdir(path.join(dir, WORKSPACE));
      if (options.fromSnapshot) await this.restore(options.fromSnapshot, dir);
      await this.startDaemon(id, options);
    } catch (err) {
      await this.destroy(id);
      throw this.fail('create the sandbox', err, options);
    }
    this.options.logger.info({ provider: 'local', sandboxId: id, sessionId: options.sessionId, fromSnapshot: options.fromSnapshot ?? null }, 'sandbox created');
    return { sandboxId: id, expiresAt: null };
  }

  async resume(sandboxId: string, options: CreateSandboxOptions): Promise<SandboxHandle> {
    const id = this.checkId(sandboxId);
    const dir = this.dirOf(id);
    try {
      if (!(await exists(dir))) {
        // The folder is gone (another machine, a cleaned data directory): rebuild it from the snapshot, if any.
        const snapshot = options.fromSnapshot && options.fromSnapshot !== LOCAL_PAUSED_PREFIX + id ? options.fromSnapshot : null;
        if (!snapshot) throw new SandboxProviderError('local', 'not_found', `sandbox ${id} does not exist and there is no snapshot to rebuild it from`);
        await mkdir(path.join(dir, WORKSPACE), { recursive: true });
        await this.restore(snapshot, dir);
      }
      // A daemon that is still running carries the old environment (sandbox id, token): it makes way for the new one.
      await this.stopAll(id);
      await this.startDaemon(id, options);
    } catch (err) {
      throw this.fail('resume the sandbox', err, options);
    }
    this.options.logger.info({ provider: 'local', sandboxId: id, sessionId: options.sessionId }, 'sandbox resumed');
    return { sandboxId: id, expiresAt: null };
  }

  async pause(sandboxId: string): Promise<{ snapshotId: string }> {
    const id = this.checkId(sandboxId);
    await this.requireExisting(id);
    await this.stopAll(id);
    const state = await this.readState(id);
    await this.writeState(id, { sessionId: state?.sessionId ?? '', status: 'paused', pid: null, startedAt: null });
    this.options.logger.info({ provider: 'local', sandboxId: id }, 'sandbox paused');
    return { snapshotId: LOCAL_PAUSED_PREFIX + id };
  }

  async snapshot(sandboxId: string, options: { key: string }): Promise<{ snapshotId: string }> {
    const id = this.checkId(sandboxId);
    const key = this.checkSnapshotKey(options.key);
    await this.requireExisting(id);
    const archive = await this.tempFile('.tar.gz');
    try {
      await packDirectory(this.dirOf(id), archive, { skipTopLevel: NOT_SNAPSHOTTED, skipAnywhere: NEVER_SNAPSHOTTED_ANYWHERE });
      await this.options.objects.put(snapshotObjectKey(key), await readFile(archive), { contentType: 'application/gzip' });
    } catch (err) {
      throw this.fail('snapshot the sandbox', err);
    } finally {
      await rm(archive, { force: true });
    }
    this.options.logger.info({ provider: 'local', sandboxId: id, snapshotId: key }, 'sandbox snapshotted');
    return { snapshotId: key };
  }

  async terminate(sandboxId: string): Promise<void> {
    const id = this.checkId(sandboxId);
    await this.destroy(id);
    this.options.logger.info({ provider: 'local', sandboxId: id }, 'sandbox terminated');
  }

  async exec(
    sandboxId: string,
    argv: string[],
    options: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {},
  ): Promise<ExecResult> {
    const id = this.checkId(sandboxId);
    await this.requireExisting(id);
    if (argv.length === 0 || !argv[0]) throw new SandboxProviderError('local', 'failed', 'exec needs a command');
    const dir = this.dirOf(id);
    const cwd = await this.cwdInside(id, options.cwd);
    const env = { ...this.baseEnv(dir), ...options.env, [LOCAL_SANDBOX_MARKER]: dir };
    return runCapped(argv, { cwd, env, timeoutMs: options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS });
  }

  async state(sandboxId: string): Promise<SandboxState> {
    const id = this.checkId(sandboxId);
    if (!(await exists(this.dirOf(id)))) return 'stopped';
    const state = await this.readState(id);
    if (state?.pid && (await processHasMarker(state.pid, this.markerOf(id)))) return 'running';
    // No daemon, but the folder holds everything resume needs.
    return 'paused';
  }

  async tunnelUrl(sandboxId: string, port: number): Promise<string> {
    const id = this.checkId(sandboxId);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new SandboxProviderError('local', 'failed', `port ${port} is not a TCP port`);
    await this.requireExisting(id);
    return `http://127.0.0.1:${port}`;
  }

  private async startDaemon(id: string, options: CreateSandboxOptions): Promise<void> {
    const dir = this.dirOf(id);
    const bundle = path.join(dir, DAEMON_FILE);
    await copyFile(options.daemonBundle, bundle).catch((err: unknown) => {
      throw new SandboxProviderError('local', 'failed', `the daemon bundle cannot be read: ${messageOf(err)}`);
    });
    // Only what the daemon needs: this process's environment holds the server's own secrets.
    const env = { ...this.baseEnv(dir), ...options.env, PROLIFERATE_WORKSPACE: path.join(dir, WORKSPACE), HOME: dir, [LOCAL_SANDBOX_MARKER]: dir };
    const log = await open(path.join(dir, DAEMON_LOG), 'a');
    let pid: number | undefined;
    try {
      const child = spawn(this.nodePath, [bundle], { cwd: path.join(dir, WORKSPACE), env, detached: true, stdio: ['ignore', log.fd, log.fd] });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      child.on('error', () => {});
      child.unref();
      pid = child.pid;
    } finally {
      await log.close();
    }
    await this.writeState(id, { sessionId: options.sessionId, status: 'running', pid: pid ?? null, startedAt: new Date().toISOString() });
  }

  /** Restores a snapshot into `dir`: a paused sandbox's folder (`local:<id>`), or a tarball from the object store. */
  private async restore(snapshotId: string, dir: string): Promise<void> {
    if (snapshotId.startsWith(LOCAL_PAUSED_PREFIX)) {
      const source = this.dirOf(this.checkId(snapshotId.slice(LOCAL_PAUSED_PREFIX.length)));
      if (!(await exists(source))) throw new SandboxProviderError('local', 'not_found', `snapshot ${snapshotId} does not exist (its sandbox was terminated)`);
      await cp(source, dir, {
        recursive: true,
        verbatimSymlinks: true,
        filter: (from) => {
          const relative = path.relative(source, from);
          return !NOT_SNAPSHOTTED.includes(relative) && !isToolCache(relative);
        },
      });
      return;
    }
    const key = this.checkSnapshotKey(snapshotId);
    const object = await this.options.objects.get(snapshotObjectKey(key));
    if (!object) throw new SandboxProviderError('local', 'not_found', `snapshot ${key} does not exist`);
    const archive = await this.tempFile('.tar.gz');
    try {
      await writeFile(archive, object.body);
      await unpackArchive(archive, dir);
    } finally {
      await rm(archive, { force: true });
    }
  }

  /** Stops the daemon and everything the sandbox started; the folder stays. */
  private async stopAll(id: string): Promise<void> {
    const state = await this.readState(id);
    await stopProcesses({ pgid: state?.pid ?? null, marker: this.markerOf(id) }, DAEMON_STOP_GRACE_MS);
  }

  /** Stops everything and removes the folder; nothing to do for a sandbox that is already gone. */
  private async destroy(id: string): Promise<void> {
    await this.stopAll(id);
    await rm(this.dirOf(id), { recursive: true, force: true });
  }

  /** The working directory for exec: relative paths are inside the workspace; nothing may leave the sandbox's folder. */
  private async cwdInside(id: string, cwd: string | undefined): Promise<string> {
    const dir = await realpath(this.dirOf(id));
    const wanted = cwd === undefined ? path.join(this.dirOf(id), WORKSPACE) : path.resolve(this.dirOf(id), WORKSPACE, cwd);
    // Symlinks are followed before the check, so a link in the workspace cannot lead out of it.
    const real = await realpath(wanted).catch(() => null);
    if (real === null) throw new SandboxProviderError('local', 'failed', `the working directory ${cwd} does not exist in sandbox ${id}`);
    if (real !== dir && !real.startsWith(dir + path.sep)) throw new SandboxProviderError('local', 'failed', `the working directory ${cwd} is outside sandbox ${id}`);
    return wanted;
  }

  private baseEnv(dir: string): Record<string, string> {
    return {
      PATH: process.env.PATH ?? DEFAULT_PATH,
      LANG: process.env.LANG ?? 'C.UTF-8',
      HOME: dir,
      PROLIFERATE_WORKSPACE: path.join(dir, WORKSPACE),
    };
  }

  private async readState(id: string): Promise<LocalSandboxState | null> {
    const text = await readFile(path.join(this.dirOf(id), STATE_FILE), 'utf8').catch(() => null);
    if (!text) return null;
    try {
      const parsed = JSON.parse(text) as Partial<LocalSandboxState>;
      const pid = typeof parsed.pid === 'number' && Number.isInteger(parsed.pid) && parsed.pid > 0 ? parsed.pid : null;
      return {
        sessionId: typeof parsed.sessionId === 'string' ? parsed.sessionId : '',
        status: parsed.status === 'paused' ? 'paused' : 'running',
        pid,
        startedAt: typeof parsed.startedAt === 'string' ? parsed.startedAt : null,
      };
    } catch {
      return null;
    }
  }

  private async writeState(id: string, state: LocalSandboxState): Promise<void> {
    const file = path.join(this.dirOf(id), STATE_FILE);
    const tmp = `${file}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify(state));
    await rename(tmp, file);
  }

  private async requireExisting(id: string): Promise<void> {
    if (!(await exists(this.dirOf(id)))) throw new SandboxProviderError('local', 'not_found', `sandbox ${id} does not exist`);
  }

  private async tempFile(suffix: string): Promise<string> {
    const dir = path.join(this.rootDir, '.tmp');
    await mkdir(dir, { recursive: true });
    return path.join(dir, `${randomUUID()}${suffix}`);
  }

  private markerOf(id: string) {
    return { name: LOCAL_SANDBOX_MARKER, value: this.dirOf(id) };
  }

  private dirOf(id: string): string {
    return path.join(this.rootDir, id);
  }

  private checkId(id: string): string {
    if (typeof id !== 'string' || !SANDBOX_ID.test(id)) throw new SandboxProviderError('local', 'failed', `invalid sandbox id ${JSON.stringify(id)}`);
    return id;
  }

  private checkSnapshotKey(key: string): string {
    if (typeof key !== 'string' || !SNAPSHOT_KEY.test(key)) throw new SandboxProviderError('local', 'failed', `invalid snapshot key ${JSON.stringify(key)}`);
    return key;
  }

  private fail(action: string, err: unknown, options?: CreateSandboxOptions): SandboxProviderError {
    return providerError('local', 'failed', action, err, secretValuesOf(options?.env));
  }
}

export function snapshotObjectKey(key: string): string {
  return `snapshots/${key}.tar.gz`;
}

/** A node_modules/.cache folder (or something in it), at any depth. */
function isToolCache(relative: string): boolean {
  const segments = relative.split(path.sep);
  return segments.some((segment, i) => segment === 'node_modules' && segments[i + 1] === '.cache');
}

async function exists(file: string): Promise<boolean> {
  return access(file, fsConstants.F_OK).then(
    () => true,
    () => false,
  );
}

/** Runs a command in its own process group; a timeout kills the whole group. Output beyond the cap is dropped. */
function runCapped(argv: string[], options: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const [command, ...args] = argv;
    const child = spawn(command!, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = collector();
    const stderr = collector();
    child.stdout.on('data', stdout.add);
    child.stderr.on('data', stderr.add);
    let settled = false;
    let timedOut = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout.destroy();
      child.stderr.destroy();
      outcome();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, options.timeoutMs);
    child.once('error', (err: NodeJS.ErrnoException) =>
      settle(() => {
        // What a shell answers for a command it cannot find or run, so every provider reports it the same way.
        if (err.code === 'ENOENT') resolve({ exitCode: 127, stdout: '', stderr: `${command}: command not found\n` });
        else if (err.code === 'EACCES') resolve({ exitCode: 126, stdout: '', stderr: `${command}: permission denied\n` });
        else reject(providerError('local', 'failed', 'run the command', err));
      }),
    );
    const finish = (code: number | null, signal: NodeJS.Signals | null) =>
      settle(() => {
        if (timedOut) {
          reject(new SandboxProviderError('local', 'timeout', `the command did not finish within ${options.timeoutMs} ms and was killed`));
          return;
        }
        const exitCode = code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1);
        resolve({ exitCode, stdout: stdout.text(), stderr: stderr.text() });
      });
    child.once('close', finish);
    // A process the command left running in the background may hold its output open: the command itself is done.
    child.once('exit', (code, signal) => setTimeout(() => finish(code, signal), OUTPUT_DRAIN_MS).unref());
  });
}

function collector() {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  return {
    add: (chunk: Buffer) => {
      if (size >= MAX_EXEC_OUTPUT_BYTES) {
        truncated = true;
        return;
      }
      const room = MAX_EXEC_OUTPUT_BYTES - size;
      if (chunk.length > room) truncated = true;
      chunks.push(chunk.subarray(0, room));
      size += Math.min(chunk.length, room);
    },
    text: () => Buffer.concat(chunks).toString('utf8') + (truncated ? '\n[output truncated]' : ''),
  };
}
