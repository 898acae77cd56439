import { and, asc, eq, like, sql } from 'drizzle-orm';
import type * as z from 'zod';
import type { DaemonMessage, LoggedEvent, SessionStatus, ViewerMessage, ViewerUpdate } from '../contracts/session-events';
import type { ServerMessage } from '../contracts/ws';
import type { Db } from '../db/client';
import { pendingPrompt, sandboxSession, sessionEvent, sessionSubscription, wsConnection } from '../db/schema';
import type { OrgCaller } from '../domain/caller';
import { DomainError, forbidden } from '../domain/errors';
import { membershipOf } from '../domain/orgs/organizations';
import { appendEvents, compactMessage, readEvents, type AppendItem, type PublishEvents } from '../domain/sessions/events';
import { viewersLeft } from '../domain/sessions/check-schedule';
import { markRunning, sendToDaemon } from '../domain/sessions/runtime';
import { findSession, sendPrompt } from '../domain/sessions/sessions';
import { enqueue } from '../domain/outbox/outbox';
import { recordEnvApplied } from '../domain/secrets/session-env';
import { GoneConnectionError } from '../ports';
import { checkScheduleDeps } from '../runtime/check-deps';
import type { Container } from '../runtime/container';
import { dropConnection } from './connections';

type Connection = typeof wsConnection.$inferSelect;
type Out = ViewerUpdate | ServerMessage | z.infer<typeof import('../contracts/session-events').DaemonCommand>;

const REPLAY_BATCH = 500;
/** Terminal ids the daemon sees name the viewer connection that opened them, so output goes back to it alone. */
const TERMINAL_SEP = '~';

