import { randomBytes } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import * as z from 'zod';
import { SandboxProviderKindSchema, type SnapshotBuildTask } from '../../contracts/repos';
import type { Db } from '../../db/client';
import { configuration, configurationRepo, repo } from '../../db/schema';
import type { Clock } from '../../ports';
import { SandboxProviderError, type DaemonEnvironment, type SandboxProvider, type SandboxProviderKind } from '../../sandbox/provider';
import { BASE_SETUP_NO_NODE, baseSetupScript } from '../../sandbox/providers/daemon-launch';
import { baseSnapshotFor, finishBaseSnapshot } from './base-snapshots';
import type { DomainLogger } from './configurations';

/** Thrown for what may pass on its own (provider unavailable or timing out, a network hiccup while cloning): retried. */
export class SnapshotTransientError extends Error {
  override readonly name = 'SnapshotTransient';
}

/** Thrown for what a retry will not fix (bad URL, missing branch, no access, no repos): the build fails at once. */
export class SnapshotBuildError extends Error {
  override readonly name = 'SnapshotBuildFailed';
}

/** The configuration was deleted while its build ran. */
export class ConfigurationGoneError extends Error {
  override readonly name = 'ConfigurationGone';
}

export interface BuildPlan {
  configurationId: string;
  organizationId: string;
  buildId: string;
  provider: SandboxProviderKind;
  repos: { repoId: string; url: string; branch: string; workspacePath: string }[];
  /** The provider's base layer for this daemon, when it is ready: the build starts from it. */
  baseSnapshotId?: string | null;
}

export interface SandboxBuildDeps {
  provider: SandboxProvider;
  /** The built daemon the provider copies into the sandbox; its version is the snapshot's version key. */
  daemon(): Promise<{ path: string; version: string }>;
  endpoints: { apiUrl: string; wsUrl: string };
  logger: DomainLogger;
  /** How long one clone may take. */
  cloneTimeoutMs?: number;
}

export interface SnapshotBuildDeps {
  db: Db;
  clock: Clock;
  logger: DomainLogger;
  provider(kind: SandboxProviderKind): SandboxProvider;
  daemon(): Promise<{ path: string; version: string }>;
  endpoints: { apiUrl: string; wsUrl: string };
}

const CLONE_TIMEOUT_MS = 15 * 60_000;
/** Clone failures that are about the network, not about the repository. */
const TRANSIENT_GIT = /could not resolve host|connection (timed out|reset|refused)|operation timed out|early eof|unexpected disconnect|rpc failed|remote end hung up|temporary failure|http 5\d\d|returned error: 5\d\d/i;

/** What a build needs: the configuration's provider and its repos with the branch and folder of each. */
export async function loadBuildPlan(db: Db, ref: { configurationId: string; organizationId: string; buildId: string }): Promise<BuildPlan> {
  const [cfg] = await db
    .select({ id: configuration.id, provider: configuration.sandboxProvider })
    .from(configuration)
    .where(and(eq(configuration.id, ref.configurationId), eq(configuration.organizationId, ref.organizationId)));
  if (!cfg) throw new ConfigurationGoneError(`configuration ${ref.configurationId} no longer exists`);
  const repos = await db
    .select({ repoId: repo.id, url: repo.url, branch: repo.defaultBranch, workspacePath: configurationRepo.workspacePath })
    .from(configurationRepo)
    .innerJoin(repo, eq(repo.id, configurationRepo.repoId))
    .where(eq(configurationRepo.configurationId, cfg.id))
    .orderBy(asc(configurationRepo.workspacePath));
  return { ...ref, provider: SandboxProviderKindSchema.catch('local').parse(cfg.provider), repos };
}

/**
 * Builds a configuration snapshot in a throwaway sandbox:
 * 1. create a sandbox (the provider starts the daemon in it; this sandbox belongs to no session),
 * 2. clone every repo into its workspace folder at its default branch,
 * 3. snapshot the sandbox under a key made of the configuration id and the build id (a retried build overwrites it),
 * 4. terminate the sandbox, whatever happened.
 * The version key is the daemon's version: sessions only start from snapshots built for the daemon they run.
 *
 * Later the daemon clones the repos itself from its bootstrap and the build waits for it to report ready; until that
 * exists, the clone runs here through `exec`, relative to the sandbox's workspace (exec's default directory).
 */
