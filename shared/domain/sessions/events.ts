import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { LoggedEvent, SessionEvent } from '../../contracts/session-events';
import type { Db, DbOrTx } from '../../db/client';
import { sandboxSession, sessionEvent } from '../../db/schema';
import { notFound } from '../errors';

/** Appends and fans out (the realtime gateway's publishEvents); domain code takes it as a dependency. */
export type PublishEvents = (sessionId: string, items: AppendItem[]) => Promise<LoggedEvent[]>;

export interface AppendItem {
  event: SessionEvent;
  /** Makes the append idempotent: an item whose key is already in the log is skipped (daemon resends). */
  sourceKey?: string;
}

/**
 * Appends events to a session's log with the next sequence numbers. The session row is locked for the allocation, so
 * concurrent appenders get disjoint, gapless, ordered numbers; items already logged (same source key) are skipped.
 * Telemetry the events imply (tool calls, messages, latest task, PR links) is updated in the same transaction.
 */
export async function appendEvents(db: Db, sessionId: string, items: AppendItem[]): Promise<LoggedEvent[]> {
  if (items.length === 0) return [];
  return db.transaction(async (tx) => {
    const [locked] = await tx.select({ seq: sandboxSession.eventSeq }).from(sandboxSession).where(eq(sandboxSession.id, sessionId)).for('update');
    if (!locked) throw notFound('Session');
    const keys = items.map((i) => i.sourceKey).filter((k): k is string => Boolean(k));
    const seen = new Set(
      keys.length
        ? (
            await tx
              .select({ key: sessionEvent.sourceKey })
              .from(sessionEvent)
              .where(and(eq(sessionEvent.sessionId, sessionId), inArray(sessionEvent.sourceKey, keys)))
          ).map((r) => r.key)
        : [],
    );
    const fresh: AppendItem[] = [];
    for (const item of items) {
      if (item.sourceKey && seen.has(item.sourceKey)) continue;
      if (item.sourceKey) seen.add(item.sourceKey);
      fresh.push(item);
    }
    if (fresh.length === 0) return [];
    const first = Number(locked.seq) + 1;
    const now = new Date();
    const rows = fresh.map((item, i) => ({
      sessionId,
      seq: first + i,
      type: item.event.type,
      payload: item.event as unknown as Record<string, unknown>,
      sourceKey: item.sourceKey ?? null,
      createdAt: now,
    }));
    await tx.insert(sessionEvent).values(rows);
    await tx
      .update(sandboxSession)
      .set({ eventSeq: first + fresh.length - 1, ...telemetryPatch(fresh.map((f) => f.event)), lastActivityAt: now, updatedAt: now })
      .where(eq(sandboxSession.id, sessionId));
    return rows.map((r) => ({ seq: r.seq, at: now.toISOString(), event: r.payload as unknown as SessionEvent }));
  });
}

const PR_URL = /https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/pull\/\d+/g;

/** The session-row changes a batch of events implies, as atomic SQL increments (no read-modify-write). */
function telemetryPatch(events: SessionEvent[]) {
  let toolCalls = 0;
  let messages = 0;
  let latestTask: string | undefined;
  const prUrls = new Set<string>();
  for (const e of events) {
    if (e.type === 'tool_start') {
      toolCalls++;
      latestTask = e.title;
    } else if (e.type === 'tool_metadata' && e.title) latestTask = e.title;
    else if (e.type === 'user_message' || e.type === 'message_complete') messages++;
    else if (e.type === 'git_result' && e.prUrl) prUrls.add(e.prUrl);
    else if (e.type === 'text_part_complete') for (const m of e.text.match(PR_URL) ?? []) prUrls.add(m);
  }
  const patch: Record<string, unknown> = {};
  if (toolCalls || messages) {
    patch.metrics = sql`jsonb_set(jsonb_set(${sandboxSession.metrics}, '{toolCalls}', to_jsonb(coalesce((${sandboxSession.metrics}->>'toolCalls')::int, 0) + ${toolCalls})), '{messagesExchanged}', to_jsonb(coalesce((${sandboxSession.metrics}->>'messagesExchanged')::int, 0) + ${messages}))`;
  }
  if (latestTask !== undefined) patch.latestTask = latestTask.slice(0, 500);
  if (prUrls.size) {
    patch.prUrls = sql`(select coalesce(jsonb_agg(distinct u), '[]'::jsonb) from jsonb_array_elements_text(${sandboxSession.prUrls} || ${JSON.stringify([...prUrls])}::jsonb) as u)`;
  }
  return patch;
}

/** Events after `afterSeq`, oldest first, at most `limit`. */
export async function readEvents(db: DbOrTx, sessionId: string, afterSeq: number, limit = 1000): Promise<LoggedEvent[]> {
  const rows = await db
    .select({ seq: sessionEvent.seq, payload: sessionEvent.payload, createdAt: sessionEvent.createdAt })
    .from(sessionEvent)
    .where(and(eq(sessionEvent.sessionId, sessionId), gt(sessionEvent.seq, afterSeq)))
    .orderBy(asc(sessionEvent.seq))
    .limit(limit);
  return rows.map((r) => ({ seq: Number(r.seq), at: r.createdAt.toISOString(), event: r.payload as unknown as SessionEvent }));
}

/**
 * Once a text part is complete its token frames are redundant (text_part_complete carries the whole text): dropping
 * them keeps the replay of a long session cheap. Sequence numbers are not reused, so a replay simply skips them.
 */
export async function compactMessage(db: DbOrTx, sessionId: string, messageId: string): Promise<number> {
  const result = await db.execute(sql`
    delete from ${sessionEvent} t
    where t.session_id = ${sessionId} and t.type = 'token' and t.payload->>'messageId' = ${messageId}
      and exists (
        select 1 from ${sessionEvent} c
        where c.session_id = t.session_id and c.type = 'text_part_complete'
          and c.payload->>'messageId' = t.payload->>'messageId' and c.payload->>'partId' = t.payload->>'partId'
      )`);
  return (result as unknown as { count?: number; affectedRows?: number }).count ?? (result as unknown as { affectedRows?: number }).affectedRows ?? 0;
}
