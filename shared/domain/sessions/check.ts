import { and, eq, lte } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { sandboxSession } from '../../db/schema';
import { armSessionCheck, hasViewers } from './check-schedule';
import { decideSession, DEFAULT_CHECK_SETTINGS, type SessionCheckSettings } from './decision';
import { migrateSession, pauseSession, type SandboxRuntimeDeps } from './runtime';

export type CheckOutcome = 'migrated' | 'paused' | 'failed' | 'rescheduled' | 'nothing';

/** While a sandbox starts or moves, its next check waits at least this long (the step re-arms it when it is done). */
const IN_TRANSITION_RECHECK_MS = 30_000;

/**
 * The session's one-off check arrived, on time, late, early or twice: decide what the session needs now (the rule the
 * sweeper uses), do it, or schedule the next check. Each action is a compare-and-set step of the lifecycle, and a
 * check decides from the session as it is, not as it was when the check was scheduled: a repeat or a late one finds
 * nothing left to do.
 */
export async function checkSession(deps: SandboxRuntimeDeps, sessionId: string): Promise<CheckOutcome> {
  const [s] = await deps.db.select().from(sandboxSession).where(eq(sandboxSession.id, sessionId));
  if (!s) return 'nothing';
  const settings = deps.checks ?? DEFAULT_CHECK_SETTINGS;
  const now = deps.clock.now();
  const decision = decideSession(s, await hasViewers(deps.db, sessionId), now, settings);
  switch (decision.action) {
    case 'migrate':
      if ((await migrateSession(deps, sessionId)) === 'migrated') return 'migrated';
      break;
    case 'pause':
      if ((await pauseSession(deps, sessionId, decision.reason)) === 'paused') return 'paused';
      break;
    case 'fail_start':
      if (await failStuckStart(deps.db, sessionId, now, settings)) return 'failed';
      break;
    case 'none':
      if (decision.checkAt === null) return 'nothing';
      await armSessionCheck(deps, sessionId, s.status === 'running' ? {} : { notSoonerThanMs: IN_TRANSITION_RECHECK_MS });
      return 'rescheduled';
  }
  // Someone else moved the session first; look again from where it is now.
  return (await armSessionCheck(deps, sessionId, { notSoonerThanMs: IN_TRANSITION_RECHECK_MS })) ? 'rescheduled' : 'nothing';
}

/** A start that never came up: failed, if it is still that same start (compare-and-set on status and age). */
export async function failStuckStart(db: Db, sessionId: string, now: Date, settings: SessionCheckSettings = DEFAULT_CHECK_SETTINGS): Promise<boolean> {
  const rows = await db
    .update(sandboxSession)
    .set({ status: 'failed', lastError: 'The sandbox did not come up in time', updatedAt: now })
    .where(and(eq(sandboxSession.id, sessionId), eq(sandboxSession.status, 'starting'), lte(sandboxSession.updatedAt, new Date(now.getTime() - settings.startTimeoutMs))))
    .returning({ id: sandboxSession.id });
  return rows.length > 0;
}
