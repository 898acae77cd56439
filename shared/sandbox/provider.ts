/**
 * The port every sandbox provider implements (local, e2b, modal). A provider is stateless: the truth is the database,
 * the sandbox's filesystem and the daemon running inside it. Providers never talk to the agent; the daemon does.
 */

export type SandboxProviderKind = 'local' | 'e2b' | 'modal';

export interface SandboxCapabilities {
  /** The sandbox can be paused and resumed with its memory and processes (E2B). */
  pause: boolean;
  /** Snapshots capture memory as well as files (Modal memory snapshots). */
  memorySnapshot: boolean;
  /** The provider kills a sandbox after this long; null: no limit (local). */
  maxLifetimeMs: number | null;
  /**
   * Sandboxes start from a base snapshot with the daemon's native helpers installed in `daemonDir` (next to the
   * bundle, where it looks for them); null when the provider's sandboxes have them already (local: the host's).
   */
  baseSnapshot: { daemonDir: string } | null;
}

/** Everything the daemon needs to find its way home; the provider passes these as its environment. */
export interface DaemonEnvironment {
  /** Base URL of the HTTP API as seen from inside the sandbox, e.g. http://127.0.0.1:4100 or https://app.example.com */
  PROLIFERATE_API_URL: string;
  /** The WebSocket endpoint, e.g. ws://127.0.0.1:4100/ws or wss://…/ws */
  PROLIFERATE_WS_URL: string;
  PROLIFERATE_SESSION_ID: string;
  PROLIFERATE_SANDBOX_ID: string;
  /** Scoped to this session and this sandbox; the daemon authenticates every call with it. */
  PROLIFERATE_SANDBOX_TOKEN: string;
  /** Where repos are checked out (one folder per configuration repo's workspace path). */
  PROLIFERATE_WORKSPACE: string;
  [extra: string]: string;
}

export interface CreateSandboxOptions {
  sessionId: string;
  /** Chosen by the caller so the daemon's token can name it before the sandbox exists. */
  sandboxId: string;
  /** Restore files (and memory, where supported) from this snapshot instead of starting empty. */
  fromSnapshot?: string | null;
  /** The built daemon (one JavaScript file) the provider copies into the sandbox and starts with `node`. */
  daemonBundle: string;
  env: DaemonEnvironment;
  /** Hint for providers with lifetimes (E2B/Modal timeouts). */
  timeoutMs?: number;
}

export interface SandboxHandle {
  sandboxId: string;
  /** When the provider will kill it (E2B/Modal); null when it lives until terminated. */
  expiresAt: Date | null;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export type SandboxState = 'running' | 'paused' | 'stopped' | 'unknown';

export interface SandboxProvider {
  readonly kind: SandboxProviderKind;
  readonly capabilities: SandboxCapabilities;
  /** Creates a sandbox (from a snapshot if given) and starts the daemon in it. */
  create(options: CreateSandboxOptions): Promise<SandboxHandle>;
  /** Resumes a paused sandbox (or recreates it from its snapshot) and restarts the daemon. */
  resume(sandboxId: string, options: CreateSandboxOptions): Promise<SandboxHandle>;
  /** Stops the sandbox's processes, keeping what `resume` needs; returns the snapshot to resume from. */
  pause(sandboxId: string): Promise<{ snapshotId: string }>;
  /** Captures the sandbox's files (and memory where supported) while it keeps running. */
  snapshot(sandboxId: string, options: { key: string }): Promise<{ snapshotId: string }>;
  /** Idempotent: a sandbox that is already gone is not an error. */
  terminate(sandboxId: string): Promise<void>;
  exec(sandboxId: string, argv: string[], options?: { cwd?: string; timeoutMs?: number; env?: Record<string, string> }): Promise<ExecResult>;
  state(sandboxId: string): Promise<SandboxState>;
  /** A URL that reaches `port` inside the sandbox (a provider tunnel, or localhost for the local provider). */
  tunnelUrl(sandboxId: string, port: number): Promise<string>;
}

/** Raised by providers; the message never contains tokens or keys. */
export class SandboxProviderError extends Error {
  constructor(
    readonly provider: SandboxProviderKind,
    readonly code: 'not_found' | 'unavailable' | 'timeout' | 'failed' | 'unsupported',
    message: string,
  ) {
    super(message);
    this.name = 'SandboxProviderError';
  }
}
