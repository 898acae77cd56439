import type { DisplayStatus, SessionStatus } from '../api/types';
import type { IconName } from '../shared/icon.component';

/** What the dashboard calls a session's state: a pure function of status and pause reason (as the server does). */
export function displayStatusOf(status: SessionStatus, pauseReason: string | null): DisplayStatus {
  switch (status) {
    case 'pending':
    case 'starting':
    case 'running':
    case 'migrating':
      return 'active';
    case 'paused':
      if (pauseReason === 'inactivity') return 'idle';
      if (pauseReason === 'orphaned') return 'recovering';
      if (pauseReason && BLOCKED_REASONS[pauseReason]) return 'blocked';
      return 'paused';
    case 'stopped':
      return pauseReason === 'snapshot_failed' ? 'failed' : 'completed';
    default:
      return 'failed';
  }
}

export const DISPLAY_STATUS_LABELS: Record<DisplayStatus, string> = {
  active: 'Active',
  idle: 'Idle',
  recovering: 'Recovering',
  blocked: 'Blocked',
  paused: 'Paused',
  completed: 'Completed',
  failed: 'Failed',
};

export const STATUS_LABELS: Record<SessionStatus, string> = {
  pending: 'Pending',
  starting: 'Starting',
  running: 'Running',
  migrating: 'Extending',
  paused: 'Paused',
  stopped: 'Stopped',
  failed: 'Failed',
};

export const BLOCKED_REASONS: Record<string, string> = {
  credit_limit: 'Out of credits',
  payment_failed: 'Payment failed',
  overage_cap: 'Usage cap reached',
  suspended: 'Account suspended',
};

/** Why a session is paused, in words. */
export function pauseReasonText(reason: string | null): string {
  if (!reason) return 'Paused.';
  if (BLOCKED_REASONS[reason]) return `${BLOCKED_REASONS[reason]}.`;
  switch (reason) {
    case 'inactivity':
      return 'Paused after a while without activity.';
    case 'orphaned':
      return 'The sandbox stopped answering; the session was paused and will recover when resumed.';
    case 'automation_completed':
      return 'The automation finished.';
    case 'expired':
      return 'The sandbox reached its time limit.';
    case 'manual':
      return 'Paused by a person.';
    default:
      return 'Paused.';
  }
}

/** Git result codes as something a person can act on. */
export const GIT_CODE_MESSAGES: Record<string, string> = {
  SUCCESS: 'Done.',
  NOTHING_TO_COMMIT: 'Nothing to commit: there are no changes.',
  NO_REMOTE: 'This repository has no remote to push to.',
  NOT_A_REPO: 'This folder is not a git repository.',
  SHALLOW_PUSH_FAILED: 'The push was rejected because the clone is shallow, even after fetching more history.',
  AUTH_FAILED: 'The git host refused the credentials. Check the repository integration.',
  GH_NOT_AVAILABLE: 'The GitHub CLI is not available in the sandbox, so no pull request could be opened.',
  NOT_GITHUB_REMOTE: 'Pull requests can only be opened for GitHub repositories.',
  BRANCH_EXISTS: 'A branch with that name already exists.',
  MERGE_CONFLICT: 'There are merge conflicts to resolve first.',
  REPO_BUSY: 'Git is busy in the sandbox (another operation holds the lock). Try again in a moment.',
  MULTIPLE_REMOTES: 'The repository has several remotes, so it is unclear where to push.',
  UNKNOWN_ERROR: 'Git failed.',
};

export function gitCodeMessage(code: string, fallback: string): string {
  const friendly = GIT_CODE_MESSAGES[code];
  if (!friendly || code === 'UNKNOWN_ERROR') return fallback || friendly || 'Git failed.';
  return friendly;
}

export const TOOL_KIND_ICONS: Record<string, IconName> = {
  read: 'file',
  edit: 'edit',
  delete: 'trash',
  move: 'move',
  search: 'search',
  execute: 'terminal',
  think: 'bulb',
  fetch: 'globe',
  other: 'tool',
};

export function toolIcon(kind: string): IconName {
  return TOOL_KIND_ICONS[kind] ?? 'tool';
}

/** "45s", "3m 20s", "1h 5m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", then the date. */
export function relativeTime(iso: string, now: number): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 14) return days === 1 ? 'yesterday' : `${days} days ago`;
  return new Date(then).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** The last part of a pull request URL: `#123`, or the URL when it is not one. */
export function prLabel(url: string): string {
  const match = /\/pull\/(\d+)/.exec(url);
  return match ? `#${match[1]}` : url;
}

/** Active seconds including the stretch still running (the server adds it up only when the session pauses or stops). */
export function activeSeconds(session: { metrics: { activeSeconds: number }; runningSince: string | null }, now: number): number {
  const running = session.runningSince ? Math.max(0, Math.floor((now - Date.parse(session.runningSince)) / 1000)) : 0;
  return session.metrics.activeSeconds + running;
}
