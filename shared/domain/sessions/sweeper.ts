import { inArray } from 'drizzle-orm';
import type { SessionCommandMessage } from '../../contracts/messages';
import type { Db } from '../../db/client';
import { sandboxSession } from '../../db/schema';
import type { Clock } from '../../ports';
import { enqueue } from '../outbox/outbox';
import { failStuckStart } from './check';
import { hasViewers } from './check-schedule';
import { CHECKED_STATUSES, decideSession, DEFAULT_CHECK_SETTINGS, type SessionCheckSettings } from './decision';

/**
 * The backstop behind each session's one-off check: looks at every live session with the same rule (decideSession) and
 * queues what is due, so a check that was never scheduled, or lost, costs at most one sweep interval. Sessions near
 * their provider's lifetime migrate when someone is watching and pause when nobody is; idle ones pause with reason
 * `inactivity`; ones whose runtime stopped reporting pause as `orphaned`; stuck starts fail.
 */
export async function sweepSessions(deps: { db: Db; clock: Clock }, settings: SessionCheckSettings = DEFAULT_CHECK_SETTINGS): Promise<SessionCommandMessage[]> {
  const now = deps.clock.now();
  const live = await deps.db.select().from(sandboxSession).where(inArray(sandboxSession.status, CHECKED_STATUSES)).limit(500);
  const commands: SessionCommandMessage[] = [];
  for (const s of live) {
    const base = { sessionId: s.id, organizationId: s.organizationId };
    const decision = decideSession(s, await hasViewers(deps.db, s.id), now, settings);
    if (decision.action === 'fail_start') await failStuckStart(deps.db, s.id, now, settings);
    else if (decision.action === 'migrate') commands.push({ ...base, command: 'migrate' });
    else if (decision.action === 'pause') commands.push({ ...base, command: 'pause', reason: decision.reason });
  }
  for (const cmd of commands) await enqueue(deps.db, 'session.command', cmd, cmd.organizationId);
  return commands;
}
