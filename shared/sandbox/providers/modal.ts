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
import { daemonStartScript, sandboxPaths, type SandboxPaths } from './daemon-launch';
import { isNetworkError, messageOf, providerError, secretValuesOf } from './errors';
import { capOutput, DAEMON_START_TIMEOUT_MS, DEFAULT_EXEC_TIMEOUT_MS, DEFAULT_SANDBOX_TIMEOUT_MS, MAX_CLOUD_SANDBOX_LIFETIME_MS } from './limits';
import type { ProviderLogger } from './logger';

/** The part of `modal`'s ModalClient this provider uses; a real `ModalClient` fits it as it is. */
export interface ModalClientLike {
  apps: { fromName(name: string, params: { createIfMissing: boolean; environment?: string }): Promise<ModalAppLike> };
  images: {
    fromRegistry(tag: string): ModalImageLike;
    fromId(imageId: string): Promise<ModalImageLike>;
  };
  sandboxes: {
    create(app: ModalAppLike, image: ModalImageLike, params: ModalSandboxParams): Promise<ModalSandboxLike>;
    /** Lazy: an unknown id only fails on the next call. */
    fromId(sandboxId: string): Promise<ModalSandboxLike>;
  };
}

// The real App and Image have private fields only; these stand for them.
export type ModalAppLike = object;
export interface ModalImageLike {
  readonly imageId: string;
}

export interface ModalSandboxParams {
  timeoutMs: number;
  workdir: string;
  encryptedPorts: number[];
  tags: Record<string, string>;
  cpu?: number;
  memoryMiB?: number;
}

export interface ModalSandboxLike {
  readonly sandboxId: string;
  exec(command: string[], params: { workdir?: string; env?: Record<string, string>; timeoutMs?: number; mode?: 'text' }): Promise<ModalProcessLike>;
  filesystem: { writeText(data: string, remotePath: string): Promise<void> };
  /** An image of the sandbox's filesystem (no memory, no processes). */
  snapshotFilesystem(): Promise<ModalImageLike>;
  terminate(): Promise<void>;
  /** Null while running, else the exit code. */
  poll(): Promise<number | null>;
  /** Keyed by container port; only ports declared at creation have one. */
  tunnels(timeoutMs?: number): Promise<Record<number, { url: string }>>;
}

export interface ModalProcessLike {
  stdout: { readText(): Promise<string> };
  stderr: { readText(): Promise<string> };
  wait(): Promise<number>;
}

export interface ModalSandboxProviderOptions {
  tokenId: string;
  tokenSecret: string;
  /** The Modal app sandboxes are created in (created if missing). */
  appName: string;
  logger: ProviderLogger;
  /** A registry tag (`node:22`, the default) or a Modal image id (`im-…`); it needs `node` on its PATH. */
  image?: string;
  /** The Modal environment; the API server itself comes from MODAL_SERVER_URL (modal 0.11.1 ignores its `endpoint` option). */
  environment?: string;
  /** Ports reachable through `tunnelUrl`: Modal opens tunnels only for ports declared when a sandbox is created. */
  tunnelPorts?: number[];
  cpu?: number;
  memoryMiB?: number;
  /** Lifetime of a sandbox when `create` is given none. */
  defaultTimeoutMs?: number;
  /** The client; a real `ModalClient` with the tokens above by default, built on first use. */
  client?: ModalClientLike;
}

/** Home of the root user in the default image; the daemon and the workspace live under it. */
const MODAL_HOME = '/root';
const TUNNEL_LOOKUP_TIMEOUT_MS = 30_000;

/**
 * Sandboxes on Modal. Modal cannot pause: `pause` snapshots the filesystem into an image and terminates the sandbox
 * (capabilities.pause is false), and `resume` creates a new sandbox from that image, so it returns a new sandbox id.
 * `create` returns Modal's sandbox id; the caller's sandbox id and session id are tags on the sandbox.
 */
export class ModalSandboxProvider implements SandboxProvider {
  readonly kind = 'modal' as const;
  private readonly paths: SandboxPaths = sandboxPaths(MODAL_HOME);
  readonly capabilities: SandboxCapabilities = {
    pause: false,
    memorySnapshot: false,
    maxLifetimeMs: MAX_CLOUD_SANDBOX_LIFETIME_MS,
    baseSnapshot: { daemonDir: this.paths.dir },
  };
  private readonly tunnelPorts: number[];
  private clientPromise: Promise<ModalClientLike> | undefined;

  constructor(private readonly options: ModalSandboxProviderOptions) {
    if (!options.client && (!options.tokenId || !options.tokenSecret)) {
      throw new SandboxProviderError('modal', 'failed', 'the modal provider needs a token id and secret (MODAL_TOKEN_ID, MODAL_TOKEN_SECRET)');
    }
    if (!options.appName) throw new SandboxProviderError('modal', 'failed', 'the modal provider needs an app name (MODAL_APP_NAME)');
    this.tunnelPorts = [...new Set(options.tunnelPorts ?? [])];
    if (options.client) this.clientPromise = Promise.resolve(options.client);
  }

