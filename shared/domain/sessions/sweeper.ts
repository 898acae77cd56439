import { and, eq, inArray, lt } from 'drizzle-orm';
import type { SessionCommandMessage } from '../../contracts/messages';
import type { Db } from '../../db/client';
import { sandboxSession } from '../../db/schema';
import type { Clock } from '../../ports';
import { enqueue } from '../outbox/outbox';
import { hasViewers } from './runtime';

export interface SweepSettings {
  /** A running session whose daemon has not reported for this long is orphaned. */
  orphanAfterMs: number;
  /** A session still `starting` after this long failed to start. */
  startTimeoutMs: number;
  /** Act this long before a provider's hard lifetime ends. */
  expiryGraceMs: number;
}

export const DEFAULT_SWEEP: SweepSettings = { orphanAfterMs: 3 * 60_000, startTimeoutMs: 10 * 60_000, expiryGraceMs: 5 * 60_000 };

/**
 * Decides what each live session needs and queues it: sessions about to hit their provider's lifetime migrate when
 * someone is watching and pause when nobody is; idle ones (no viewers, agent idle, past their idle timeout) pause with
 * reason `inactivity`; ones whose runtime stopped reporting pause as `orphaned`; stuck starts fail.
 */
export async function sweepSessions(deps: { db: Db; clock: Clock }, settings: SweepSettings = DEFAULT_SWEEP): Promise<SessionCommandMessage[]> {
  const now = deps.clock.now().getTime();
  const live = await deps.db
    .select()
    .from(sandboxSession)
    .where(inArray(sandboxSession.status, ['starting', 'running']))
    .limit(500);
  const commands: SessionCommandMessage[] = [];
  for (const s of live) {
    const base = { sessionId: s.id, organizationId: s.organizationId };
    if (s.status === 'starting') {
      if (now - s.updatedAt.getTime() > settings.startTimeoutMs) {
        await deps.db
          .update(sandboxSession)
          .set({ status: 'failed', lastError: 'The sandbox did not come up in time', updatedAt: new Date(now) })
          .where(and(eq(sandboxSession.id, s.id), eq(sandboxSession.status, 'starting'), lt(sandboxSession.updatedAt, new Date(now - settings.startTimeoutMs))));
      }
      continue;
    }
    const lastSeen = (s.lastSeenAliveAt ?? s.startedAt ?? s.updatedAt).getTime();
    if (now - lastSeen > settings.orphanAfterMs) {
      commands.push({ ...base, command: 'pause', reason: 'orphaned' });
      continue;
    }
    const watched = await hasViewers(deps.db, s.id);
    if (s.sandboxExpiresAt && s.sandboxExpiresAt.getTime() - now < settings.expiryGraceMs) {
      commands.push(watched ? { ...base, command: 'migrate' } : { ...base, command: 'pause', reason: 'inactivity' });
      continue;
    }
    const idleFor = now - s.lastActivityAt.getTime();
    if (!watched && !s.agentBusy && idleFor > s.idleTimeoutMinutes * 60_000) {
      commands.push({ ...base, command: 'pause', reason: 'inactivity' });
    }
  }
  for (const cmd of commands) await enqueue(deps.db, 'session.command', cmd, cmd.organizationId);
  return commands;
}
