import { and, eq, inArray } from 'drizzle-orm';
import { outboxTopics, type QueueEnvelope, type SessionCommandMessage } from '../../contracts/messages';
import type { Db } from '../../db/client';
import { sandboxSession, sessionSubscription } from '../../db/schema';
import type { Clock, SchedulerPort } from '../../ports';
import type { Logger } from '../../runtime/logger';
import { CHECKED_STATUSES, decideSession, DEFAULT_CHECK_SETTINGS, type SessionCheckSettings } from './decision';

export interface CheckScheduleDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  scheduler: SchedulerPort;
  checks?: SessionCheckSettings;
}

/** One schedule per session: its next check. A new time replaces the old one. */
export const sessionCheckName = (sessionId: string) => `session-check-${sessionId}`;

/** Whether anyone is watching: viewers subscribed to the session. */
export async function hasViewers(db: Db, sessionId: string): Promise<boolean> {
  const rows = await db.select({ id: sessionSubscription.connectionId }).from(sessionSubscription).where(eq(sessionSubscription.sessionId, sessionId)).limit(1);
  return rows.length > 0;
}

/**
 * Schedules the session's next check at the earliest time its expiry or idleness may need action (see decideSession),
 * or cancels it when nothing can fall due. Called when that time may have moved earlier: a sandbox started or moved,
 * the last viewer left. Activity only moves it later, so it needs no call: a check that comes early finds the fresh
 * activity and schedules itself again. The schedule is a hint, never the truth: a failure to make it is logged and
 * left to the sweeper, so no lifecycle step fails because the scheduler did. `notSoonerThanMs` spaces out retries of a
 * step that just failed.
 */
export async function armSessionCheck(deps: CheckScheduleDeps, sessionId: string, options: { notSoonerThanMs?: number } = {}): Promise<Date | null> {
  try {
    const [s] = await deps.db.select().from(sandboxSession).where(eq(sandboxSession.id, sessionId));
    if (!s) {
      await deps.scheduler.cancel(sessionCheckName(sessionId));
      return null;
    }
    const now = deps.clock.now();
    const decision = decideSession(s, await hasViewers(deps.db, sessionId), now, deps.checks ?? DEFAULT_CHECK_SETTINGS);
    // Something already due: the check runs as soon as the scheduler can deliver it.
    const due = decision.action === 'none' ? decision.checkAt : now;
    if (!due) {
      await deps.scheduler.cancel(sessionCheckName(sessionId));
      return null;
    }
    const at = new Date(Math.max(due.getTime(), now.getTime() + Math.max(deps.scheduler.precisionMs, options.notSoonerThanMs ?? 0)));
    await deps.scheduler.at(sessionCheckName(sessionId), at, { queue: SESSIONS_QUEUE, body: checkMessage(s, at) });
    return at;
  } catch (err) {
    deps.logger.warn({ sessionId, err: (err as Error).message }, "could not schedule the session's check; the sweeper will look at it");
    return null;
  }
}

/** Removes the session's pending check (it paused, stopped or went away). Best effort, as armSessionCheck. */
export async function cancelSessionCheck(deps: Pick<CheckScheduleDeps, 'scheduler' | 'logger'>, sessionId: string): Promise<void> {
  try {
    await deps.scheduler.cancel(sessionCheckName(sessionId));
  } catch (err) {
    deps.logger.warn({ sessionId, err: (err as Error).message }, "could not cancel the session's check; it will find nothing to do");
  }
}

/**
 * Viewers left these sessions (unsubscribed or disconnected). Where nobody is left watching a live session, its idle
 * time starts now (closing the tab is activity) and its check is scheduled for when the idle timeout runs out.
 */
export async function viewersLeft(deps: CheckScheduleDeps, sessionIds: string[]): Promise<void> {
  for (const sessionId of new Set(sessionIds)) {
    if (await hasViewers(deps.db, sessionId)) continue;
    const [live] = await deps.db
      .update(sandboxSession)
      .set({ lastActivityAt: deps.clock.now() })
      .where(and(eq(sandboxSession.id, sessionId), inArray(sandboxSession.status, CHECKED_STATUSES)))
      .returning({ id: sandboxSession.id });
    if (live) await armSessionCheck(deps, sessionId);
  }
}

const SESSIONS_QUEUE = outboxTopics['session.command'].queue;

/** The queue message a check arrives as: the session worker's envelope, named after the schedule and its time. */
function checkMessage(s: { id: string; organizationId: string }, at: Date): QueueEnvelope {
  const payload: SessionCommandMessage = { sessionId: s.id, organizationId: s.organizationId, command: 'check' };
  return { id: `${sessionCheckName(s.id)}@${Math.ceil(at.getTime() / 1000)}`, topic: 'session.command', payload };
}
