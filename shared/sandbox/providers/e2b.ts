import { readFile } from 'node:fs/promises';
import {
  SandboxProviderError,
  type CreateSandboxOptions,
  type ExecResult,
  type SandboxCapabilities,
  type SandboxHandle,
  type SandboxProvider,
  type SandboxState,
} from '../provider';
import { daemonStartScript, sandboxPaths, shellCommand, type SandboxPaths } from './daemon-launch';
import { isNetworkError, messageOf, providerError, secretValuesOf } from './errors';
import { capOutput, DAEMON_START_TIMEOUT_MS, DEFAULT_EXEC_TIMEOUT_MS, DEFAULT_SANDBOX_TIMEOUT_MS, MAX_CLOUD_SANDBOX_LIFETIME_MS } from './limits';
import type { ProviderLogger } from './logger';

/** The calls of the `e2b` SDK this provider makes, narrow enough to fake in tests (see the default below). */
export interface E2bSdk {
  create(template: string, options: { apiKey: string; timeoutMs: number; metadata: Record<string, string> }): Promise<E2bSandbox>;
  /** Attaches to a running sandbox; a paused one is resumed first. */
  connect(sandboxId: string, options: { apiKey: string; timeoutMs?: number }): Promise<E2bSandbox>;
  /** Pauses with memory: processes are frozen, not stopped. False when it was already paused. */
  pause(sandboxId: string, options: { apiKey: string }): Promise<boolean>;
  /** A persistent snapshot; its id is a template that `create` accepts. */
  createSnapshot(sandboxId: string, options: { apiKey: string }): Promise<{ snapshotId: string }>;
  /** False when there was no such sandbox. */
  kill(sandboxId: string, options: { apiKey: string }): Promise<boolean>;
  getInfo(sandboxId: string, options: { apiKey: string }): Promise<{ state: 'running' | 'paused' }>;
}

export interface E2bSandbox {
  readonly sandboxId: string;
  files: { write(path: string, data: string): Promise<unknown> };
  /** Runs `bash -l -c cmd`; the real SDK throws a `CommandExitError` (with exitCode/stdout/stderr) on a non-zero exit. */
  commands: { run(cmd: string, options: { cwd?: string; envs?: Record<string, string>; timeoutMs?: number }): Promise<{ exitCode: number; stdout: string; stderr: string }> };
  /** `<port>-<sandbox id>.<domain>`, served over TLS by E2B's edge. */
  getHost(port: number): string;
  setTimeout(timeoutMs: number): Promise<void>;
}

export interface E2bSandboxProviderOptions {
  apiKey: string;
  /** The template new sandboxes start from (it needs `node` on its PATH). */
  template: string;
  logger: ProviderLogger;
  /** The SDK; the real `e2b` package by default, loaded on first use. */
  sdk?: E2bSdk;
  /** Home of the template's user: the daemon and the workspace live under it. */
  home?: string;
  /** Lifetime of a sandbox when `create` is given none. */
  defaultTimeoutMs?: number;
}

/** The real SDK behind the narrow interface. */
export async function loadE2bSdk(): Promise<E2bSdk> {
  const { Sandbox } = await import('e2b');
  return {
    create: (template, options) => Sandbox.create(template, options),
    connect: (sandboxId, options) => Sandbox.connect(sandboxId, options),
    pause: (sandboxId, options) => Sandbox.pause(sandboxId, options),
    createSnapshot: (sandboxId, options) => Sandbox.createSnapshot(sandboxId, options),
    kill: (sandboxId, options) => Sandbox.kill(sandboxId, options),
    getInfo: (sandboxId, options) => Sandbox.getInfo(sandboxId, options),
  };
}

/**
 * Sandboxes on E2B. Ids: `create` returns E2B's own sandbox id (the caller's `sandboxId` goes into the sandbox's
 * metadata and the daemon's environment); callers must keep what `create`/`resume` return and use it for every other
 * call. Pause is E2B's memory-preserving pause, and the snapshot it returns is the sandbox id itself: `resume` connects
 * to it (which resumes it) and restarts the daemon with the new environment. `snapshot` makes a persistent E2B
 * snapshot, which `create` accepts as a template. `exec` and `tunnelUrl` attach with connect, which (as E2B does)
 * resumes a paused sandbox: call them on running sandboxes.
 */
export class E2bSandboxProvider implements SandboxProvider {
  readonly kind = 'e2b' as const;
  readonly capabilities: SandboxCapabilities;
  private readonly paths: SandboxPaths;
  private sdkPromise: Promise<E2bSdk> | undefined;

