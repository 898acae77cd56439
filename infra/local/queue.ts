import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../../shared/db/client';
import { queueMessage } from '../../shared/db/schema';
import { systemClock, type Clock, type QueuePort } from '../../shared/ports';
import { queues as manifestQueues, type QueueSpec } from '../manifest';
import type { LocalLogger } from './logger';

export { QueueWorker, type QueueWorkerOptions, type SqsConsumer } from './queue-worker';

/** SQS's limit on a per-message delay. */
const MAX_DELAY_SECONDS = 900;

export interface LocalQueueOptions {
  db: Db;
  clock?: Clock;
  logger?: LocalLogger;
  /** The queues that exist (default: the manifest's); sending to another is an error, as on AWS. */
  queues?: Record<string, QueueSpec>;
}

/**
 * QueuePort on the queue_message table. A body is sent as JSON text, as SqsQueue does. A dedupId is honoured while
 * its message is in the queue: a second send with it is dropped and answers the first message's id.
 */
export class LocalQueue implements QueuePort {
  /** Told after each send that added a message (the runtime kicks that queue's worker). */
  onSend?: (queue: string) => void;
  private readonly clock: Clock;
  private readonly queues: Record<string, QueueSpec>;

  constructor(private readonly options: LocalQueueOptions) {
    this.clock = options.clock ?? systemClock;
    this.queues = options.queues ?? manifestQueues;
  }

  async send(queue: string, body: unknown, options: { delaySeconds?: number; dedupId?: string } = {}): Promise<{ messageId: string }> {
    if (!Object.hasOwn(this.queues, queue)) throw new Error(`no queue named '${queue}' (known: ${Object.keys(this.queues).join(', ')})`);
    const delay = options.delaySeconds ?? 0;
    if (!(delay >= 0 && delay <= MAX_DELAY_SECONDS)) throw new RangeError(`SQS delays are 0–${MAX_DELAY_SECONDS} seconds, not ${delay}`);
    const text = JSON.stringify(body);
    if (text === undefined) throw new TypeError('a queue message body must be JSON');
    for (let attempt = 0; attempt < 2; attempt++) {
      const now = this.clock.now();
      const [inserted] = await this.options.db
        .insert(queueMessage)
        .values({
          queue,
          messageId: randomUUID(),
          body: text,
          dedupId: options.dedupId ?? null,
          visibleAt: new Date(now.getTime() + delay * 1000),
          createdAt: now,
        })
        .onConflictDoNothing({ target: [queueMessage.queue, queueMessage.dedupId] })
        .returning({ messageId: queueMessage.messageId });
      if (inserted) {
        this.onSend?.(queue);
        return inserted;
      }
      const [original] = await this.options.db
        .select({ messageId: queueMessage.messageId })
        .from(queueMessage)
        .where(and(eq(queueMessage.queue, queue), eq(queueMessage.dedupId, options.dedupId ?? '')));
      if (original) {
        this.options.logger?.info({ queue, messageId: original.messageId }, 'duplicate message dropped (same dedupId)');
        return original;
      }
      // The duplicate's original was consumed between the two statements: send again.
    }
    throw new Error(`could not send to '${queue}' with dedupId '${options.dedupId}'`);
  }
}
