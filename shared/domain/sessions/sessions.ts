import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, lt } from 'drizzle-orm';
import type { SessionStatus } from '../../contracts/session-events';
import type { Db } from '../../db/client';
import { configuration, pendingPrompt, sandboxSession, sessionEvent, user } from '../../db/schema';
import type { OrgCaller } from '../caller';
import { conflict, notFound } from '../errors';
import { enqueue } from '../outbox/outbox';
import type { PublishEvents } from './events';
import { displayStatus } from './lifecycle';

export type SessionRow = typeof sandboxSession.$inferSelect;
export type SessionCommand = 'start' | 'pause' | 'snapshot' | 'terminate';

export const newSessionId = () => `ses_${randomBytes(12).toString('base64url')}`;
export const newMessageId = () => `msg_${randomBytes(9).toString('base64url')}`;

export interface SessionView {
  id: string;
  title: string | null;
  status: SessionStatus;
  displayStatus: ReturnType<typeof displayStatus>;
  pauseReason: string | null;
  sessionType: string;
  clientType: string;
  configuration: { id: string; name: string } | null;
  createdBy: { id: string; name: string } | null;
  sandboxProvider: string;
  metrics: { toolCalls: number; messagesExchanged: number; activeSeconds: number };
  latestTask: string | null;
  outcome: string | null;
  prUrls: string[];
  lastError: string | null;
  /** While running: since when (active seconds so far do not include the current stretch). */
  runningSince: string | null;
  eventSeq: number;
  createdAt: string;
  lastActivityAt: string;
}

const select = {
  s: sandboxSession,
  configurationName: configuration.name,
  creatorName: user.name,
};

function toView(r: { s: SessionRow; configurationName: string | null; creatorName: string | null }): SessionView {
  const s = r.s;
  return {
    id: s.id,
    title: s.title,
    status: s.status as SessionStatus,
    displayStatus: displayStatus(s.status as SessionStatus, s.pauseReason),
    pauseReason: s.pauseReason,
    sessionType: s.sessionType,
    clientType: s.clientType,
    configuration: s.configurationId && r.configurationName ? { id: s.configurationId, name: r.configurationName } : null,
    createdBy: s.createdBy && r.creatorName ? { id: s.createdBy, name: r.creatorName } : null,
    sandboxProvider: s.sandboxProvider,
    metrics: s.metrics,
    latestTask: s.latestTask,
    outcome: s.outcome,
    prUrls: s.prUrls,
    lastError: s.lastError,
    runningSince: s.runningSince?.toISOString() ?? null,
    eventSeq: Number(s.eventSeq),
    createdAt: s.createdAt.toISOString(),
    lastActivityAt: s.lastActivityAt.toISOString(),
  };
}

/** The session, if it belongs to the caller's organisation; any other id is a 404. */
export async function findSession(db: Db, organizationId: string, sessionId: string): Promise<SessionRow> {
  const [row] = await db
    .select()
    .from(sandboxSession)
    .where(and(eq(sandboxSession.id, sessionId), eq(sandboxSession.organizationId, organizationId)))
    .limit(1);
  if (!row) throw notFound('Session');
  return row;
}

export async function getSession(db: Db, caller: OrgCaller, sessionId: string): Promise<SessionView> {
  const [row] = await db
    .select(select)
    .from(sandboxSession)
    .leftJoin(configuration, eq(configuration.id, sandboxSession.configurationId))
    .leftJoin(user, eq(user.id, sandboxSession.createdBy))
    .where(and(eq(sandboxSession.id, sessionId), eq(sandboxSession.organizationId, caller.organizationId)))
    .limit(1);
  if (!row) throw notFound('Session');
  return toView(row);
}