  constructor(private readonly options: E2bSandboxProviderOptions) {
    if (!options.apiKey) throw new SandboxProviderError('e2b', 'failed', 'the e2b provider needs an API key (E2B_API_KEY)');
    if (!options.template) throw new SandboxProviderError('e2b', 'failed', 'the e2b provider needs a template (E2B_TEMPLATE)');
    this.paths = sandboxPaths(options.home ?? '/home/user');
    this.capabilities = { pause: true, memorySnapshot: true, maxLifetimeMs: MAX_CLOUD_SANDBOX_LIFETIME_MS, baseSnapshot: { daemonDir: this.paths.dir } };
    if (options.sdk) this.sdkPromise = Promise.resolve(options.sdk);
  }

  async create(options: CreateSandboxOptions): Promise<SandboxHandle> {
    const sdk = await this.sdk();
    const timeoutMs = this.timeoutOf(options);
    const template = options.fromSnapshot ?? this.options.template;
    const sandbox = await sdk
      .create(template, { apiKey: this.options.apiKey, timeoutMs, metadata: { sessionId: options.sessionId, sandboxId: options.sandboxId } })
      .catch((err: unknown) => {
        throw this.fail(options.fromSnapshot ? `create a sandbox from snapshot ${options.fromSnapshot}` : 'create a sandbox', err, options);
      });
    try {
      await this.startDaemon(sandbox, options);
    } catch (err) {
      await sdk.kill(sandbox.sandboxId, { apiKey: this.options.apiKey }).catch(() => false);
      throw this.fail(`start the daemon in sandbox ${sandbox.sandboxId}`, err, options);
    }
    this.options.logger.info(
      { provider: 'e2b', sandboxId: sandbox.sandboxId, platformSandboxId: options.sandboxId, sessionId: options.sessionId, fromSnapshot: options.fromSnapshot ?? null },
      'sandbox created',
    );
    return { sandboxId: sandbox.sandboxId, expiresAt: new Date(Date.now() + timeoutMs) };
  }

  async resume(sandboxId: string, options: CreateSandboxOptions): Promise<SandboxHandle> {
    const sdk = await this.sdk();
    const timeoutMs = this.timeoutOf(options);
    let sandbox: E2bSandbox;
    try {
      sandbox = await sdk.connect(sandboxId, { apiKey: this.options.apiKey, timeoutMs });
    } catch (err) {
      const snapshot = options.fromSnapshot && options.fromSnapshot !== sandboxId ? options.fromSnapshot : null;
      if (classify(err) !== 'not_found' || !snapshot) throw this.fail(`resume sandbox ${sandboxId}`, err, options);
      // The paused sandbox expired; its persistent snapshot (if the caller had one) brings the files back.
      this.options.logger.warn({ provider: 'e2b', sandboxId, fromSnapshot: snapshot }, 'paused sandbox is gone; creating one from the snapshot');
      return this.create({ ...options, fromSnapshot: snapshot });
    }
    try {
      // connect only ever lengthens a running sandbox's lifetime; this sets it, so expiresAt is true.
      await sandbox.setTimeout(timeoutMs);
      await this.startDaemon(sandbox, options);
    } catch (err) {
      throw this.fail(`restart the daemon in sandbox ${sandboxId}`, err, options);
    }
    this.options.logger.info({ provider: 'e2b', sandboxId: sandbox.sandboxId, platformSandboxId: options.sandboxId, sessionId: options.sessionId }, 'sandbox resumed');
    return { sandboxId: sandbox.sandboxId, expiresAt: new Date(Date.now() + timeoutMs) };
  }

  async pause(sandboxId: string): Promise<{ snapshotId: string }> {
    const sdk = await this.sdk();
    await sdk.pause(sandboxId, { apiKey: this.options.apiKey }).catch((err: unknown) => {
      throw this.fail(`pause sandbox ${sandboxId}`, err);
    });
    this.options.logger.info({ provider: 'e2b', sandboxId }, 'sandbox paused');
    return { snapshotId: sandboxId };
  }

  async snapshot(sandboxId: string, options: { key: string }): Promise<{ snapshotId: string }> {
    const sdk = await this.sdk();
    const { snapshotId } = await sdk.createSnapshot(sandboxId, { apiKey: this.options.apiKey }).catch((err: unknown) => {
      throw this.fail(`snapshot sandbox ${sandboxId}`, err);
    });
    this.options.logger.info({ provider: 'e2b', sandboxId, snapshotId, key: options.key }, 'sandbox snapshotted');
    return { snapshotId };
  }

  async terminate(sandboxId: string): Promise<void> {
    const sdk = await this.sdk();
    try {
      const killed = await sdk.kill(sandboxId, { apiKey: this.options.apiKey });
      this.options.logger.info({ provider: 'e2b', sandboxId, wasThere: killed }, 'sandbox terminated');
    } catch (err) {
      if (classify(err) === 'not_found') return;
      throw this.fail(`terminate sandbox ${sandboxId}`, err);
    }
  }

