import { sweepSessions } from '../../shared/domain/sessions/sweeper';
import { getContainer } from '../../shared/runtime/container';

/** Every minute: migrate, pause idle or orphaned sessions, fail stuck starts (see sweepSessions). */
export const handler = async (): Promise<{ commands: number }> => {
  const c = await getContainer();
  const commands = await sweepSessions(c);
  if (commands.length) {
    c.logger.info({ commands: commands.map((x) => `${x.command}:${x.sessionId}`) }, 'sessions swept');
    await c.outboxWritten();
  }
  return { commands: commands.length };
};
