import type { SQSEvent } from 'aws-lambda';
import { eq } from 'drizzle-orm';
import { LocalQueue, QueueWorker, type SqsConsumer } from '../../infra/local/queue';
import type { QueueSpec } from '../../infra/manifest';
import type { DbHandle } from '../../shared/db/client';
import { deadLetter, queueMessage } from '../../shared/db/schema';
import { testDb } from '../support/db';
import { eventually, manualClock, recordingLogger } from './helpers';

const SPEC: QueueSpec = { visibilityTimeoutSeconds: 30, maxReceiveCount: 3, batchSize: 5 };

describe('LocalQueue and QueueWorker', () => {
  let handle: DbHandle;
  const clock = manualClock(new Date('2026-03-01T12:00:00Z'));
  const workers: QueueWorker[] = [];
  let n = 0;

  beforeAll(async () => {
    handle = await testDb();
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop(100)));
    await handle.close();
  });

  /** A queue of its own for each test, with a queue port and a worker driven by pollOnce(). */
  function setup(consumer: SqsConsumer, spec: QueueSpec = SPEC) {
    const name = `q${++n}`;
    const queue = new LocalQueue({ db: handle.db, clock, queues: { [name]: spec } });
    const worker = new QueueWorker({ db: handle.db, clock, logger: recordingLogger().logger, queue: name, spec, consumer });
    workers.push(worker);
    const rows = () => handle.db.select().from(queueMessage).where(eq(queueMessage.queue, name));
    const dead = () => handle.db.select().from(deadLetter).where(eq(deadLetter.queue, name));
    return { name, queue, worker, rows, dead };
  }

  /** A consumer that records each event and answers with `answer(event)`. */
  function recorder(answer: (event: SQSEvent) => ReturnType<SqsConsumer> = async () => undefined) {
    const events: SQSEvent[] = [];
    const consumer: SqsConsumer = (event) => {
      events.push(event);
      return answer(event);
    };
    return { consumer, events, bodies: () => events.flatMap((e) => e.Records.map((r) => JSON.parse(r.body))) };
  }

  it('delivers sent messages as an SQS event and deletes them once the consumer succeeds', async () => {
    const seen = recorder();
    const { name, queue, worker, rows } = setup(seen.consumer);

    const { messageId } = await queue.send(name, { hello: 'world' });
    const claimed = await worker.pollOnce();

    expect(claimed).toBe(1);
    expect(seen.events).toHaveLength(1);
    const [record] = seen.events[0].Records;
    expect(record).toMatchObject({
      messageId,
      body: '{"hello":"world"}',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:local:000000000000:${name}`,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(clock.now().getTime()) },
    });
    expect(record.receiptHandle).toEqual(expect.any(String));
    expect(await rows()).toEqual([]);
  });

  it('keeps a delayed message invisible until its delay has passed', async () => {
    const seen = recorder();
    const { name, queue, worker } = setup(seen.consumer);

    await queue.send(name, { n: 1 }, { delaySeconds: 60 });
    const early = await worker.pollOnce();
    clock.advance(60_000);
    const due = await worker.pollOnce();

    expect([early, due]).toEqual([0, 1]);
    expect(seen.bodies()).toEqual([{ n: 1 }]);
  });

  it('drops a second send with the same dedupId and answers the first message’s id', async () => {
    const seen = recorder();
    const { name, queue, worker, rows } = setup(seen.consumer);

    const first = await queue.send(name, { v: 1 }, { dedupId: 'outbox-7' });
    const second = await queue.send(name, { v: 2 }, { dedupId: 'outbox-7' });
    const other = await queue.send(name, { v: 3 }, { dedupId: 'outbox-8' });
    const stored = await rows();
    await worker.pollOnce();

    expect(second.messageId).toBe(first.messageId);
    expect(other.messageId).not.toBe(first.messageId);
    expect(stored).toHaveLength(2);
    expect(seen.bodies()).toEqual([{ v: 1 }, { v: 3 }]);
  });

  it('retries only the messages reported in batchItemFailures, after their visibility timeout', async () => {
    let attempt = 0;
    const seen = recorder(async (event) => (attempt++ === 0 ? { batchItemFailures: [{ itemIdentifier: event.Records[1].messageId }] } : undefined));
    const { name, queue, worker, rows } = setup(seen.consumer);
    for (const i of [1, 2, 3]) await queue.send(name, { i });

    await worker.pollOnce();
    const [left] = await rows();
    const hidden = await worker.pollOnce();
    clock.advance(30_000);
    await worker.pollOnce();

    expect(left).toMatchObject({ body: '{"i":2}', receiveCount: 1, lastError: 'reported in batchItemFailures' });
    expect(hidden).toBe(0);
    expect(seen.events[1].Records.map((r) => [r.body, r.attributes.ApproximateReceiveCount])).toEqual([['{"i":2}', '2']]);
    expect(await rows()).toEqual([]);
  });

  it('fails the whole batch when the response names a message that is not in it', async () => {
    const seen = recorder(async () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] }));
    const { name, queue, worker, rows } = setup(seen.consumer);
    await queue.send(name, { a: 1 });
    await queue.send(name, { b: 2 });

    await worker.pollOnce();

    expect((await rows()).map((r) => [r.receiveCount, r.lastError])).toEqual([
      [1, 'the consumer returned an invalid batch response'],
      [1, 'the consumer returned an invalid batch response'],
    ]);
  });

  it('moves a message to dead_letter when it fails on its last allowed receive', async () => {
    const seen = recorder(async () => {
      throw new Error('mail service down');
    });
    const { name, queue, worker, rows, dead } = setup(seen.consumer);
    const { messageId } = await queue.send(name, { to: 'x@example.com' });

    for (let receive = 1; receive <= 3; receive++) {
      expect(await worker.pollOnce()).toBe(1);
      clock.advance(30_000);
    }
    const last = await worker.pollOnce();

    expect(last).toBe(0);
    expect(await rows()).toEqual([]);
    expect(await dead()).toEqual([
      expect.objectContaining({ messageId, receiveCount: 3, lastError: 'mail service down', body: '{"to":"x@example.com"}' }),
    ]);
  });

  it('redelivers a message whose consumer died once its visibility timeout passes', async () => {
    const hang = setup(() => new Promise(() => {}));
    const seen = recorder();
    const rescue = new QueueWorker({ db: handle.db, clock, logger: recordingLogger().logger, queue: hang.name, spec: SPEC, consumer: seen.consumer });
    await hang.queue.send(hang.name, { job: 1 });

    void hang.worker.pollOnce();
    await eventually(async () => ((await hang.rows())[0]?.receiveCount === 1 ? true : undefined));
    const whileInvisible = await rescue.pollOnce();
    clock.advance(30_000);
    const afterTimeout = await rescue.pollOnce();

    expect(whileInvisible).toBe(0);
    expect(afterTimeout).toBe(1);
    expect(seen.events[0].Records[0].attributes.ApproximateReceiveCount).toBe('2');
    expect(await hang.rows()).toEqual([]);
  });

  it('does not let a consumer that outlived its visibility timeout delete the message’s later receipt', async () => {
    let releaseFirst: () => void = () => {};
    let calls = 0;
    const consumer: SqsConsumer = () => {
      calls++;
      return calls === 1 ? new Promise<void>((resolve) => (releaseFirst = resolve)) : new Promise<void>(() => {});
    };
    const { name, queue, worker, rows } = setup(consumer);
    const other = new QueueWorker({ db: handle.db, clock, logger: recordingLogger().logger, queue: name, spec: SPEC, consumer });
    await queue.send(name, { job: 2 });

    const slow = worker.pollOnce();
    await eventually(() => (calls === 1 ? true : undefined));
    clock.advance(30_000);
    void other.pollOnce();
    await eventually(() => (calls === 2 ? true : undefined));
    releaseFirst();
    await slow;

    expect(await rows()).toEqual([expect.objectContaining({ receiveCount: 2 })]);
  });

  it('dead-letters a message whose consumer died on its last allowed receive', async () => {
    const hang = setup(() => new Promise(() => {}), { ...SPEC, maxReceiveCount: 1 });
    await hang.queue.send(hang.name, { job: 3 });

    void hang.worker.pollOnce();
    await eventually(async () => ((await hang.rows())[0]?.receiveCount === 1 ? true : undefined));
    clock.advance(30_000);
    const second = new QueueWorker({ db: handle.db, clock, logger: recordingLogger().logger, queue: hang.name, spec: { ...SPEC, maxReceiveCount: 1 }, consumer: async () => undefined });
    const claimed = await second.pollOnce();

    expect(claimed).toBe(0);
    expect(await hang.rows()).toEqual([]);
    expect(await hang.dead()).toEqual([
      expect.objectContaining({ receiveCount: 1, lastError: 'visibility timeout expired on the last receive' }),
    ]);
  });

  it('refuses unknown queues, out-of-range delays and bodies that are not JSON', async () => {
    const { name, queue } = setup(async () => undefined);

    await expect(queue.send('nope', {})).rejects.toThrow(/no queue named 'nope'/);
    await expect(queue.send(name, {}, { delaySeconds: 901 })).rejects.toThrow(RangeError);
    await expect(queue.send(name, undefined)).rejects.toThrow(/must be JSON/);
  });
});

describe('QueueWorker polling', () => {
  let handle: DbHandle;

  beforeAll(async () => {
    handle = await testDb();
  });
  afterAll(async () => {
    await handle.close();
  });

  it('is kicked by a send, and stop() waits for the batch it is processing', async () => {
    const spec: QueueSpec = { visibilityTimeoutSeconds: 30, maxReceiveCount: 3, batchSize: 10 };
    let finished = false;
    let release: () => void = () => {};
    const started: string[] = [];
    const worker = new QueueWorker({
      db: handle.db,
      logger: recordingLogger().logger,
      queue: 'events',
      spec,
      pollIntervalMs: 60_000,
      consumer: async (event) => {
        const bodies = event.Records.map((r) => r.body);
        started.push(...bodies);
        if (bodies.includes('"probe"')) return;
        await new Promise<void>((resolve) => (release = resolve));
        finished = true;
      },
    });
    const queue = new LocalQueue({ db: handle.db, queues: { events: spec } });
    // The first poll takes the probe; after it the worker sleeps a minute unless a send kicks it.
    await queue.send('events', 'probe');
    worker.start();
    await eventually(async () => ((await handle.db.select().from(queueMessage)).length === 0 ? true : undefined));
    queue.onSend = () => worker.kick();

    await queue.send('events', { e: 1 });
    await eventually(() => (started.length === 2 ? true : undefined), 10_000, 'the kicked worker to start the batch');
    const stopping = worker.stop(10_000);
    const runningWhileStopping = worker.running;
    release();
    await stopping;

    expect(started).toEqual(['"probe"', '{"e":1}']);
    expect(runningWhileStopping).toBe(false);
    expect(finished).toBe(true);
    expect(await handle.db.select().from(queueMessage)).toEqual([]);
  });
});
