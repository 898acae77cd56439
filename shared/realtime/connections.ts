import { eq } from 'drizzle-orm';
import type { ServerMessage } from '../contracts/ws';
import type { Db } from '../db/client';
import { sessionSubscription, wsConnection } from '../db/schema';
import { viewersLeft } from '../domain/sessions/check-schedule';
import { GoneConnectionError } from '../ports';
import { checkScheduleDeps } from '../runtime/check-deps';
import type { Container } from '../runtime/container';

export async function recordConnection(
  db: Db,
  row: {
    connectionId: string;
    kind: 'user' | 'sandbox';
    userId: string | null;
    organizationId: string | null;
    /** For a user: how the connection authenticated (an API key is the CLI's). */
    via?: 'session' | 'apiKey' | null;
    sessionId?: string | null;
    sandboxId?: string | null;
  },
): Promise<void> {
  await db
    .insert(wsConnection)
    .values({ ...row, via: row.via ?? null, sessionId: row.sessionId ?? null, sandboxId: row.sandboxId ?? null })
    .onConflictDoUpdate({ target: wsConnection.connectionId, set: { userId: row.userId, organizationId: row.organizationId } });
}

/**
 * A connection that is gone — its $disconnect, or found gone while sending (API Gateway delivers $disconnect
 * best-effort): its row and its subscriptions go, and a session nobody watches any more gets its idle check.
 */
export async function dropConnection(c: Container, connectionId: string): Promise<void> {
  await c.db.delete(wsConnection).where(eq(wsConnection.connectionId, connectionId));
  const left = await c.db
    .delete(sessionSubscription)
    .where(eq(sessionSubscription.connectionId, connectionId))
    .returning({ sessionId: sessionSubscription.sessionId });
  if (left.length) await viewersLeft(checkScheduleDeps(c), left.map((l) => l.sessionId));
}

export async function findConnection(db: Db, connectionId: string) {
  const [row] = await db.select().from(wsConnection).where(eq(wsConnection.connectionId, connectionId)).limit(1);
  return row ?? null;
}

/** Sends to one connection; a connection that is gone is forgotten instead of failing the caller. */
export async function sendTo(c: Container, connectionId: string, message: ServerMessage): Promise<boolean> {
  try {
    await c.sockets.postToConnection(connectionId, message);
    return true;
  } catch (err) {
    if (err instanceof GoneConnectionError) {
      await dropConnection(c, connectionId);
      return false;
    }
    throw err;
  }
}

/** Pushes a message to every dashboard connected in an organisation. Returns how many received it. */
export async function broadcastToOrganization(c: Container, organizationId: string, message: ServerMessage): Promise<number> {
  const rows = await c.db
    .select({ connectionId: wsConnection.connectionId })
    .from(wsConnection)
    .where(eq(wsConnection.organizationId, organizationId));
  const sent = await Promise.all(rows.map((r) => sendTo(c, r.connectionId, message)));
  return sent.filter(Boolean).length;
}
