import { sessionCheckSettings } from '../../shared/domain/sessions/decision';
import { sweepSessions } from '../../shared/domain/sessions/sweeper';
import { getContainer } from '../../shared/runtime/container';

/**
 * Every five minutes, the backstop behind each session's one-off check: migrate, pause idle or orphaned sessions,
 * fail stuck starts (see sweepSessions).
 */
export const handler = async (): Promise<{ commands: number }> => {
  const c = await getContainer();
  const commands = await sweepSessions(c, sessionCheckSettings(c.config));
  if (commands.length) {
    c.logger.info({ commands: commands.map((x) => `${x.command}:${x.sessionId}`) }, 'sessions swept');
    await c.outboxWritten();
  }
  return { commands: commands.length };
};
