import { and, asc, gt, inArray } from 'drizzle-orm';
import type { SessionCommandMessage } from '../../contracts/messages';
import type { Db } from '../../db/client';
import { sandboxSession, sessionSubscription } from '../../db/schema';
import type { Clock } from '../../ports';
import { enqueue } from '../outbox/outbox';
import { failStuckStart } from './check';
import { CHECKED_STATUSES, decideSession, DEFAULT_CHECK_SETTINGS, type SessionCheckSettings } from './decision';

const SWEEP_PAGE = 500;

/**
 * The backstop behind each session's one-off check: looks at every live session with the same rule (decideSession) and
 * queues what is due, so a check that was never scheduled, or lost, costs at most one sweep interval. Sessions near
 * their provider's lifetime migrate when someone is watching and pause when nobody is; idle ones pause with reason
 * `inactivity`; ones whose runtime stopped reporting pause as `orphaned`; stuck starts fail.
 */
export async function sweepSessions(
  deps: { db: Db; clock: Clock },
  settings: SessionCheckSettings = DEFAULT_CHECK_SETTINGS,
  pageSize = SWEEP_PAGE,
): Promise<SessionCommandMessage[]> {
  const now = deps.clock.now();
  const commands: SessionCommandMessage[] = [];
  // Every live session, a page at a time in id order (a fixed first page would leave the rest never looked at), with
  // the watched ones of each page found in one query.
  for (let after = ''; ; ) {
    const live = await deps.db
      .select()
      .from(sandboxSession)
      .where(and(inArray(sandboxSession.status, CHECKED_STATUSES), gt(sandboxSession.id, after)))
      .orderBy(asc(sandboxSession.id))
      .limit(pageSize);
    if (live.length === 0) break;
    const ids = live.map((s) => s.id);
    const watched = new Set(
      (await deps.db.selectDistinct({ id: sessionSubscription.sessionId }).from(sessionSubscription).where(inArray(sessionSubscription.sessionId, ids))).map((r) => r.id),
    );
    for (const s of live) {
      const base = { sessionId: s.id, organizationId: s.organizationId };
      const decision = decideSession(s, watched.has(s.id), now, settings);
      if (decision.action === 'fail_start') await failStuckStart(deps.db, s.id, now, settings);
      else if (decision.action === 'migrate') commands.push({ ...base, command: 'migrate' });
      else if (decision.action === 'pause') commands.push({ ...base, command: 'pause', reason: decision.reason });
    }
    if (live.length < pageSize) break;
    after = ids[ids.length - 1];
  }
  for (const cmd of commands) await enqueue(deps.db, 'session.command', cmd, cmd.organizationId);
  return commands;
}
