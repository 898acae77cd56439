import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { E2bSandbox, E2bSdk } from '../../../../shared/sandbox/providers/e2b';
import { FakeMachine } from './fake-machine';

/**
 * E2B at the SDK boundary. E2B's control API is HTTP, but commands and files go to envd on a per-sandbox TLS host
 * (`<port>-<id>.e2b.app`), which cannot be served on loopback, so the fake implements the narrow SDK surface the
 * provider uses. Each fake sandbox is a FakeMachine (a real directory and real processes); pause freezes its processes
 * (SIGSTOP) as E2B's memory-preserving pause does, and connect thaws them. Errors carry the SDK's error names.
 */
export class FakeE2b implements E2bSdk {
  readonly calls: Array<{ method: string; args: unknown[] }> = [];
  /** Makes the next call of a method throw this error instead. */
  readonly failures = new Map<string, Error>();
  private readonly sandboxes = new Map<string, { machine: FakeMachine; state: 'running' | 'paused'; metadata: Record<string, string> }>();
  private readonly snapshots = new Map<string, string>();
  private counter = 0;
  private baseDir: string | undefined;

  constructor(
    private readonly apiKey: string,
    private readonly templates: string[] = ['base'],
  ) {}

  async create(template: string, options: { apiKey: string; timeoutMs: number; metadata: Record<string, string> }): Promise<E2bSandbox> {
    this.record('create', template, options);
    const id = `e2b${++this.counter}${Math.random().toString(36).slice(2, 8)}`;
    const root = path.join(await this.dir(), id);
    const snapshot = this.snapshots.get(template);
    if (snapshot) {
      await mkdir(root, { recursive: true });
      await new FakeMachine(snapshot, '/home/user').copyFilesTo(root);
    } else if (!this.templates.includes(template)) {
      throw named('NotFoundError', `template '${template}' not found`);
    }
    const machine = snapshot ? new FakeMachine(root, '/home/user') : await FakeMachine.boot(root, '/home/user');
    this.sandboxes.set(id, { machine, state: 'running', metadata: options.metadata });
    return this.handle(id);
  }

  async connect(sandboxId: string, options: { apiKey: string; timeoutMs?: number }): Promise<E2bSandbox> {
    this.record('connect', sandboxId, options);
    const sandbox = this.find(sandboxId);
    if (sandbox.state === 'paused') {
      await sandbox.machine.thaw();
      sandbox.state = 'running';
    }
    return this.handle(sandboxId);
  }

  async pause(sandboxId: string, options: { apiKey: string }): Promise<boolean> {
    this.record('pause', sandboxId, options);
    const sandbox = this.find(sandboxId);
    if (sandbox.state === 'paused') return false;
    await sandbox.machine.freeze();
    sandbox.state = 'paused';
    return true;
  }

  async createSnapshot(sandboxId: string, options: { apiKey: string }): Promise<{ snapshotId: string }> {
    this.record('createSnapshot', sandboxId, options);
    const sandbox = this.find(sandboxId);
    const snapshotId = `snapshot${++this.counter}:default`;
    const dir = path.join(await this.dir(), `snapshot-${this.counter}`);
    await sandbox.machine.copyFilesTo(dir);
    this.snapshots.set(snapshotId, dir);
    return { snapshotId };
  }

  async kill(sandboxId: string, options: { apiKey: string }): Promise<boolean> {
    this.record('kill', sandboxId, options);
    const sandbox = this.sandboxes.get(sandboxId);
    if (!sandbox) return false;
    this.sandboxes.delete(sandboxId);
    await sandbox.machine.destroy();
    return true;
  }

  async getInfo(sandboxId: string, options: { apiKey: string }): Promise<{ state: 'running' | 'paused' }> {
    this.record('getInfo', sandboxId, options);
    return { state: this.find(sandboxId).state };
  }

  /** The fake sandbox behind an id (for assertions that look inside). */
  machine(sandboxId: string): FakeMachine {
    return this.find(sandboxId).machine;
  }

  metadata(sandboxId: string): Record<string, string> {
    return this.find(sandboxId).metadata;
  }

  /** Where a URL from getHost leads on this machine: the port itself, served on loopback. */
  static loopbackFor(url: string): string {
    const match = /^https:\/\/(\d+)-[\w]+\.e2b\.test(\/.*)?$/.exec(url);
    if (!match) throw new Error(`not a fake e2b tunnel URL: ${url}`);
    return `http://127.0.0.1:${match[1]}${match[2] ?? '/'}`;
  }

  async close(): Promise<void> {
    for (const id of [...this.sandboxes.keys()]) await this.kill(id, { apiKey: this.apiKey });
    if (this.baseDir) await rm(this.baseDir, { recursive: true, force: true });
  }

  private handle(sandboxId: string): E2bSandbox {
    const running = () => {
      const sandbox = this.find(sandboxId);
      if (sandbox.state !== 'running') throw named('SandboxError', `sandbox ${sandboxId} is paused`);
      return sandbox.machine;
    };
    return {
      sandboxId,
      files: {
        write: async (file: string, data: string) => {
          this.record('files.write', sandboxId, file);
          await running().writeFile(file, data);
          return { path: file };
        },
      },
      commands: {
        run: async (cmd: string, options: { cwd?: string; envs?: Record<string, string>; timeoutMs?: number }) => {
          this.record('commands.run', sandboxId, cmd, options);
          const result = await running().run(['bash', '-c', cmd], { cwd: options.cwd, env: options.envs, timeoutMs: options.timeoutMs });
          if (result.timedOut) throw named('TimeoutError', '[deadline_exceeded] the operation timed out');
          if (result.exitCode !== 0) throw Object.assign(named('CommandExitError', `exit status ${result.exitCode}`), result);
          return { exitCode: 0, stdout: result.stdout, stderr: result.stderr };
        },
      },
      getHost: (port: number) => `${port}-${sandboxId}.e2b.test`,
      setTimeout: async (timeoutMs: number) => {
        this.record('setTimeout', sandboxId, timeoutMs);
      },
    };
  }

  private find(sandboxId: string) {
    const sandbox = this.sandboxes.get(sandboxId);
    if (!sandbox) throw named('SandboxNotFoundError', `sandbox ${sandboxId} not found`);
    return sandbox;
  }

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const options = args.find((a): a is { apiKey: string } => typeof a === 'object' && a !== null && 'apiKey' in a);
    if (options && options.apiKey !== this.apiKey) throw named('AuthenticationError', 'Unauthorized, please check your credentials.');
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      throw failure;
    }
  }

  private async dir(): Promise<string> {
    this.baseDir ??= await mkdtemp(path.join(os.tmpdir(), 'fake-e2b-'));
    return this.baseDir;
  }
}

/** An error shaped like the SDK's: its class name is its `name`. */
export function named(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}
