import { SessionCommandMessage } from '../../shared/contracts/messages';
import { checkSession } from '../../shared/domain/sessions/check';
import { migrateSession, pauseSession, snapshotSession, startSession, terminateSession } from '../../shared/domain/sessions/runtime';
import type { PauseReason } from '../../shared/domain/sessions/lifecycle';
import { sqsConsumer } from '../../shared/queues/sqs';
import { sandboxRuntimeDeps } from '../../shared/runtime/sandbox-deps';
import { createSandboxProvider } from '../../shared/sandbox/providers';

/** Runs sandbox lifecycle commands; each is safe to repeat (compare-and-set on status and sandbox id). */
export const handler = sqsConsumer('session-worker', async (message, { c, logger }) => {
  const cmd = SessionCommandMessage.parse(message.payload);
  const deps = sandboxRuntimeDeps(c);
  let result: unknown;
  switch (cmd.command) {
    case 'start':
      result = await startSession(deps, cmd.sessionId);
      break;
    case 'pause':
      result = await pauseSession(deps, cmd.sessionId, (cmd.reason ?? 'manual') as PauseReason);
      break;
    case 'snapshot':
      result = await snapshotSession(deps, cmd.sessionId);
      break;
    case 'migrate':
      result = await migrateSession(deps, cmd.sessionId);
      break;
    case 'terminate':
      await terminateSession(deps, cmd.sessionId, { deleteRow: cmd.reason === 'deleted' });
      result = 'terminated';
      break;
    case 'check':
      result = await checkSession(deps, cmd.sessionId);
      break;
  }
  logger.info({ sessionId: cmd.sessionId, command: cmd.command, result }, 'session command');
}, { createSandboxProvider });
