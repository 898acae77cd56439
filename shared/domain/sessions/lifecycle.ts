import type { SessionStatus } from '../../contracts/session-events';
import { conflict } from '../errors';

/**
 * Every status change a session may make, in one table. Anything else is refused with a 409, so no code path can move a
 * session somewhere it cannot be (a stopped session cannot run again; a paused one cannot be paused twice).
 */
const ALLOWED: Record<SessionStatus, SessionStatus[]> = {
  pending: ['starting', 'paused', 'stopped', 'failed'],
  starting: ['running', 'paused', 'failed', 'stopped'],
  running: ['migrating', 'paused', 'stopped', 'failed'],
  migrating: ['running', 'paused', 'failed'],
  paused: ['starting', 'stopped', 'failed'],
  stopped: [],
  failed: ['starting', 'stopped'],
};

export function canTransition(from: SessionStatus, to: SessionStatus): boolean {
  return ALLOWED[from].includes(to);
}

export function assertTransition(from: SessionStatus, to: SessionStatus): void {
  if (!canTransition(from, to)) {
    throw conflict('illegal_transition', `A ${from} session cannot become ${to}`);
  }
}

export type PauseReason =
  | 'manual'
  | 'inactivity'
  | 'orphaned'
  | 'automation_completed'
  | 'snapshot_failed'
  | 'expired'
  | 'server_stopped'
  | 'credit_limit'
  | 'payment_failed'
  | 'overage_cap'
  | 'suspended';

/** What the dashboard shows, derived from status and pause reason only. */
export function displayStatus(status: SessionStatus, pauseReason: string | null): 'active' | 'idle' | 'recovering' | 'blocked' | 'paused' | 'completed' | 'failed' {
  switch (status) {
    case 'pending':
    case 'starting':
    case 'running':
    case 'migrating':
      return 'active';
    case 'paused':
      if (pauseReason === 'inactivity') return 'idle';
      if (pauseReason === 'orphaned') return 'recovering';
      if (pauseReason && ['credit_limit', 'payment_failed', 'overage_cap', 'suspended'].includes(pauseReason)) return 'blocked';
      return 'paused';
    case 'stopped':
      return pauseReason === 'snapshot_failed' ? 'failed' : 'completed';
    default:
      return 'failed';
  }
}