  async create(options: CreateSandboxOptions): Promise<SandboxHandle> {
    const client = await this.client();
    const timeoutMs = this.timeoutOf(options);
    let sandbox: ModalSandboxLike;
    try {
      const app = await client.apps.fromName(this.options.appName, { createIfMissing: true, ...(this.options.environment ? { environment: this.options.environment } : {}) });
      const image = options.fromSnapshot ? await client.images.fromId(options.fromSnapshot) : await this.baseImage(client);
      sandbox = await client.sandboxes.create(app, image, {
        timeoutMs,
        workdir: this.paths.workspace,
        encryptedPorts: this.tunnelPorts,
        tags: { sessionId: options.sessionId, sandboxId: options.sandboxId },
        ...(this.options.cpu ? { cpu: this.options.cpu } : {}),
        ...(this.options.memoryMiB ? { memoryMiB: this.options.memoryMiB } : {}),
      });
    } catch (err) {
      throw this.fail(options.fromSnapshot ? `create a sandbox from snapshot ${options.fromSnapshot}` : 'create a sandbox', err, options);
    }
    try {
      await this.startDaemon(sandbox, options);
    } catch (err) {
      await sandbox.terminate().catch(() => {});
      throw this.fail(`start the daemon in sandbox ${sandbox.sandboxId}`, err, options);
    }
    this.options.logger.info(
      { provider: 'modal', sandboxId: sandbox.sandboxId, platformSandboxId: options.sandboxId, sessionId: options.sessionId, fromSnapshot: options.fromSnapshot ?? null },
      'sandbox created',
    );
    return { sandboxId: sandbox.sandboxId, expiresAt: new Date(Date.now() + timeoutMs) };
  }

  /** A new sandbox from the snapshot `pause` returned; the old one, should it still run, is terminated. */
  async resume(sandboxId: string, options: CreateSandboxOptions): Promise<SandboxHandle> {
    if (!options.fromSnapshot) {
      throw new SandboxProviderError('modal', 'unsupported', `modal cannot resume sandbox ${sandboxId} without the snapshot its pause returned`);
    }
    const handle = await this.create(options);
    if (handle.sandboxId !== sandboxId) await this.terminate(sandboxId).catch(() => {});
    return handle;
  }

  async pause(sandboxId: string): Promise<{ snapshotId: string }> {
    const sandbox = await this.attach(sandboxId);
    let snapshotId: string;
    try {
      snapshotId = (await sandbox.snapshotFilesystem()).imageId;
    } catch (err) {
      // Without a snapshot, terminating would lose the files: the sandbox keeps running and the caller decides.
      throw this.fail(`snapshot sandbox ${sandboxId} before pausing it`, err);
    }
    await sandbox.terminate().catch((err: unknown) => {
      throw this.fail(`terminate sandbox ${sandboxId} after its snapshot ${snapshotId}`, err);
    });
    this.options.logger.info({ provider: 'modal', sandboxId, snapshotId }, 'sandbox paused (snapshotted and terminated)');
    return { snapshotId };
  }

  async snapshot(sandboxId: string, options: { key: string }): Promise<{ snapshotId: string }> {
    const sandbox = await this.attach(sandboxId);
    try {
      const { imageId } = await sandbox.snapshotFilesystem();
      this.options.logger.info({ provider: 'modal', sandboxId, snapshotId: imageId, key: options.key }, 'sandbox snapshotted');
      return { snapshotId: imageId };
    } catch (err) {
      throw this.fail(`snapshot sandbox ${sandboxId}`, err);
    }
  }

