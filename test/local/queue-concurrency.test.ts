import { sql } from 'drizzle-orm';
import { LocalQueue, QueueWorker, type SqsConsumer } from '../../infra/local/queue';
import type { QueueSpec } from '../../infra/manifest';
import type { DbHandle } from '../../shared/db/client';
import { queueMessage } from '../../shared/db/schema';
import { testDb } from '../support/db';
import { recordingLogger } from './helpers';

const SPEC: QueueSpec = { visibilityTimeoutSeconds: 300, maxReceiveCount: 3, batchSize: 4 };

describe('QueueWorker claims under concurrency', () => {
  let handle: DbHandle;

  beforeAll(async () => {
    handle = await testDb();
  });
  afterAll(async () => {
    await handle.close();
  });

  /** A worker whose consumer records the message ids it got and yields, so two workers' batches interleave. */
  function worker(queue: string, seen: string[]) {
    const consumer: SqsConsumer = async (event) => {
      for (const r of event.Records) seen.push(r.messageId);
      await new Promise((resolve) => setImmediate(resolve));
    };
    return new QueueWorker({ db: handle.db, logger: recordingLogger().logger, queue, spec: SPEC, consumer });
  }

  // On PGlite the two workers' claims run one after the other; on PostgreSQL (DATABASE_URL) they overlap for real.
  it('never hands a visible message to two of four workers at once', async () => {
    const queue = new LocalQueue({ db: handle.db, queues: { work: SPEC } });
    const sent = new Set<string>();
    for (let i = 0; i < 120; i++) sent.add((await queue.send('work', { i })).messageId);
    const seen: string[] = [];
    const workers = [1, 2, 3, 4].map(() => worker('work', seen));

    const drain = async (w: QueueWorker) => {
      while ((await w.pollOnce()) > 0);
    };
    await Promise.all(workers.map(drain));

    expect(seen).toHaveLength(120);
    expect(new Set(seen)).toEqual(sent);
    expect(await handle.db.select().from(queueMessage)).toEqual([]);
  });

  it('skips rows another transaction holds instead of waiting for them (SKIP LOCKED)', async () => {
    if (!handle.concurrent) {
      // PGlite runs one transaction at a time: a claim could not even start while the lock is held. Server only.
      return;
    }
    const queue = new LocalQueue({ db: handle.db, queues: { locked: SPEC } });
    const first = await queue.send('locked', { n: 1 });
    const second = await queue.send('locked', { n: 2 });
    const seen: string[] = [];
    const w = worker('locked', seen);

    const claimed = await handle.db.transaction(async (tx) => {
      await tx.execute(sql`select id from queue_message where message_id = ${first.messageId} for update`);
      return w.pollOnce();
    });

    expect(claimed).toBe(1);
    expect(seen).toEqual([second.messageId]);
  });
});
