import { eq } from 'drizzle-orm';
import type { ServerMessage } from '../contracts/ws';
import type { Db } from '../db/client';
import { wsConnection } from '../db/schema';
import { GoneConnectionError, type SocketsPort } from '../ports';
import type { Logger } from '../runtime/logger';

export async function recordConnection(
  db: Db,
  row: { connectionId: string; kind: 'user' | 'sandbox'; userId: string | null; organizationId: string | null; sessionId?: string | null; sandboxId?: string | null },
): Promise<void> {
  await db
    .insert(wsConnection)
    .values({ ...row, sessionId: row.sessionId ?? null, sandboxId: row.sandboxId ?? null })
    .onConflictDoUpdate({ target: wsConnection.connectionId, set: { userId: row.userId, organizationId: row.organizationId } });
}

export async function forgetConnection(db: Db, connectionId: string): Promise<void> {
  await db.delete(wsConnection).where(eq(wsConnection.connectionId, connectionId));
}

export async function findConnection(db: Db, connectionId: string) {
  const [row] = await db.select().from(wsConnection).where(eq(wsConnection.connectionId, connectionId)).limit(1);
  return row ?? null;
}

/** Sends to one connection; a connection that is gone is forgotten instead of failing the caller. */
export async function sendTo(deps: { db: Db; sockets: SocketsPort; logger: Logger }, connectionId: string, message: ServerMessage): Promise<boolean> {
  try {
    await deps.sockets.postToConnection(connectionId, message);
    return true;
  } catch (err) {
    if (err instanceof GoneConnectionError) {
      await forgetConnection(deps.db, connectionId);
      return false;
    }
    throw err;
  }
}

/** Pushes a message to every dashboard connected in an organisation. Returns how many received it. */
export async function broadcastToOrganization(
  deps: { db: Db; sockets: SocketsPort; logger: Logger },
  organizationId: string,
  message: ServerMessage,
): Promise<number> {
  const rows = await deps.db
    .select({ connectionId: wsConnection.connectionId })
    .from(wsConnection)
    .where(eq(wsConnection.organizationId, organizationId));
  const sent = await Promise.all(rows.map((r) => sendTo(deps, r.connectionId, message)));
  return sent.filter(Boolean).length;
}
