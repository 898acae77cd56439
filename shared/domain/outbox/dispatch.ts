import { randomUUID } from 'node:crypto';
import { outboxTopics, WorkflowStartMessage, type OutboxTopic, type QueueEnvelope } from '../../contracts/messages';
import type { Db } from '../../db/client';
import type { Clock, QueuePort, WorkflowsPort } from '../../ports';
import type { Logger } from '../../runtime/logger';
import { claim, markFailed, markPublished, type OutboxRow } from './outbox';

export interface DispatchDeps {
  db: Db;
  queue: QueuePort;
  workflows: Pick<WorkflowsPort, 'start'>;
  clock: Clock;
  logger: Logger;
}

export interface DispatchOptions {
  /** Identifies this dispatcher's leases; a new one per invocation unless given. */
  owner?: string;
  leaseMs?: number;
  batchSize?: number;
  /** Stop after this many batches (a Lambda invocation has a deadline). */
  maxBatches?: number;
}

/**
 * Publishes one row: a workflow start starts its execution (by name, so a repeat is refused, not run twice); every
 * other topic goes to its queue as an envelope carrying the row id, the consumers' idempotency key.
 */
export async function publish(deps: Pick<DispatchDeps, 'queue' | 'workflows'>, row: OutboxRow): Promise<void> {
  const route = outboxTopics[row.topic as OutboxTopic];
  if (!route) throw new Error(`no route for outbox topic ${row.topic}`);
  if (route.queue === null) {
    const start = WorkflowStartMessage.parse(row.payload);
    try {
      await deps.workflows.start(start.stateMachine, start.input, { name: start.name });
    } catch (err) {
      if ((err as Error).name !== 'ExecutionAlreadyExists') throw err;
    }
    return;
  }
  const envelope: QueueEnvelope = { id: `outbox-${row.id}`, topic: row.topic, payload: row.payload };
  await deps.queue.send(route.queue, envelope, { dedupId: envelope.id });
}

/** Claims, publishes and marks rows until none are left (or maxBatches). Returns how many were published. */
export async function dispatchOutbox(deps: DispatchDeps, options: DispatchOptions = {}): Promise<{ published: number; failed: number }> {
  const owner = options.owner ?? `dispatcher-${randomUUID()}`;
  const leaseMs = options.leaseMs ?? 30_000;
  const batchSize = options.batchSize ?? 50;
  let published = 0;
  let failed = 0;
  for (let batch = 0; batch < (options.maxBatches ?? 20); batch++) {
    const rows = await claim(deps.db, { owner, leaseMs, limit: batchSize, clock: deps.clock });
    if (rows.length === 0) break;
    for (const row of rows) {
      try {
        await publish(deps, row);
        await markPublished(deps.db, row.id, owner, deps.clock);
        published++;
      } catch (err) {
        failed++;
        deps.logger.warn({ outboxId: row.id, topic: row.topic, attempts: row.attempts, err: (err as Error).message }, 'outbox publish failed');
        await markFailed(deps.db, row, owner, err, deps.clock);
      }
    }
    if (rows.length < batchSize) break;
  }
  return { published, failed };
}
