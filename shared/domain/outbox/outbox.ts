import { and, eq, sql } from 'drizzle-orm';
import { outboxTopics, type OutboxTopic } from '../../contracts/messages';
import type { Db, DbOrTx } from '../../db/client';
import { rowsOf } from '../../db/rows';
import { outbox } from '../../db/schema';
import type { Clock } from '../../ports';

export interface OutboxRow {
  id: number;
  topic: string;
  payload: Record<string, unknown>;
  organizationId: string | null;
  attempts: number;
}

/** After this many failed publishes a row is marked dead and left for an operator. */
export const MAX_PUBLISH_ATTEMPTS = 10;

/** Writes an outbox row; call it with the transaction that made the domain change, so both commit or neither does. */
export async function enqueue<T extends OutboxTopic>(
  tx: DbOrTx,
  topic: T,
  payload: unknown,
  organizationId: string | null = null,
): Promise<number> {
  const parsed = outboxTopics[topic].payload.parse(payload) as Record<string, unknown>;
  const [row] = await tx.insert(outbox).values({ topic, payload: parsed, organizationId }).returning({ id: outbox.id });
  return row.id;
}

/**
 * Leases up to `limit` publishable rows to `owner`. Rows whose lease expired (a dispatcher died after claiming) are
 * claimable again, which is what makes delivery at-least-once. SKIP LOCKED keeps concurrent dispatchers apart.
 * A row that has not failed is publishable at once: its `available_at` is the database's insert time, which the caller's
 * clock (a Lambda's, or a test's) need not agree with; only the back-off after a failure, set from that clock, is waited
 * for (a lease that ran out is judged by `lease_until`, also set from it).
 */
export async function claim(
  db: Db,
  options: { owner: string; leaseMs: number; limit: number; clock: Clock },
): Promise<OutboxRow[]> {
  const now = options.clock.now();
  const leaseUntil = new Date(now.getTime() + options.leaseMs);
  const result = await db.execute(sql`
    update ${outbox} set lease_owner = ${options.owner}, lease_until = ${leaseUntil.toISOString()}, attempts = attempts + 1
    where id in (
      select id from ${outbox}
      where status = 'pending' and (last_error is null or available_at <= ${now.toISOString()})
        and (lease_until is null or lease_until < ${now.toISOString()})
      order by id
      limit ${options.limit}
      for update skip locked
    )
    returning id, topic, payload, organization_id as "organizationId", attempts`);
  return rowsOf<OutboxRow>(result).map((r) => ({ ...r, id: Number(r.id) }));
}

export async function markPublished(db: Db, id: number, owner: string, clock: Clock): Promise<void> {
  await db
    .update(outbox)
    .set({ status: 'done', publishedAt: clock.now(), leaseOwner: null, leaseUntil: null, lastError: null })
    .where(and(eq(outbox.id, id), eq(outbox.leaseOwner, owner)));
}

/** Backs off exponentially (2^attempts seconds, capped at 15 minutes) and gives up after MAX_PUBLISH_ATTEMPTS. */
export async function markFailed(db: Db, row: OutboxRow, owner: string, error: unknown, clock: Clock): Promise<void> {
  const delayMs = Math.min(2 ** row.attempts * 1000, 15 * 60 * 1000);
  const dead = row.attempts >= MAX_PUBLISH_ATTEMPTS;
  await db
    .update(outbox)
    .set({
      status: dead ? 'dead' : 'pending',
      availableAt: new Date(clock.now().getTime() + delayMs),
      leaseOwner: null,
      leaseUntil: null,
      lastError: error instanceof Error ? error.message.slice(0, 2000) : String(error).slice(0, 2000),
    })
    .where(and(eq(outbox.id, row.id), eq(outbox.leaseOwner, owner)));
}
