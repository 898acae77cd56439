import { randomBytes } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { DaemonCommand, SessionStatus } from '../../contracts/session-events';
import type { Db } from '../../db/client';
import { configuration, sandboxSession, wsConnection } from '../../db/schema';
import type { Clock, SocketsPort } from '../../ports';
import type { Logger } from '../../runtime/logger';
import type { SandboxProvider, SandboxProviderKind } from '../../sandbox/provider';
import { baseSnapshotFor } from '../repos/base-snapshots';
import { armSessionCheck, cancelSessionCheck, hasViewers, type CheckScheduleDeps } from './check-schedule';
import type { PublishEvents } from './events';
import type { PauseReason } from './lifecycle';
import { mintSandboxToken } from './sandbox-token';
import type { SessionRow } from './sessions';

/** Also what the session's one-off check needs (scheduler, check settings): lifecycle steps move or cancel it. */
export interface SandboxRuntimeDeps extends CheckScheduleDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  sockets: SocketsPort;
  providers(kind: SandboxProviderKind): SandboxProvider;
  /** The built daemon the providers copy into sandboxes, and its version (part of every snapshot key). */
  daemon(): Promise<{ path: string; version: string }>;
  /** How the daemon reaches the platform from inside the sandbox. */
  endpoints: { apiUrl: string; wsUrl: string };
  sandboxSecret: string;
  /** Appends to the session's log and fans the events out to its viewers. */
  publish: PublishEvents;
  /** How long to wait for a running turn before a snapshot (then it is cancelled). */
  snapshotWaitMs?: number;
}

const newSandboxId = () => `sbx_${randomBytes(10).toString('base64url')}`;

async function load(db: Db, sessionId: string): Promise<SessionRow | undefined> {
  const [row] = await db.select().from(sandboxSession).where(eq(sandboxSession.id, sessionId)).limit(1);
  return row;
}

async function status(deps: Pick<SandboxRuntimeDeps, 'publish'>, sessionId: string, value: SessionStatus, message?: string, pauseReason?: string) {
  await deps.publish(sessionId, [{ event: { type: 'status', status: value, ...(message ? { message } : {}), ...(pauseReason ? { pauseReason } : {}) } }]);
}

/** Adds the time since the session last became running to its active seconds (one atomic update). */
const accrueActiveTime = (now: Date) => ({
  metrics: sql`jsonb_set(${sandboxSession.metrics}, '{activeSeconds}', to_jsonb(coalesce((${sandboxSession.metrics}->>'activeSeconds')::int, 0) + greatest(0, floor(extract(epoch from (${now.toISOString()}::timestamptz - coalesce(${sandboxSession.runningSince}, ${now.toISOString()}::timestamptz)))))::int))`,
  runningSince: null,
});

/** The daemon's connection for a session, if it is connected. */
export async function daemonConnection(db: Db, sessionId: string, sandboxId?: string | null): Promise<string | null> {
  const rows = await db
    .select({ id: wsConnection.connectionId })
    .from(wsConnection)
    .where(and(eq(wsConnection.kind, 'sandbox'), eq(wsConnection.sessionId, sessionId), sandboxId ? eq(wsConnection.sandboxId, sandboxId) : undefined))
    .orderBy(sql`${wsConnection.connectedAt} desc`)
    .limit(1);
  return rows[0]?.id ?? null;
}

export async function sendToDaemon(deps: Pick<SandboxRuntimeDeps, 'db' | 'sockets'>, sessionId: string, command: DaemonCommand): Promise<boolean> {
  const connectionId = await daemonConnection(deps.db, sessionId);
  if (!connectionId) return false;
  try {
    await deps.sockets.postToConnection(connectionId, command);
    return true;
  } catch {
    return false;
  }
}

function daemonEnv(deps: SandboxRuntimeDeps, session: SessionRow, sandboxId: string, workspace: string) {
  return {
    PROLIFERATE_API_URL: deps.endpoints.apiUrl,
    PROLIFERATE_WS_URL: deps.endpoints.wsUrl,
    PROLIFERATE_SESSION_ID: session.id,
    PROLIFERATE_SANDBOX_ID: sandboxId,
    PROLIFERATE_SANDBOX_TOKEN: mintSandboxToken(deps.sandboxSecret, session.id, sandboxId),
    PROLIFERATE_WORKSPACE: workspace,
  };
}

/**
 * The snapshot a new sandbox starts from: the session's own, else its configuration's (if built for this daemon), else
 * the provider's base layer for this daemon. A provider with base layers that has none ready gets one built (for the
 * next sandbox; this one starts from the provider's template).
 */