  async terminate(sandboxId: string): Promise<void> {
    const client = await this.client();
    try {
      const sandbox = await client.sandboxes.fromId(sandboxId);
      await sandbox.terminate();
      this.options.logger.info({ provider: 'modal', sandboxId }, 'sandbox terminated');
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
    if (argv.length === 0 || !argv[0]) throw new SandboxProviderError('modal', 'failed', 'exec needs a command');
    const sandbox = await this.attach(sandboxId);
    const workdir = options.cwd === undefined ? this.paths.workspace : options.cwd.startsWith('/') ? options.cwd : `${this.paths.workspace}/${options.cwd}`;
    const timeoutMs = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    try {
      const run = (async () => {
        const proc = await sandbox.exec(argv, { workdir, env: options.env ?? {}, timeoutMs, mode: 'text' });
        const [stdout, stderr, exitCode] = await Promise.all([proc.stdout.readText(), proc.stderr.readText(), proc.wait()]);
        return { exitCode, stdout: capOutput(stdout), stderr: capOutput(stderr) };
      })();
      // Modal kills the process at its timeout; this bounds our wait should its answer not come.
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SandboxProviderError('modal', 'timeout', `the command did not finish within ${timeoutMs} ms`)), timeoutMs);
      });
      run.catch(() => {});
      return await Promise.race([run, expired]);
    } catch (err) {
      throw this.fail(`run a command in sandbox ${sandboxId}`, err, { env: options.env });
    } finally {
      clearTimeout(timer);
    }
  }

  async state(sandboxId: string): Promise<SandboxState> {
    const client = await this.client();
    try {
      const sandbox = await client.sandboxes.fromId(sandboxId);
      return (await sandbox.poll()) === null ? 'running' : 'stopped';
    } catch (err) {
      if (classify(err) === 'not_found') return 'stopped';
      throw this.fail(`read the state of sandbox ${sandboxId}`, err);
    }
  }

  async tunnelUrl(sandboxId: string, port: number): Promise<string> {
    if (!this.tunnelPorts.includes(port)) {
      throw new SandboxProviderError('modal', 'unsupported', `port ${port} has no tunnel: Modal tunnels only the ports declared at creation (${this.tunnelPorts.join(', ') || 'none'})`);
    }
    const sandbox = await this.attach(sandboxId);
    const tunnels = await sandbox.tunnels(TUNNEL_LOOKUP_TIMEOUT_MS).catch((err: unknown) => {
      throw this.fail(`read the tunnels of sandbox ${sandboxId}`, err);
    });
    const tunnel = tunnels[port];
    if (!tunnel) throw new SandboxProviderError('modal', 'not_found', `sandbox ${sandboxId} has no tunnel for port ${port}`);
    return tunnel.url;
  }

  /** Writes the bundle and (re)starts the daemon; the environment travels with the command, never in its text. */
  private async startDaemon(sandbox: ModalSandboxLike, options: CreateSandboxOptions): Promise<void> {
    const bundle = await readFile(options.daemonBundle, 'utf8').catch((err: unknown) => {
      throw new SandboxProviderError('modal', 'failed', `the daemon bundle cannot be read: ${messageOf(err)}`);
    });
    await sandbox.filesystem.writeText(bundle, this.paths.bundle);
    const env = { ...options.env, PROLIFERATE_WORKSPACE: this.paths.workspace, HOME: this.paths.home };
    const proc = await sandbox.exec(['sh', '-c', daemonStartScript(this.paths)], { workdir: this.paths.home, env, timeoutMs: DAEMON_START_TIMEOUT_MS, mode: 'text' });
    const [, stderr, exitCode] = await Promise.all([proc.stdout.readText(), proc.stderr.readText(), proc.wait()]);
    if (exitCode !== 0) throw new Error(`the daemon did not start (exit ${exitCode}): ${stderr.trim().slice(0, 500)}`);
  }

  private async baseImage(client: ModalClientLike): Promise<ModalImageLike> {
    const image = this.options.image ?? 'node:22';
    return image.startsWith('im-') ? client.images.fromId(image) : client.images.fromRegistry(image);
  }

  private async attach(sandboxId: string): Promise<ModalSandboxLike> {
    const client = await this.client();
    return client.sandboxes.fromId(sandboxId).catch((err: unknown) => {
      throw this.fail(`reach sandbox ${sandboxId}`, err);
    });
  }

  private client(): Promise<ModalClientLike> {
    this.clientPromise ??= import('modal').then(
      ({ ModalClient }) =>
        new ModalClient({
          tokenId: this.options.tokenId,
          tokenSecret: this.options.tokenSecret,
          ...(this.options.environment ? { environment: this.options.environment } : {}),
        }),
    );
    return this.clientPromise;
  }

  private timeoutOf(options: CreateSandboxOptions): number {
    return Math.min(options.timeoutMs ?? this.options.defaultTimeoutMs ?? DEFAULT_SANDBOX_TIMEOUT_MS, MAX_CLOUD_SANDBOX_LIFETIME_MS);
  }

  private fail(action: string, err: unknown, options?: { env?: Record<string, string> }): SandboxProviderError {
    return providerError('modal', classify(err), action, err, [this.options.tokenId, this.options.tokenSecret, ...secretValuesOf(options?.env)]);
  }
}

/** gRPC status codes the Modal SDK lets through as `ClientError` (nice-grpc). */
const GRPC = { DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8, UNAVAILABLE: 14 } as const;

/** The SDK's errors told apart by name (and gRPC code for the ones it passes through unwrapped). */
function classify(err: unknown): SandboxProviderError['code'] {
  if (err instanceof SandboxProviderError) return err.code;
  if (!(err instanceof Error)) return 'failed';
  const grpcCode = (err as Error & { code?: unknown }).code;
  if (err.name === 'NotFoundError' || (err.name === 'ClientError' && grpcCode === GRPC.NOT_FOUND)) return 'not_found';
  if (err.name === 'TimeoutError' || err.name === 'SandboxTimeoutError' || (err.name === 'ClientError' && grpcCode === GRPC.DEADLINE_EXCEEDED)) return 'timeout';
  // An exec past its timeoutMs: the SDK's wait() throws a plain Error saying so.
  if (/deadline exceeded/i.test(err.message)) return 'timeout';
  if (err.name === 'ResourceExhaustedError' || (err.name === 'ClientError' && (grpcCode === GRPC.UNAVAILABLE || grpcCode === GRPC.RESOURCE_EXHAUSTED))) return 'unavailable';
  if (isNetworkError(err)) return 'unavailable';
  return 'failed';
}
