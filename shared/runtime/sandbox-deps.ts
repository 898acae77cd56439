import type { SandboxRuntimeDeps } from '../domain/sessions/runtime';
import type { ToolDeps } from '../domain/sessions/tools';
import { snapshotSession } from '../domain/sessions/runtime';
import type { Container } from './container';
import { publishEvents } from '../realtime/session-gateway';

/** What the session lifecycle needs, taken from the container. */
export function sandboxRuntimeDeps(c: Container): SandboxRuntimeDeps {
  return {
    db: c.db,
    clock: c.clock,
    logger: c.logger.child({ component: 'sessions' }),
    sockets: c.sockets,
    providers: (kind) => c.sandboxes.provider(kind),
    daemon: () => c.sandboxes.daemon(),
    endpoints: c.sandboxes.endpoints,
    sandboxSecret: c.sandboxSecret,
    publish: (sessionId, items) => publishEvents(c, sessionId, items),
  };
}

export function toolDeps(c: Container): ToolDeps {
  return {
    db: c.db,
    objects: c.objects,
    snapshot: async (sessionId) => {
      // The daemon answers prepare_snapshot at once when its own agent is the one asking (and removes env files first).
      const result = await snapshotSession(sandboxRuntimeDeps(c), sessionId);
      return result.success ? { success: true, snapshotId: result.snapshotId } : { success: false, error: result.error };
    },
  };
}
