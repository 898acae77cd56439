import type { SessionRow } from './sessions';

/** When a live session needs something done; the sweeper and the one-off checks decide with the same numbers. */
export interface SessionCheckSettings {
  /** A running session whose daemon has not reported for this long is orphaned. */
  orphanAfterMs: number;
  /** A session still `starting` after this long failed to start. */
  startTimeoutMs: number;
  /** Act this long before a provider's hard lifetime ends. */
  expiryGraceMs: number;
}

export const DEFAULT_CHECK_SETTINGS: SessionCheckSettings = { orphanAfterMs: 3 * 60_000, startTimeoutMs: 10 * 60_000, expiryGraceMs: 5 * 60_000 };

/** The settings with the configured expiry grace (SANDBOX_EXPIRY_GRACE_SECONDS). */
export function sessionCheckSettings(config: { SANDBOX_EXPIRY_GRACE_SECONDS: number }): SessionCheckSettings {
  return { ...DEFAULT_CHECK_SETTINGS, expiryGraceMs: config.SANDBOX_EXPIRY_GRACE_SECONDS * 1000 };
}

export type SessionFacts = Pick<
  SessionRow,
  'status' | 'sandboxExpiresAt' | 'lastActivityAt' | 'lastSeenAliveAt' | 'startedAt' | 'updatedAt' | 'agentBusy' | 'idleTimeoutMinutes'
>;

export type SessionDecision =
  /** Still `starting` long after it began: mark it failed. */
  | { action: 'fail_start' }
  /** Close to its sandbox's lifetime with someone watching: move to a new sandbox. */
  | { action: 'migrate' }
  /** `expiry` or `idle` (nobody watching) pause with reason inactivity; a runtime that stopped reporting, as orphaned. */
  | { action: 'pause'; reason: 'inactivity' | 'orphaned'; why: 'expiry' | 'idle' | 'orphaned' }
  /**
   * Nothing to do now. `checkAt`: the earliest time something may be due (the expiry grace, or the idle timeout when
   * nobody watches); null when nothing is, or the session has no sandbox to look after.
   */
  | { action: 'none'; checkAt: Date | null };

/** Statuses in which a session has (or is getting) a sandbox whose lifetime and idleness matter. */
export const CHECKED_STATUSES = ['starting', 'running', 'migrating'];

/**
 * The product rule for one session, at `now`: a session near its provider's lifetime migrates when someone is watching
 * and pauses when nobody is; an idle one (no viewers, agent idle, quiet past its idle timeout) pauses with reason
 * `inactivity`; one whose runtime stopped reporting pauses as `orphaned`; a start that hangs fails. Pure: the same
 * facts give the same answer, which is why a late or repeated check is harmless.
 */
export function decideSession(s: SessionFacts, watched: boolean, now: Date, settings: SessionCheckSettings = DEFAULT_CHECK_SETTINGS): SessionDecision {
  const t = now.getTime();
  if (!CHECKED_STATUSES.includes(s.status)) return { action: 'none', checkAt: null };
  if (s.status === 'starting' && t - s.updatedAt.getTime() >= settings.startTimeoutMs) return { action: 'fail_start' };
  const expiryAt = s.sandboxExpiresAt ? s.sandboxExpiresAt.getTime() - settings.expiryGraceMs : null;
  const idleMs = s.idleTimeoutMinutes * 60_000;
  // A busy agent that has been quiet past its idle timeout (a long command) is looked at again a timeout later.
  const idleAt = watched ? null : s.agentBusy ? Math.max(s.lastActivityAt.getTime() + idleMs, t + idleMs) : s.lastActivityAt.getTime() + idleMs;
  const later = (): SessionDecision => {
    const next = Math.min(expiryAt ?? Infinity, idleAt ?? Infinity);
    return { action: 'none', checkAt: Number.isFinite(next) ? new Date(next) : null };
  };
  // A sandbox on its way up or moving is acted on once it is running; until then only the next check is named.
  if (s.status !== 'running') return later();

  const lastSeen = (s.lastSeenAliveAt ?? s.startedAt ?? s.updatedAt).getTime();
  if (t - lastSeen >= settings.orphanAfterMs) return { action: 'pause', reason: 'orphaned', why: 'orphaned' };
  if (expiryAt !== null && t >= expiryAt) return watched ? { action: 'migrate' } : { action: 'pause', reason: 'inactivity', why: 'expiry' };
  if (idleAt !== null && t >= idleAt) return { action: 'pause', reason: 'inactivity', why: 'idle' };
  return later();
}
