import type { SandboxRuntimeDeps } from '../domain/sessions/runtime';
import type { ToolDeps } from '../domain/sessions/tools';
import { eq } from 'drizzle-orm';
import { sandboxSession } from '../db/schema';
import { enqueue } from '../domain/outbox/outbox';
import { readEvents } from '../domain/sessions/events';
import { checkScheduleDeps } from './check-deps';
import type { Container } from './container';
import { publishEvents } from '../realtime/session-gateway';

/** What the session lifecycle needs, taken from the container. */
export function sandboxRuntimeDeps(c: Container): SandboxRuntimeDeps {
  return {
    ...checkScheduleDeps(c),
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
      // The session worker takes snapshots (it carries the provider SDKs; this HTTP function stays small). The daemon
      // answers its prepare_snapshot at once when its own agent is the one asking. Wait for the result in the log.
      const [s] = await c.db.select({ seq: sandboxSession.eventSeq, org: sandboxSession.organizationId }).from(sandboxSession).where(eq(sandboxSession.id, sessionId));
      if (!s) return { success: false, error: 'The session is gone' };
      await enqueue(c.db, 'session.command', { sessionId, organizationId: s.org, command: 'snapshot' }, s.org);
      await c.outboxWritten();
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        const result = (await readEvents(c.db, sessionId, Number(s.seq))).find((e) => e.event.type === 'snapshot_result')?.event;
        if (result?.type === 'snapshot_result') return { success: result.success, snapshotId: result.snapshotId, error: result.error };
        await new Promise((r) => setTimeout(r, 250));
      }
      return { success: false, error: 'The snapshot did not finish within two minutes' };
    },
  };
}