export async function buildSnapshot(deps: SandboxBuildDeps, plan: BuildPlan): Promise<{ snapshotId: string; versionKey: string }> {
  if (plan.repos.length === 0) throw new SnapshotBuildError('The configuration has no repos to build a snapshot of');
  const { provider } = deps;
  const daemon = await deps.daemon();
  const sandboxId = `build_${randomBytes(9).toString('base64url')}`;
  const env: DaemonEnvironment = {
    PROLIFERATE_API_URL: deps.endpoints.apiUrl,
    PROLIFERATE_WS_URL: deps.endpoints.wsUrl,
    PROLIFERATE_SESSION_ID: `build-${plan.configurationId}`,
    PROLIFERATE_SANDBOX_ID: sandboxId,
    // No session owns this sandbox, so no token is minted: the daemon's calls are refused and it only idles.
    PROLIFERATE_SANDBOX_TOKEN: 'snapshot-build',
    PROLIFERATE_WORKSPACE: '/workspace',
  };
  const handle = await guard(() => provider.create({ sessionId: env.PROLIFERATE_SESSION_ID, sandboxId, fromSnapshot: plan.baseSnapshotId ?? null, daemonBundle: daemon.path, env }));
  try {
    for (const r of plan.repos) {
      const argv = ['git', 'clone', '--no-tags', '--branch', r.branch, '--', r.url, r.workspacePath];
      const result = await guard(() =>
        provider.exec(handle.sandboxId, argv, { timeoutMs: deps.cloneTimeoutMs ?? CLONE_TIMEOUT_MS, env: { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } }),
      );
      if (result.exitCode !== 0) {
        const detail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ').slice(0, 800);
        const message = `git clone of ${r.url} (branch ${r.branch}) into ${r.workspacePath} failed: ${detail || `exit code ${result.exitCode}`}`;
        throw TRANSIENT_GIT.test(detail) ? new SnapshotTransientError(message) : new SnapshotBuildError(message);
      }
    }
    const { snapshotId } = await guard(() => provider.snapshot(handle.sandboxId, { key: `${plan.configurationId}-${plan.buildId}` }));
    return { snapshotId, versionKey: daemon.version };
  } finally {
    await provider.terminate(handle.sandboxId).catch((err: unknown) => {
      deps.logger.warn({ sandboxId: handle.sandboxId, err: err instanceof Error ? err.message : String(err) }, 'build sandbox could not be terminated');
    });
  }
}

/** How long installing the base layer's helpers may take. */
const BASE_SETUP_TIMEOUT_MS = 10 * 60_000;
/** npm failures that are about the network or the registry, not about the image. */
const TRANSIENT_NPM = /ETIMEDOUT|ECONNRESET|ECONNREFUSED|EAI_AGAIN|ENOTFOUND|socket hang up|network|registry returned 5\d\d|\b5\d\d\b.*registry/i;

/**
 * Builds a provider's base layer in a throwaway sandbox: create it from the provider's template, run the base setup
 * (Node.js present, the PTY library installed next to the daemon), snapshot it, terminate it. The daemon it was built
 * with must be the one the row is for: a base for another version would restore the wrong helpers.
 */
export async function buildBaseSnapshot(
  deps: SandboxBuildDeps,
  plan: { provider: SandboxProviderKind; versionKey: string; buildId: string },
): Promise<{ snapshotId: string }> {
  const { provider } = deps;
  const base = provider.capabilities.baseSnapshot;
  if (!base) throw new SnapshotBuildError(`The ${plan.provider} provider has no base layer to build`);
  const daemon = await deps.daemon();
  if (daemon.version !== plan.versionKey) throw new SnapshotBuildError(`This build is for daemon ${plan.versionKey}, but the daemon here is ${daemon.version}`);
  const sandboxId = `base_${randomBytes(9).toString('base64url')}`;
  const env: DaemonEnvironment = {
    PROLIFERATE_API_URL: deps.endpoints.apiUrl,
    PROLIFERATE_WS_URL: deps.endpoints.wsUrl,
    PROLIFERATE_SESSION_ID: `base-${plan.provider}`,
    PROLIFERATE_SANDBOX_ID: sandboxId,
    PROLIFERATE_SANDBOX_TOKEN: 'snapshot-build',
    PROLIFERATE_WORKSPACE: '/workspace',
  };
  const handle = await guard(() => provider.create({ sessionId: env.PROLIFERATE_SESSION_ID, sandboxId, fromSnapshot: null, daemonBundle: daemon.path, env }));
  try {
    const result = await guard(() => provider.exec(handle.sandboxId, ['sh', '-c', baseSetupScript(base.daemonDir)], { timeoutMs: BASE_SETUP_TIMEOUT_MS }));
    if (result.exitCode !== 0) {
      const detail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ').slice(0, 800);
      const message = `Preparing the ${plan.provider} base layer failed: ${detail || `exit code ${result.exitCode}`}`;
      throw result.exitCode !== BASE_SETUP_NO_NODE && TRANSIENT_NPM.test(detail) ? new SnapshotTransientError(message) : new SnapshotBuildError(message);
    }
    return await guard(() => provider.snapshot(handle.sandboxId, { key: `base-${plan.provider}-${plan.buildId}` }));
  } finally {
    await provider.terminate(handle.sandboxId).catch((err: unknown) => {
      deps.logger.warn({ sandboxId: handle.sandboxId, err: err instanceof Error ? err.message : String(err) }, 'base build sandbox could not be terminated');
    });
  }
}