async function resolveSnapshot(deps: SandboxRuntimeDeps, session: SessionRow, provider: SandboxProvider, daemonVersion: string): Promise<string | null> {
  if (session.snapshotId) return session.snapshotId;
  if (session.configurationId) {
    const [cfg] = await deps.db
      .select({ snapshotId: configuration.snapshotId, key: configuration.snapshotVersionKey, status: configuration.status })
      .from(configuration)
      .where(eq(configuration.id, session.configurationId));
    if (cfg?.snapshotId && ['default', 'ready'].includes(cfg.status) && (cfg.key === null || cfg.key === daemonVersion)) return cfg.snapshotId;
  }
  return baseSnapshotFor(deps, provider, daemonVersion);
}

/**
 * Starts (or resumes) the session's sandbox. The status moves to `starting` with a compare-and-set, so of two workers
 * only one provisions; the session becomes `running` when the daemon in the new sandbox says hello.
 */
export async function startSession(deps: SandboxRuntimeDeps, sessionId: string): Promise<'started' | 'skipped'> {
  const sandboxId = newSandboxId();
  const now = deps.clock.now();
  const [claimed] = await deps.db
    .update(sandboxSession)
    .set({ status: 'starting', sandboxId, pauseReason: null, lastError: null, snapshotReadyRequestId: null, updatedAt: now, lastActivityAt: now })
    .where(and(eq(sandboxSession.id, sessionId), inArray(sandboxSession.status, ['pending', 'paused', 'failed'])))
    .returning();
  if (!claimed) return 'skipped';
  await status(deps, sessionId, 'starting', claimed.snapshotId ? 'Resuming the sandbox' : 'Creating the sandbox');
  const provider = deps.providers(claimed.sandboxProvider as SandboxProviderKind);
  try {
    const daemon = await deps.daemon();
    const fromSnapshot = await resolveSnapshot(deps, claimed, provider, daemon.version);
    const options = {
      sessionId,
      sandboxId,
      fromSnapshot,
      daemonBundle: daemon.path,
      env: daemonEnv(deps, claimed, sandboxId, '/workspace'),
    };
    const canResume = provider.capabilities.pause && claimed.providerSandboxId && (await provider.state(claimed.providerSandboxId)) === 'paused';
    const handle = canResume ? await provider.resume(claimed.providerSandboxId!, options) : await provider.create(options);
    const [stillOurs] = await deps.db
      .update(sandboxSession)
      .set({ providerSandboxId: handle.sandboxId, sandboxExpiresAt: handle.expiresAt, snapshotVersionKey: daemon.version, startedAt: claimed.startedAt ?? now, updatedAt: deps.clock.now() })
      .where(and(eq(sandboxSession.id, sessionId), eq(sandboxSession.sandboxId, sandboxId), eq(sandboxSession.status, 'starting')))
      .returning({ id: sandboxSession.id });
    if (!stillOurs) {
      // Paused or deleted while we provisioned: the new sandbox belongs to nobody.
      await provider.terminate(handle.sandboxId).catch(() => {});
      return 'skipped';
    }
    await armSessionCheck(deps, sessionId);
    return 'started';
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.logger.error({ sessionId, err: message }, 'sandbox start failed');
    const [failed] = await deps.db
      .update(sandboxSession)
      .set({ status: 'failed', lastError: message.slice(0, 2000), updatedAt: deps.clock.now() })
      .where(and(eq(sandboxSession.id, sessionId), eq(sandboxSession.sandboxId, sandboxId)))
      .returning({ id: sandboxSession.id });
    if (failed) {
      await deps.publish(sessionId, [{ event: { type: 'error', message: `The sandbox could not start: ${message}`, code: 'sandbox_start_failed' } }]);
      await status(deps, sessionId, 'failed', message);
    }
    return 'skipped';
  }
}

/** The daemon of the session's current sandbox said hello: starting (or migrating) becomes running. */
export async function markRunning(deps: Pick<SandboxRuntimeDeps, 'db' | 'clock' | 'publish'>, sessionId: string, sandboxId: string): Promise<boolean> {
  const now = deps.clock.now();
  const [row] = await deps.db
    .update(sandboxSession)
    .set({ status: 'running', lastSeenAliveAt: now, updatedAt: now, runningSince: sql`coalesce(${sandboxSession.runningSince}, ${now.toISOString()}::timestamptz)` })
    .where(and(eq(sandboxSession.id, sessionId), eq(sandboxSession.sandboxId, sandboxId), inArray(sandboxSession.status, ['starting', 'migrating'])))
    .returning({ id: sandboxSession.id });
  if (row) await status(deps, sessionId, 'running');
  return Boolean(row);
}