  async exec(
    sandboxId: string,
    argv: string[],
    options: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {},
  ): Promise<ExecResult> {
    if (argv.length === 0 || !argv[0]) throw new SandboxProviderError('e2b', 'failed', 'exec needs a command');
    const sandbox = await this.attach(sandboxId);
    const cwd = options.cwd === undefined ? this.paths.workspace : options.cwd.startsWith('/') ? options.cwd : `${this.paths.workspace}/${options.cwd}`;
    const timeoutMs = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    try {
      const result = await sandbox.commands.run(shellCommand(argv), { cwd, envs: options.env ?? {}, timeoutMs });
      return { exitCode: result.exitCode, stdout: capOutput(result.stdout), stderr: capOutput(result.stderr) };
    } catch (err) {
      const exited = commandExit(err);
      if (exited) return exited;
      if (classify(err) === 'timeout') throw new SandboxProviderError('e2b', 'timeout', `the command did not finish within ${timeoutMs} ms`);
      throw this.fail(`run a command in sandbox ${sandboxId}`, err, { env: options.env });
    }
  }

  async state(sandboxId: string): Promise<SandboxState> {
    const sdk = await this.sdk();
    try {
      const info = await sdk.getInfo(sandboxId, { apiKey: this.options.apiKey });
      return info.state === 'paused' ? 'paused' : 'running';
    } catch (err) {
      if (classify(err) === 'not_found') return 'stopped';
      throw this.fail(`read the state of sandbox ${sandboxId}`, err);
    }
  }

  async tunnelUrl(sandboxId: string, port: number): Promise<string> {
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new SandboxProviderError('e2b', 'failed', `port ${port} is not a TCP port`);
    const sandbox = await this.attach(sandboxId);
    return `https://${sandbox.getHost(port)}`;
  }

  /** Writes the bundle and (re)starts the daemon; the environment travels with the command, never in its text. */
  private async startDaemon(sandbox: E2bSandbox, options: CreateSandboxOptions): Promise<void> {
    const bundle = await readFile(options.daemonBundle, 'utf8').catch((err: unknown) => {
      throw new SandboxProviderError('e2b', 'failed', `the daemon bundle cannot be read: ${messageOf(err)}`);
    });
    await sandbox.files.write(this.paths.bundle, bundle);
    const envs = { ...options.env, PROLIFERATE_WORKSPACE: this.paths.workspace };
    let result: { exitCode: number; stderr: string };
    try {
      result = await sandbox.commands.run(daemonStartScript(this.paths), { cwd: this.paths.home, envs, timeoutMs: DAEMON_START_TIMEOUT_MS });
    } catch (err) {
      const exited = commandExit(err);
      if (!exited) throw err;
      result = exited;
    }
    if (result.exitCode !== 0) throw new Error(`the daemon did not start (exit ${result.exitCode}): ${result.stderr.trim().slice(0, 500)}`);
  }

  private async attach(sandboxId: string): Promise<E2bSandbox> {
    const sdk = await this.sdk();
    return sdk.connect(sandboxId, { apiKey: this.options.apiKey }).catch((err: unknown) => {
      throw this.fail(`reach sandbox ${sandboxId}`, err);
    });
  }

  private sdk(): Promise<E2bSdk> {
    this.sdkPromise ??= loadE2bSdk();
    return this.sdkPromise;
  }

  private timeoutOf(options: CreateSandboxOptions): number {
    return Math.min(options.timeoutMs ?? this.options.defaultTimeoutMs ?? DEFAULT_SANDBOX_TIMEOUT_MS, MAX_CLOUD_SANDBOX_LIFETIME_MS);
  }

  private fail(action: string, err: unknown, options?: { env?: Record<string, string> }): SandboxProviderError {
    return providerError('e2b', classify(err), action, err, [this.options.apiKey, ...secretValuesOf(options?.env)]);
  }
}

/** The SDK's error classes, told apart by name (stable across its CJS and ESM builds, and easy to fake). */
function classify(err: unknown): SandboxProviderError['code'] {
  if (err instanceof SandboxProviderError) return err.code;
  const name = err instanceof Error ? err.name : '';
  if (name === 'SandboxNotFoundError' || name === 'NotFoundError') return 'not_found';
  if (name === 'TimeoutError') return 'timeout';
  if (name === 'RateLimitError' || name === 'ServiceBusyError' || isNetworkError(err)) return 'unavailable';
  return 'failed';
}

/** The result carried by the SDK's CommandExitError (a command that ran and exited non-zero). */
function commandExit(err: unknown): ExecResult | null {
  if (!(err instanceof Error) || err.name !== 'CommandExitError') return null;
  const e = err as Error & Partial<ExecResult>;
  if (typeof e.exitCode !== 'number') return null;
  return { exitCode: e.exitCode, stdout: capOutput(e.stdout ?? ''), stderr: capOutput(e.stderr ?? '') };
}
