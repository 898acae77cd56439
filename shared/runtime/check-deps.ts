import type { CheckScheduleDeps } from '../domain/sessions/check-schedule';
import { sessionCheckSettings } from '../domain/sessions/decision';
import type { Container } from './container';

/** What scheduling a session's next check needs, taken from the container (the lifecycle, and viewers leaving). */
export function checkScheduleDeps(c: Container): CheckScheduleDeps {
  return { db: c.db, clock: c.clock, logger: c.logger.child({ component: 'sessions' }), scheduler: c.scheduler, checks: sessionCheckSettings(c.config) };
}