/** Asks the daemon to finish (or cancel) its turn and admit no prompt; waits for its answer. */
async function quiesce(deps: SandboxRuntimeDeps, session: SessionRow): Promise<boolean> {
  const requestId = `snap_${randomBytes(8).toString('base64url')}`;
  const waitMs = deps.snapshotWaitMs ?? 30_000;
  const sent = await sendToDaemon(deps, session.id, { type: 'prepare_snapshot', requestId, waitMs });
  if (!sent) return false;
  const deadline = Date.now() + waitMs + 10_000;
  while (Date.now() < deadline) {
    const [row] = await deps.db.select({ ready: sandboxSession.snapshotReadyRequestId }).from(sandboxSession).where(eq(sandboxSession.id, session.id));
    if (row?.ready === requestId) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * Pauses the session: the daemon stops taking prompts, the provider pauses (or snapshots) the sandbox, and the row
 * moves to paused only if it still names this sandbox (compare-and-set), so a concurrent pause or migration leaves
 * exactly one outcome.
 */
export async function pauseSession(deps: SandboxRuntimeDeps, sessionId: string, reason: PauseReason): Promise<'paused' | 'skipped'> {
  const session = await load(deps.db, sessionId);
  if (!session || !['running', 'starting', 'migrating'].includes(session.status) || !session.sandboxId) return 'skipped';
  if (reason === 'inactivity' && (await hasViewers(deps.db, sessionId))) {
    // Someone opened the session after it was found idle: it stays up, and is looked at again later.
    await armSessionCheck(deps, sessionId);
    return 'skipped';
  }
  const provider = deps.providers(session.sandboxProvider as SandboxProviderKind);
  let snapshotId = session.snapshotId;
  if (session.providerSandboxId) {
    await quiesce(deps, session);
    try {
      snapshotId = (await provider.pause(session.providerSandboxId)).snapshotId;
    } catch (err) {
      // A sandbox that could not be paused must not keep running unaccounted for: end it; its last snapshot remains.
      deps.logger.warn({ sessionId, err: (err as Error).message }, 'pause failed; terminating the sandbox');
      await provider.terminate(session.providerSandboxId).catch(() => {});
    }
  }
  const now = deps.clock.now();
  const [row] = await deps.db
    .update(sandboxSession)
    .set({ status: 'paused', pauseReason: reason, snapshotId, latestTask: null, agentBusy: false, pausedAt: now, updatedAt: now, ...accrueActiveTime(now) })
    .where(and(eq(sandboxSession.id, sessionId), eq(sandboxSession.sandboxId, session.sandboxId), inArray(sandboxSession.status, ['running', 'starting', 'migrating'])))
    .returning({ id: sandboxSession.id });
  if (!row) return 'skipped';
  await cancelSessionCheck(deps, sessionId);
  await status(deps, sessionId, 'paused', undefined, reason);
  return 'paused';
}

/** Saves the sandbox's current state as the session's snapshot (or, for a setup session, its configuration's). */
export async function snapshotSession(
  deps: SandboxRuntimeDeps,
  sessionId: string,
  options: { quiesce?: boolean } = {},
): Promise<{ success: boolean; snapshotId?: string; error?: string }> {
  const session = await load(deps.db, sessionId);
  if (!session || session.status !== 'running' || !session.providerSandboxId) return { success: false, error: 'The session is not running' };
  const target = session.sessionType === 'setup' && session.configurationId ? 'configuration' : 'session';
  const provider = deps.providers(session.sandboxProvider as SandboxProviderKind);
  try {
    // Strict, unlike a pause: the daemon removes its secret env files when it quiesces; unconfirmed, nothing is captured.
    if (options.quiesce !== false && !(await quiesce(deps, session))) {
      throw new Error('the sandbox did not get ready in time (its secret files must be removed first); nothing was captured');
    }
    const daemon = await deps.daemon();
    const { snapshotId } = await provider.snapshot(session.providerSandboxId, { key: `${session.id}-${Date.now()}` });
    const [row] = await deps.db
      .update(sandboxSession)
      .set({ snapshotId, snapshotVersionKey: daemon.version, updatedAt: deps.clock.now() })
      .where(and(eq(sandboxSession.id, sessionId), eq(sandboxSession.sandboxId, session.sandboxId!)))
      .returning({ id: sandboxSession.id });
    if (!row) return { success: false, error: 'The session moved to another sandbox meanwhile' };
    if (target === 'configuration') {
      await deps.db
        .update(configuration)
        .set({ snapshotId, snapshotVersionKey: daemon.version, status: 'ready', error: null, updatedAt: deps.clock.now() })
        .where(eq(configuration.id, session.configurationId!));
    }
    await deps.publish(sessionId, [{ event: { type: 'snapshot_result', success: true, snapshotId, target } }]);
    return { success: true, snapshotId };
  } catch (err) {
    const error = (err as Error).message;
    await deps.publish(sessionId, [{ event: { type: 'snapshot_result', success: false, error, target } }]);
    return { success: false, error };
  } finally {
    if (options.quiesce !== false) await sendToDaemon(deps, sessionId, { type: 'resume_prompts' });
  }
}

/**
 * Moves a watched session to a new sandbox before the provider's lifetime ends: snapshot, new sandbox from it, switch
 * (compare-and-set on the old sandbox id), then the old one goes. Viewers see `migrating`, then `running`.
 */
export async function migrateSession(deps: SandboxRuntimeDeps, sessionId: string): Promise<'migrated' | 'skipped'> {
  const session = await load(deps.db, sessionId);
  if (!session || session.status !== 'running' || !session.providerSandboxId || !session.sandboxId) return 'skipped';
  const [claimed] = await deps.db
    .update(sandboxSession)
    .set({ status: 'migrating', updatedAt: deps.clock.now() })
    .where(and(eq(sandboxSession.id, sessionId), eq(sandboxSession.sandboxId, session.sandboxId), eq(sandboxSession.status, 'running')))
    .returning({ id: sandboxSession.id });
  if (!claimed) return 'skipped';
  await status(deps, sessionId, 'migrating', 'Extending the session');
  const provider = deps.providers(session.sandboxProvider as SandboxProviderKind);
  const newId = newSandboxId();
  try {
    await quiesce(deps, session);
    const daemon = await deps.daemon();
    const { snapshotId } = await provider.snapshot(session.providerSandboxId, { key: `${session.id}-migrate-${Date.now()}` });
    const handle = await provider.create({
      sessionId,
      sandboxId: newId,
      fromSnapshot: snapshotId,
      daemonBundle: daemon.path,
      env: daemonEnv(deps, session, newId, '/workspace'),
    });
    const [switched] = await deps.db
      .update(sandboxSession)
      .set({ sandboxId: newId, providerSandboxId: handle.sandboxId, snapshotId, sandboxExpiresAt: handle.expiresAt, updatedAt: deps.clock.now() })
      .where(and(eq(sandboxSession.id, sessionId), eq(sandboxSession.sandboxId, session.sandboxId), eq(sandboxSession.status, 'migrating')))
      .returning({ id: sandboxSession.id });
    if (!switched) {
      await provider.terminate(handle.sandboxId).catch(() => {});
      return 'skipped';
    }
    await provider.terminate(session.providerSandboxId).catch(() => {});
    await armSessionCheck(deps, sessionId);
    return 'migrated';
  } catch (err) {
    deps.logger.error({ sessionId, err: (err as Error).message }, 'migration failed');
    await deps.db
      .update(sandboxSession)
      .set({ status: 'running', updatedAt: deps.clock.now() })
      .where(and(eq(sandboxSession.id, sessionId), eq(sandboxSession.sandboxId, session.sandboxId), eq(sandboxSession.status, 'migrating')));
    await sendToDaemon(deps, sessionId, { type: 'resume_prompts' });
    await status(deps, sessionId, 'running', 'Could not extend the session');
    // Tried again in a minute (or by the sweeper), not in a tight loop while the provider is failing.
    await armSessionCheck(deps, sessionId, { notSoonerThanMs: 60_000 });
    return 'skipped';
  }
}

/** Ends the sandbox; with `deleteRow` the session (and its log) goes too, otherwise it is marked stopped. */
export async function terminateSession(deps: SandboxRuntimeDeps, sessionId: string, options: { deleteRow: boolean }): Promise<void> {
  await cancelSessionCheck(deps, sessionId);
  const session = await load(deps.db, sessionId);
  if (!session) return;
  if (session.providerSandboxId) {
    await deps.providers(session.sandboxProvider as SandboxProviderKind).terminate(session.providerSandboxId).catch((err) => {
      deps.logger.warn({ sessionId, err: (err as Error).message }, 'terminate failed');
    });
  }
  if (options.deleteRow) {
    // Tell whoever still has it open before it goes: their page stops offering to resume it.
    await status(deps, sessionId, 'stopped', 'This session was deleted');
    await deps.db.delete(sandboxSession).where(eq(sandboxSession.id, sessionId));
    return;
  }
  const now = deps.clock.now();
  await deps.db.update(sandboxSession).set({ status: 'stopped', endedAt: now, latestTask: null, updatedAt: now, ...accrueActiveTime(now) }).where(eq(sandboxSession.id, sessionId));
  await status(deps, sessionId, 'stopped');
}