async function post(c: Container, connectionId: string, message: Out): Promise<boolean> {
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

/** Sends to every viewer subscribed to the session. */
export async function broadcastToSession(c: Container, sessionId: string, message: ViewerUpdate): Promise<number> {
  const subs = await c.db.select({ id: sessionSubscription.connectionId }).from(sessionSubscription).where(eq(sessionSubscription.sessionId, sessionId));
  const sent = await Promise.all(subs.map((s) => post(c, s.id, message)));
  return sent.filter(Boolean).length;
}

/** Appends to the log, then fans out: viewers only ever see events that are already durable. */
export async function publishEvents(c: Container, sessionId: string, items: AppendItem[]): Promise<LoggedEvent[]> {
  const logged = await appendEvents(c.db, sessionId, items);
  if (logged.length) await broadcastToSession(c, sessionId, { type: 'events', sessionId, events: logged });
  return logged;
}

/** Hands queued prompts, oldest first, to the daemon; each leaves the queue when the daemon accepts it. */
export async function deliverPendingPrompts(c: Container, sessionId: string): Promise<number> {
  const [s] = await c.db.select({ status: sandboxSession.status }).from(sandboxSession).where(eq(sandboxSession.id, sessionId));
  if (s?.status !== 'running') return 0;
  const prompts = await c.db.select().from(pendingPrompt).where(eq(pendingPrompt.sessionId, sessionId)).orderBy(asc(pendingPrompt.createdAt), asc(pendingPrompt.id));
  let delivered = 0;
  for (const p of prompts) {
    if (!(await sendToDaemon(c, sessionId, { type: 'prompt', promptId: p.id, content: p.content, messageId: p.messageId }))) break;
    delivered++;
  }
  return delivered;
}

// ---- the daemon's side -------------------------------------------------------------------------------------------

/** The highest daemon sequence number logged for this sandbox (the daemon resends anything after it). */
async function lastLoggedDseq(db: Db, sessionId: string, sandboxId: string): Promise<number> {
  const [row] = await db
    .select({ max: sql<string | null>`max(split_part(${sessionEvent.sourceKey}, ':', 2)::bigint)` })
    .from(sessionEvent)
    .where(and(eq(sessionEvent.sessionId, sessionId), like(sessionEvent.sourceKey, `${sandboxId}:%`)));
  return Number(row?.max ?? 0);
}

export async function onDaemonMessage(c: Container, conn: Connection, msg: DaemonMessage): Promise<void> {
  const sessionId = conn.sessionId!;
  const sandboxId = conn.sandboxId!;
  const now = c.clock.now();
  switch (msg.type) {
    case 'hello': {
      if (msg.sandboxId !== sandboxId) {
        await post(c, conn.connectionId, { type: 'error', code: 'wrong_sandbox', message: 'The token names another sandbox' });
        return;
      }
      await c.db.update(sandboxSession).set({ lastSeenAliveAt: now }).where(and(eq(sandboxSession.id, sessionId), eq(sandboxSession.sandboxId, sandboxId)));
      await post(c, conn.connectionId, { type: 'welcome', sessionId, lastAckedDseq: await lastLoggedDseq(c.db, sessionId, sandboxId) });
      await markRunning({ ...c, publish: (id, items) => publishEvents(c, id, items) }, sessionId, sandboxId);
      await deliverPendingPrompts(c, sessionId);
      return;
    }
    case 'events': {
      const items = msg.events.map((e) => ({ event: e.event, sourceKey: `${sandboxId}:${e.dseq}` }));
      const logged = await publishEvents(c, sessionId, items);
      await post(c, conn.connectionId, { type: 'ack', dseq: Math.max(...msg.events.map((e) => e.dseq)) });
      const busy = agentBusyAfter(logged.map((l) => l.event.type));
      // Only the session's current sandbox says whether its agent is busy (an old one's late events must not).
      if (busy !== undefined) {
        await c.db
          .update(sandboxSession)
          .set({ agentBusy: busy, lastSeenAliveAt: now })
          .where(and(eq(sandboxSession.id, sessionId), eq(sandboxSession.sandboxId, sandboxId)));
      }
      for (const l of logged) if (l.event.type === 'message_complete') await compactMessage(c.db, sessionId, l.event.messageId);
      return;
    }
    case 'prompt_accepted':
      await c.db.delete(pendingPrompt).where(and(eq(pendingPrompt.id, msg.promptId), eq(pendingPrompt.sessionId, sessionId)));
      return;
    case 'git_status': {
      const update: ViewerUpdate = { type: 'git_status', sessionId, requestId: msg.requestId, state: msg.state };
      if (msg.viewerConnectionId) await post(c, msg.viewerConnectionId, update);
      else await broadcastToSession(c, sessionId, update);
      return;
    }
    case 'terminal_output':
    case 'terminal_exit': {
      const at = msg.terminalId.indexOf(TERMINAL_SEP);
      if (at < 0) return;
      const viewer = msg.terminalId.slice(0, at);
      const terminalId = msg.terminalId.slice(at + 1);
      await post(
        c,
        viewer,
        msg.type === 'terminal_output' ? { type: 'terminal_output', sessionId, terminalId, data: msg.data } : { type: 'terminal_exit', sessionId, terminalId, exitCode: msg.exitCode },
      );
      return;
    }
    case 'heartbeat':
      await c.db.update(sandboxSession).set({ agentBusy: msg.agentBusy, lastSeenAliveAt: now }).where(and(eq(sandboxSession.id, sessionId), eq(sandboxSession.sandboxId, sandboxId)));
      return;
    case 'snapshot_ready':
      await c.db.update(sandboxSession).set({ snapshotReadyRequestId: msg.requestId }).where(and(eq(sandboxSession.id, sessionId), eq(sandboxSession.sandboxId, sandboxId)));
      return;
    case 'env_applied':
      await recordEnvApplied(c.db, sessionId, sandboxId, msg);
      return;
  }
}

function agentBusyAfter(types: string[]): boolean | undefined {
  let busy: boolean | undefined;
  for (const t of types) {
    if (t === 'message' || t === 'tool_start') busy = true;
    else if (t === 'message_complete' || t === 'message_cancelled') busy = false;
  }
  return busy;
}

// ---- the viewers' side -------------------------------------------------------------------------------------------

/**
 * Who sends a viewer's message: the connection's user in the connection's organisation (both recorded at $connect),
 * with the membership re-verified for every message (one query; a removed member is refused at once).
 */
async function viewerCaller(c: Container, conn: Connection): Promise<ViewerCaller> {
  if (!conn.userId || !conn.organizationId) throw forbidden('no_active_organization', 'Choose or create an organisation first');
  const membership = await membershipOf(c.db, conn.userId, conn.organizationId);
  if (!membership) throw forbidden('not_a_member', 'You are not a member of this organisation');
  return { userId: conn.userId, organizationId: conn.organizationId, via: conn.via === 'apiKey' ? 'apiKey' : 'session' };
}

type ViewerCaller = Pick<OrgCaller, 'userId' | 'organizationId' | 'via'>;

export async function onViewerMessage(c: Container, conn: Connection, msg: ViewerMessage): Promise<void> {
  const caller = await viewerCaller(c, conn);
  const session = await findSession(c.db, caller.organizationId, msg.sessionId);
  const isCreator = session.createdBy === null || session.createdBy === caller.userId;
  const mutating = (what: string) => {
    if (!isCreator) throw new DomainError('forbidden', 'not_session_owner', `Only the person who started this session can ${what}`);
  };
  switch (msg.type) {
    case 'subscribe': {
      // Subscribe first, then replay: an event logged in between is sent twice (the client drops it by seq), never lost.
      await c.db.insert(sessionSubscription).values({ connectionId: conn.connectionId, sessionId: session.id, userId: caller.userId }).onConflictDoNothing();
      let after = msg.afterSeq;
      for (;;) {
        const batch = await readEvents(c.db, session.id, after, REPLAY_BATCH);
        if (batch.length === 0) break;
        await post(c, conn.connectionId, { type: 'events', sessionId: session.id, events: batch, replay: true });
        after = batch[batch.length - 1].seq;
        if (batch.length < REPLAY_BATCH) break;
      }
      const [now] = await c.db.select({ seq: sandboxSession.eventSeq, status: sandboxSession.status }).from(sandboxSession).where(eq(sandboxSession.id, session.id));
      await post(c, conn.connectionId, { type: 'subscribed', sessionId: session.id, lastSeq: Number(now.seq), status: now.status as SessionStatus });
      if (now.status === 'pending') await requestStart(c, session.id, caller.organizationId);
      return;
    }
    case 'unsubscribe':
      await c.db.delete(sessionSubscription).where(and(eq(sessionSubscription.connectionId, conn.connectionId), eq(sessionSubscription.sessionId, session.id)));
      await viewersLeft(checkScheduleDeps(c), [session.id]);
      return;
    case 'prompt': {
      const source = caller.via === 'apiKey' ? 'cli' : 'web';
      const publish: PublishEvents = (id, items) => publishEvents(c, id, items);
      const { needsStart } = await sendPrompt({ db: c.db, publish }, caller, session.id, msg.content, source, { clientMessageId: msg.clientMessageId });
      if (!needsStart) await deliverPendingPrompts(c, session.id);
      await c.outboxWritten();
      return;
    }
    case 'cancel':
      await sendToDaemon(c, session.id, { type: 'cancel' });
      return;
    case 'save_snapshot':
      mutating('save a snapshot');
      await enqueue(c.db, 'session.command', { sessionId: session.id, organizationId: caller.organizationId, command: 'snapshot' }, caller.organizationId);
      await c.outboxWritten();
      return;
    case 'git':
      if (msg.git.action !== 'status') mutating('change its repositories');
      if (!(await sendToDaemon(c, session.id, { type: 'git', requestId: msg.requestId, git: msg.git, viewerConnectionId: conn.connectionId }))) {
        throw new DomainError('conflict', 'sandbox_not_connected', 'The sandbox is not running; resume the session first');
      }
      return;
    case 'terminal_open':
    case 'terminal_input':
    case 'terminal_resize':
    case 'terminal_close': {
      mutating('use its terminal');
      const terminalId = `${conn.connectionId}${TERMINAL_SEP}${msg.terminalId}`;
      const command =
        msg.type === 'terminal_open'
          ? { type: msg.type, terminalId, cols: msg.cols, rows: msg.rows }
          : msg.type === 'terminal_input'
            ? { type: msg.type, terminalId, data: msg.data }
            : msg.type === 'terminal_resize'
              ? { type: msg.type, terminalId, cols: msg.cols, rows: msg.rows }
              : { type: msg.type, terminalId };
      if (!(await sendToDaemon(c, session.id, command))) {
        throw new DomainError('conflict', 'sandbox_not_connected', 'The sandbox is not running; resume the session first');
      }
      return;
    }
  }
}

async function requestStart(c: Container, sessionId: string, organizationId: string) {
  await enqueue(c.db, 'session.command', { sessionId, organizationId, command: 'start' }, organizationId);
  await c.outboxWritten();
}
