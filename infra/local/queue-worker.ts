import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { and, asc, eq, gte, inArray, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../../shared/db/client';
import { deadLetter, queueMessage } from '../../shared/db/schema';
import { systemClock, type Clock } from '../../shared/ports';
import type { QueueSpec } from '../manifest';
import type { LocalLogger } from './logger';
import { failedMessageIds, sqsEvent, type MessageRow } from './sqs-event';

export type SqsConsumer = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

export interface QueueWorkerOptions {
  db: Db;
  clock?: Clock;
  logger: LocalLogger;
  queue: string;
  spec: QueueSpec;
  /** The queue's consumer function, called as an SQS event source mapping calls a Lambda. */
  consumer: SqsConsumer;
  /** How often an idle worker looks for visible messages (default 1000 ms); kick() looks at once. */
  pollIntervalMs?: number;
}

const MAX_ERROR_LENGTH = 2_000;

/**
 * Consumes one queue like an SQS event source mapping: claims up to batchSize visible messages (receive count + 1,
 * invisible for the visibility timeout), calls the consumer with an SQSEvent, deletes what succeeded and leaves what
 * failed to reappear after its visibility timeout. A message that fails on its maxReceiveCount-th receive, or whose
 * consumer died on it, moves to dead_letter.
 */
export class QueueWorker {
  readonly queue: string;
  private readonly clock: Clock;
  private readonly pollMs: number;
  private readonly inflight = new Set<Promise<number>>();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private stopping = false;
  private busy = false;
  private again = false;

  constructor(private readonly options: QueueWorkerOptions) {
    this.queue = options.queue;
    this.clock = options.clock ?? systemClock;
    this.pollMs = options.pollIntervalMs ?? 1000;
  }

  get running(): boolean {
    return this.started && !this.stopping;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  /** Looks for messages now (after a send) instead of at the next poll. */
  kick(): void {
    if (!this.running) return;
    if (this.busy) this.again = true;
    else this.schedule(0);
  }

  /** Claims and processes one batch; returns how many messages it claimed. */
  pollOnce(): Promise<number> {
    if (this.stopping) return Promise.resolve(0);
    const batch = this.processBatch();
    this.inflight.add(batch);
    const forget = () => this.inflight.delete(batch);
    batch.then(forget, forget);
    return batch;
  }

  /** Stops claiming; batches being processed get up to `graceMs` to finish (unfinished ones reappear later). */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    if (this.inflight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    let claimed = 0;
    let failed = false;
    try {
      claimed = await this.pollOnce();
    } catch (err) {
      failed = true;
      this.options.logger.error({ queue: this.queue, err: (err as Error).message }, 'queue poll failed');
    } finally {
      this.busy = false;
    }
    if (!this.running) return;
    // A full batch or a kick during the batch means there may be more: go again at once (after an error, wait).
    const more = !failed && (this.again || claimed >= this.options.spec.batchSize);
    this.again = false;
    this.schedule(more ? 0 : this.pollMs);
  }

  private async processBatch(): Promise<number> {
    await this.deadLetterAbandoned();
    const batch = await this.claim();
    if (batch.length === 0) return 0;
    const ids = batch.map((m) => m.messageId);
    let response: unknown;
    let thrown: string | undefined;
    try {
      response = await this.options.consumer(sqsEvent(this.queue, batch, this.clock.now()));
    } catch (err) {
      thrown = err instanceof Error ? err.message : String(err);
    }
    const failures = thrown === undefined ? failedMessageIds(response, ids) : { ids: new Set(ids), whole: true };
    const error =
      thrown ?? (failures.whole ? 'the consumer returned an invalid batch response' : 'reported in batchItemFailures');
    const failed = batch.filter((m) => failures.ids.has(m.messageId));
    await this.remove(batch.filter((m) => !failures.ids.has(m.messageId)));
    await this.recordFailures(failed, error.slice(0, MAX_ERROR_LENGTH));
    if (failed.length > 0) {
      this.options.logger.warn({ queue: this.queue, failed: failed.map((m) => m.messageId), err: error }, 'queue messages failed');
    }
    return batch.length;
  }

  /** Takes visible messages for this worker, atomically: concurrent workers skip each other's rows. */
  private async claim(): Promise<MessageRow[]> {
    const { spec } = this.options;
    const now = this.clock.now();
    const claimable = this.options.db
      .select({ id: queueMessage.id })
      .from(queueMessage)
      .where(and(eq(queueMessage.queue, this.queue), lte(queueMessage.visibleAt, now), lt(queueMessage.receiveCount, spec.maxReceiveCount)))
      .orderBy(asc(queueMessage.visibleAt), asc(queueMessage.id))
      .limit(spec.batchSize)
      .for('update', { skipLocked: true });
    const rows = await this.options.db
      .update(queueMessage)
      .set({
        receiveCount: sql`${queueMessage.receiveCount} + 1`,
        visibleAt: new Date(now.getTime() + spec.visibilityTimeoutSeconds * 1000),
      })
      .where(inArray(queueMessage.id, claimable))
      .returning();
    return rows.sort((a, b) => a.id - b.id);
  }

  /** Deletes processed messages, unless they were received again since (their visibility timed out meanwhile). */
  private async remove(rows: MessageRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.options.db.delete(queueMessage).where(or(...rows.map(thisReceipt)));
  }

  /** Failed messages wait out their visibility timeout, or go to dead_letter if that was their last receive. */
  private async recordFailures(rows: MessageRow[], error: string): Promise<void> {
    const exhausted = rows.filter((m) => m.receiveCount >= this.options.spec.maxReceiveCount);
    const retried = rows.filter((m) => m.receiveCount < this.options.spec.maxReceiveCount);
    if (retried.length > 0) {
      await this.options.db.update(queueMessage).set({ lastError: error }).where(or(...retried.map(thisReceipt)));
    }
    if (exhausted.length > 0) await this.moveToDeadLetter(exhausted.map((m) => ({ ...m, lastError: error })));
  }

  /** Messages whose last allowed receive ended without an answer (the consumer died): dead-lettered, as SQS does. */
  private async deadLetterAbandoned(): Promise<void> {
    const { db, spec } = this.options;
    await db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(queueMessage)
        .where(and(eq(queueMessage.queue, this.queue), lte(queueMessage.visibleAt, this.clock.now()), gte(queueMessage.receiveCount, spec.maxReceiveCount)))
        .limit(100)
        .for('update', { skipLocked: true });
      if (rows.length === 0) return;
      await tx.insert(deadLetter).values(rows.map((m) => this.deadLetterRow({ ...m, lastError: m.lastError ?? 'visibility timeout expired on the last receive' })));
      await tx.delete(queueMessage).where(inArray(queueMessage.id, rows.map((m) => m.id)));
      this.options.logger.warn({ queue: this.queue, messages: rows.map((m) => m.messageId) }, 'messages moved to the dead-letter queue');
    });
  }

  private async moveToDeadLetter(rows: MessageRow[]): Promise<void> {
    await this.options.db.transaction(async (tx) => {
      const deleted = await tx.delete(queueMessage).where(or(...rows.map(thisReceipt))).returning({ id: queueMessage.id });
      const gone = new Set(deleted.map((d) => d.id));
      const moved = rows.filter((m) => gone.has(m.id));
      if (moved.length > 0) await tx.insert(deadLetter).values(moved.map((m) => this.deadLetterRow(m)));
    });
    this.options.logger.warn({ queue: this.queue, messages: rows.map((m) => m.messageId) }, 'messages moved to the dead-letter queue');
  }

  private deadLetterRow(m: MessageRow): typeof deadLetter.$inferInsert {
    return {
      queue: this.queue,
      messageId: m.messageId,
      body: m.body,
      receiveCount: m.receiveCount,
      lastError: m.lastError,
      createdAt: m.createdAt,
      deadAt: this.clock.now(),
    };
  }
}

/** The row as this worker received it: same message, same receive. */
function thisReceipt(m: MessageRow) {
  return and(eq(queueMessage.id, m.id), eq(queueMessage.receiveCount, m.receiveCount));
}