/** Provider errors become transient (unavailable, timeout) or permanent build errors; the workflow retries only the former. */
async function guard<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof SnapshotTransientError || err instanceof SnapshotBuildError) throw err;
    if (err instanceof SandboxProviderError) {
      const message = `${err.provider}: ${err.message}`;
      throw err.code === 'unavailable' || err.code === 'timeout' ? new SnapshotTransientError(message) : new SnapshotBuildError(message);
    }
    throw err;
  }
}

const LambdaCause = z.object({ errorMessage: z.string() });

/** The message of what a Catch caught: a Lambda error's `errorMessage` from its JSON cause, else the cause or error name. */
export function failureMessage(error: { Error?: string; Cause?: string } | undefined): string {
  if (!error) return 'The snapshot build failed';
  let message = error.Cause;
  if (error.Cause) {
    try {
      const parsed = LambdaCause.safeParse(JSON.parse(error.Cause));
      if (parsed.success) message = parsed.data.errorMessage;
    } catch {
      // Not JSON: the cause is the message.
    }
  }
  const text = message || error.Error || 'The snapshot build failed';
  return text.slice(0, 2000);
}

/**
 * One task of the snapshot-build workflow. Each is safe to run again: marking building twice changes nothing more,
 * MarkReady and MarkFailed only touch a configuration that is still `building` (a rebuild or a finalized setup that
 * happened meanwhile wins).
 */
export async function runSnapshotBuildTask(deps: SnapshotBuildDeps, task: SnapshotBuildTask): Promise<Record<string, unknown>> {
  switch (task.action) {
    case 'buildBase': {
      const result = await buildBaseSnapshot({ provider: deps.provider(task.provider), daemon: deps.daemon, endpoints: deps.endpoints, logger: deps.logger }, task);
      deps.logger.info({ provider: task.provider, versionKey: task.versionKey, snapshotId: result.snapshotId }, 'base snapshot built');
      return result;
    }
    case 'markBaseReady':
      return finishBaseSnapshot(deps, task, { snapshotId: task.snapshotId });
    case 'markBaseFailed':
      return finishBaseSnapshot(deps, task, { error: failureMessage(task.error) });
    default:
      return runConfigurationTask(deps, task);
  }
}

async function runConfigurationTask(deps: SnapshotBuildDeps, task: Extract<SnapshotBuildTask, { configurationId: string }>): Promise<Record<string, unknown>> {
  const where = and(eq(configuration.id, task.configurationId), eq(configuration.organizationId, task.organizationId));
  const now = deps.clock.now();
  switch (task.action) {
    case 'markBuilding': {
      const rows = await deps.db.update(configuration).set({ status: 'building', error: null, updatedAt: now }).where(where).returning({ id: configuration.id });
      if (!rows.length) throw new ConfigurationGoneError(`configuration ${task.configurationId} no longer exists`);
      return { status: 'building' };
    }
    case 'build': {
      const plan = await loadBuildPlan(deps.db, task);
      const provider = deps.provider(plan.provider);
      // Start from the provider's base layer when it is ready; otherwise from its template, and have one built.
      plan.baseSnapshotId = await baseSnapshotFor(deps, provider, (await deps.daemon()).version);
      const result = await buildSnapshot({ provider, daemon: deps.daemon, endpoints: deps.endpoints, logger: deps.logger }, plan);
      deps.logger.info({ configurationId: task.configurationId, snapshotId: result.snapshotId }, 'configuration snapshot built');
      return result;
    }
    case 'markReady': {
      const rows = await deps.db
        .update(configuration)
        .set({ status: 'default', snapshotId: task.snapshotId, snapshotVersionKey: task.versionKey, error: null, updatedAt: now })
        .where(and(where, eq(configuration.status, 'building')))
        .returning({ id: configuration.id });
      return { applied: rows.length > 0 };
    }
    case 'markFailed': {
      const rows = await deps.db
        .update(configuration)
        .set({ status: 'failed', error: failureMessage(task.error), updatedAt: now })
        .where(and(where, eq(configuration.status, 'building')))
        .returning({ id: configuration.id });
      return { applied: rows.length > 0 };
    }
  }
}