/** Newest first, paged by a `before` cursor (the createdAt of the last row seen). */
export async function listSessions(
  db: Db,
  caller: OrgCaller,
  query: { status?: SessionStatus; configurationId?: string; limit: number; before?: string },
): Promise<{ sessions: SessionView[]; nextCursor: string | null }> {
  const rows = await db
    .select(select)
    .from(sandboxSession)
    .leftJoin(configuration, eq(configuration.id, sandboxSession.configurationId))
    .leftJoin(user, eq(user.id, sandboxSession.createdBy))
    .where(
      and(
        eq(sandboxSession.organizationId, caller.organizationId),
        query.status ? eq(sandboxSession.status, query.status) : undefined,
        query.configurationId ? eq(sandboxSession.configurationId, query.configurationId) : undefined,
        query.before ? lt(sandboxSession.createdAt, new Date(query.before)) : undefined,
      ),
    )
    .orderBy(desc(sandboxSession.createdAt), desc(sandboxSession.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit).map(toView);
  return { sessions: page, nextCursor: rows.length > query.limit ? page[page.length - 1].createdAt : null };
}

export interface CreateSessionInput {
  configurationId?: string | null;
  title?: string;
  initialPrompt?: string;
  sessionType: 'coding' | 'setup';
  sandboxMode: 'deferred' | 'immediate';
  clientType?: 'web' | 'cli' | 'api' | 'slack' | 'automation';
}

/**
 * Creates a session row (and, with an initial prompt, its first message). With `immediate`, the sandbox is requested
 * now through the outbox; with `deferred`, it starts when someone opens the session or sends a prompt.
 */
export async function createSession(
  deps: { db: Db; defaultProvider: string; publish: PublishEvents; idleTimeoutMinutes?: number },
  caller: OrgCaller,
  input: CreateSessionInput,
): Promise<SessionView> {
  const id = newSessionId();
  await deps.db.transaction(async (tx) => {
    let provider = deps.defaultProvider;
    if (input.configurationId) {
      const [cfg] = await tx
        .select({ id: configuration.id, provider: configuration.sandboxProvider })
        .from(configuration)
        .where(and(eq(configuration.id, input.configurationId), eq(configuration.organizationId, caller.organizationId)));
      if (!cfg) throw notFound('Configuration');
      provider = cfg.provider;
    }
    await tx.insert(sandboxSession).values({
      id,
      organizationId: caller.organizationId,
      createdBy: caller.userId,
      configurationId: input.configurationId ?? null,
      sessionType: input.sessionType,
      clientType: input.clientType ?? (caller.via === 'apiKey' ? 'api' : 'web'),
      title: input.title ?? (input.initialPrompt ? input.initialPrompt.slice(0, 80) : null),
      status: 'pending',
      sandboxProvider: provider,
      initialPrompt: input.initialPrompt ?? null,
      ...(deps.idleTimeoutMinutes ? { idleTimeoutMinutes: deps.idleTimeoutMinutes } : {}),
    });
    if (input.sandboxMode === 'immediate') {
      await enqueue(tx, 'session.command', { sessionId: id, organizationId: caller.organizationId, command: 'start' }, caller.organizationId);
    }
  });
  if (input.initialPrompt) await sendPrompt(deps, caller, id, input.initialPrompt, 'web', { deliver: false });
  return getSession(deps.db, caller, id);
}

export async function renameSession(deps: { db: Db; publish: PublishEvents }, caller: OrgCaller, sessionId: string, title: string): Promise<SessionView> {
  const { db } = deps;
  const rows = await db
    .update(sandboxSession)
    .set({ title, updatedAt: new Date() })
    .where(and(eq(sandboxSession.id, sessionId), eq(sandboxSession.organizationId, caller.organizationId)))
    .returning({ id: sandboxSession.id });
  if (!rows.length) throw notFound('Session');
  await deps.publish(sessionId, [{ event: { type: 'title_update', title } }]);
  return getSession(db, caller, sessionId);
}

/**
 * Queues a lifecycle command for the session worker (sandboxes take seconds to minutes, so never inside a request).
 * Returns the session as it is now; clients follow progress through status events.
 */
export async function requestCommand(db: Db, caller: OrgCaller, sessionId: string, command: SessionCommand): Promise<SessionView> {
  const s = await findSession(db, caller.organizationId, sessionId);
  const status = s.status as SessionStatus;
  if (command === 'pause' && !['running', 'starting', 'migrating'].includes(status)) throw conflict('illegal_transition', `A ${status} session cannot be paused`);
  if (command === 'start' && !['pending', 'paused', 'failed'].includes(status)) throw conflict('illegal_transition', `A ${status} session cannot be resumed`);
  if (command === 'snapshot' && status !== 'running') throw conflict('illegal_transition', `Only a running session can be snapshotted (this one is ${status})`);
  await enqueue(db, 'session.command', { sessionId, organizationId: caller.organizationId, command, reason: command === 'pause' ? 'manual' : undefined }, caller.organizationId);
  return getSession(db, caller, sessionId);
}

/** Deleting terminates the sandbox first (through the worker); the row goes with it. */
export async function deleteSession(db: Db, caller: OrgCaller, sessionId: string): Promise<void> {
  await findSession(db, caller.organizationId, sessionId);
  await enqueue(db, 'session.command', { sessionId, organizationId: caller.organizationId, command: 'terminate', reason: 'deleted' }, caller.organizationId);
}

/**
 * Records a prompt in the log (with the sender's identity from the connection or token, never from the payload) and
 * queues it for the daemon. Returns the message id and whether the sandbox has to be started for it.
 *
 * With a `clientMessageId` the prompt is sent at most once: the message id and the queue row's id are derived from it,
 * so a retry (a reconnecting CLI, a repeated HTTP call) finds the first one — in the log, or still queued — and is
 * answered with it (`duplicate`), changing nothing.
 */
export async function sendPrompt(
  deps: { db: Db; publish: PublishEvents },
  caller: Pick<OrgCaller, 'userId' | 'organizationId'>,
  sessionId: string,
  content: string,
  source: 'web' | 'cli' | 'api' | 'slack' | 'automation',
  options: { deliver?: boolean; clientMessageId?: string } = {},
): Promise<{ messageId: string; needsStart: boolean; duplicate: boolean }> {
  const { db } = deps;
  const s = await findSession(db, caller.organizationId, sessionId);
  if (s.status === 'stopped') throw conflict('session_stopped', 'This session has ended; start a new one');
  if (s.clientType === 'automation' && s.outcome) throw conflict('session_completed', 'This automation run is complete; its transcript is read-only');
  const { clientMessageId } = options;
  const derived = clientMessageId ? createHash('sha256').update(`${sessionId}\0${caller.userId}\0${clientMessageId}`).digest('base64url').slice(0, 16) : null;
  const messageId = derived ? `msg_${derived}` : newMessageId();
  const sourceKey = derived ? `prompt:${derived}` : undefined;
  if (sourceKey) {
    const [logged] = await db
      .select({ seq: sessionEvent.seq })
      .from(sessionEvent)
      .where(and(eq(sessionEvent.sessionId, sessionId), eq(sessionEvent.sourceKey, sourceKey)));
    if (logged) return { messageId, needsStart: false, duplicate: true };
  }
  // Queued before it is logged: a daemon that sees the message in the log always finds it in the queue.
  const queued = await db
    .insert(pendingPrompt)
    .values({ id: derived ? `pp_${derived}` : `pp_${randomBytes(9).toString('base64url')}`, sessionId, messageId, content })
    .onConflictDoNothing()
    .returning({ id: pendingPrompt.id });
  if (queued.length === 0) return { messageId, needsStart: false, duplicate: true };
  const event = { type: 'user_message' as const, messageId, content, senderId: caller.userId, source, ...(clientMessageId ? { clientMessageId } : {}) };
  await deps.publish(sessionId, [{ event, sourceKey }]);
  const needsStart = ['pending', 'paused', 'failed'].includes(s.status);
  if (needsStart && options.deliver !== false) {
    await enqueue(db, 'session.command', { sessionId, organizationId: caller.organizationId, command: 'start' }, caller.organizationId);
  }
  return { messageId, needsStart, duplicate: false };
}
