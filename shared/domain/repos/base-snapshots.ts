import { and, eq, sql } from 'drizzle-orm';
import type { SnapshotBuildInput } from '../../contracts/repos';
import type { Db } from '../../db/client';
import { sandboxBaseSnapshot } from '../../db/schema';
import type { Clock } from '../../ports';
import type { SandboxProvider, SandboxProviderKind } from '../../sandbox/provider';
import type { Logger } from '../../runtime/logger';
import { enqueue } from '../outbox/outbox';
import { SNAPSHOT_BUILD_WORKFLOW } from './configurations';

/** A failed base build is tried again after this long (a fixed image or registry may have recovered). */
export const BASE_RETRY_AFTER_MS = 30 * 60_000;
/** A build still `building` after this long was lost (its execution ended without marking the row): start another. */
export const BASE_STALE_AFTER_MS = 2 * 60 * 60_000;

/** The ready base layer of a provider for a daemon version, if there is one. */
export async function readyBaseSnapshot(db: Db, provider: SandboxProviderKind, versionKey: string): Promise<string | null> {
  const [row] = await db
    .select({ snapshotId: sandboxBaseSnapshot.snapshotId })
    .from(sandboxBaseSnapshot)
    .where(and(eq(sandboxBaseSnapshot.provider, provider), eq(sandboxBaseSnapshot.versionKey, versionKey), eq(sandboxBaseSnapshot.status, 'ready')));
  return row?.snapshotId ?? null;
}

/**
 * Makes sure a base layer exists or is being built for this provider and daemon version: claims the row (new, or
 * failed long enough ago, or lost while building) and queues the `snapshot-build` workflow for it in the same
 * transaction. Of concurrent callers exactly one claims; the others see the claimed row and queue nothing.
 */
export async function ensureBaseSnapshot(deps: { db: Db; clock: Clock }, provider: SandboxProviderKind, versionKey: string): Promise<{ requested: boolean; executionName: string | null }> {
  const now = deps.clock.now();
  const buildId = String(now.getTime());
  return deps.db.transaction(async (tx) => {
    const [claimed] = await tx
      .insert(sandboxBaseSnapshot)
      .values({ provider, versionKey, status: 'building', buildId, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: [sandboxBaseSnapshot.provider, sandboxBaseSnapshot.versionKey],
        set: { status: 'building', buildId, error: null, updatedAt: now },
        setWhere: sql`(${sandboxBaseSnapshot.status} = 'failed' and ${sandboxBaseSnapshot.updatedAt} < ${new Date(now.getTime() - BASE_RETRY_AFTER_MS).toISOString()}::timestamptz)
          or (${sandboxBaseSnapshot.status} = 'building' and ${sandboxBaseSnapshot.updatedAt} < ${new Date(now.getTime() - BASE_STALE_AFTER_MS).toISOString()}::timestamptz)`,
      })
      .returning({ buildId: sandboxBaseSnapshot.buildId });
    if (!claimed || claimed.buildId !== buildId) return { requested: false, executionName: null };
    const input: SnapshotBuildInput = { kind: 'base', provider, versionKey, buildId };
    const executionName = `base-${provider}-${buildId}`;
    await enqueue(tx, 'workflow.start', { stateMachine: SNAPSHOT_BUILD_WORKFLOW, name: executionName, input: { ...input } });
    return { requested: true, executionName };
  });
}

/**
 * The base layer a new sandbox of this provider starts from, when one is ready for this daemon; when none is, one is
 * asked for (for the sandboxes after this one) and null is returned. A provider without base layers gets null.
 * Asking never fails the caller: the sandbox starts from the provider's template then.
 */
export async function baseSnapshotFor(
  deps: { db: Db; clock: Clock; logger: Pick<Logger, 'warn'> },
  provider: Pick<SandboxProvider, 'kind' | 'capabilities'>,
  versionKey: string,
): Promise<string | null> {
  if (!provider.capabilities.baseSnapshot) return null;
  const ready = await readyBaseSnapshot(deps.db, provider.kind, versionKey);
  if (ready) return ready;
  await ensureBaseSnapshot(deps, provider.kind, versionKey).catch((err: unknown) => {
    deps.logger.warn({ provider: provider.kind, err: err instanceof Error ? err.message : String(err) }, 'base snapshot build could not be requested');
  });
  return null;
}

/** Ends a base build; only the build that owns the row may (a late task of a replaced build changes nothing). */
export async function finishBaseSnapshot(
  deps: { db: Db; clock: Clock },
  ref: { provider: SandboxProviderKind; versionKey: string; buildId: string },
  outcome: { snapshotId: string } | { error: string },
): Promise<{ applied: boolean }> {
  const rows = await deps.db
    .update(sandboxBaseSnapshot)
    .set('snapshotId' in outcome ? { status: 'ready', snapshotId: outcome.snapshotId, error: null, updatedAt: deps.clock.now() } : { status: 'failed', error: outcome.error, updatedAt: deps.clock.now() })
    .where(
      and(
        eq(sandboxBaseSnapshot.provider, ref.provider),
        eq(sandboxBaseSnapshot.versionKey, ref.versionKey),
        eq(sandboxBaseSnapshot.buildId, ref.buildId),
        eq(sandboxBaseSnapshot.status, 'building'),
      ),
    )
    .returning({ provider: sandboxBaseSnapshot.provider });
  return { applied: rows.length > 0 };
}
