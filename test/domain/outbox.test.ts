import { eq, sql } from 'drizzle-orm';
import type { DbHandle } from '../../shared/db/client';
import { devMail, outbox } from '../../shared/db/schema';
import { QueueEnvelope } from '../../shared/contracts/messages';
import { claim, enqueue, markPublished, MAX_PUBLISH_ATTEMPTS } from '../../shared/domain/outbox/outbox';
import { dispatchOutbox, publish } from '../../shared/domain/outbox/dispatch';
import { sendQueuedMail } from '../../shared/domain/mail/send-mail';
import { DevMailer } from '../../shared/adapters/local/dev-mailer';
import type { QueuePort } from '../../shared/ports';
import { createLogger } from '../../shared/runtime/logger';
import { testDb } from '../support/db';
import { ManualClock } from '../support/fixtures';

let h: DbHandle;
beforeAll(async () => {
  h = await testDb();
});
afterAll(async () => h.close());
beforeEach(async () => {
  await h.db.execute(sql`delete from outbox`);
});

const logger = createLogger({ level: 'silent' });

class RecordingQueue implements QueuePort {
  sent: { queue: string; body: QueueEnvelope }[] = [];
  failNext = 0;
  async send(queue: string, body: unknown) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('queue unavailable');
    }
    this.sent.push({ queue, body: QueueEnvelope.parse(body) });
    return { messageId: String(this.sent.length) };
  }
}

const workflows = { start: async () => ({ executionId: 'x' }) };
const mail = (to: string) => ({ template: 'verify-email' as const, to, name: 'N', url: 'https://app.example/verify?token=t' });

describe('outbox', () => {
  it('validates payloads against the topic contract before writing', async () => {
    await expect(enqueue(h.db, 'mail.send', { template: 'verify-email', to: 'not-an-email' })).rejects.toThrow();
    expect(await h.db.select().from(outbox)).toEqual([]);
  });

  it('publishes each row to its queue once and marks it done', async () => {
    const clock = new ManualClock();
    const queue = new RecordingQueue();
    await enqueue(h.db, 'mail.send', mail('a@example.com'));
    await enqueue(h.db, 'org.event', { organizationId: 'org_1', type: 'member.joined', data: {} }, 'org_1');
    expect(await dispatchOutbox({ db: h.db, queue, workflows, clock, logger })).toEqual({ published: 2, failed: 0 });
    expect(queue.sent.map((s) => s.queue)).toEqual(['mail', 'events']);
    expect(await dispatchOutbox({ db: h.db, queue, workflows, clock, logger })).toEqual({ published: 0, failed: 0 });
    const rows = await h.db.select().from(outbox);
    expect(rows.every((r) => r.status === 'done' && r.publishedAt)).toBe(true);
  });

  it('delivers at least once when a dispatcher dies after claiming: the lease expires and another publishes', async () => {
    const clock = new ManualClock();
    const queue = new RecordingQueue();
    await enqueue(h.db, 'mail.send', mail('lease@example.com'));
    // Dispatcher A claims and dies (never publishes, never marks).
    const claimed = await claim(h.db, { owner: 'A', leaseMs: 30_000, limit: 10, clock });
    expect(claimed).toHaveLength(1);
    // While the lease holds, B finds nothing.
    expect(await dispatchOutbox({ db: h.db, queue, workflows, clock, logger }, { owner: 'B' })).toEqual({ published: 0, failed: 0 });
    clock.advance(30_001);
    expect(await dispatchOutbox({ db: h.db, queue, workflows, clock, logger }, { owner: 'B' })).toEqual({ published: 1, failed: 0 });
    expect(queue.sent).toHaveLength(1);
    // A waking up late cannot mark a row it no longer owns.
    await markPublished(h.db, claimed[0].id, 'A', clock);
    const [row] = await h.db.select().from(outbox).where(eq(outbox.id, claimed[0].id));
    expect(row).toMatchObject({ status: 'done', attempts: 2 });
  });

  it('is not delivered twice to an idempotent consumer when the dispatcher died after publishing', async () => {
    const clock = new ManualClock();
    const queue = new RecordingQueue();
    await enqueue(h.db, 'mail.send', mail('once@example.com'));
    // A publishes, then dies before marking the row done: the row is published again after the lease.
    const [row] = await claim(h.db, { owner: 'A', leaseMs: 1000, limit: 1, clock });
    await publish({ queue, workflows }, row);
    clock.advance(1001);
    await dispatchOutbox({ db: h.db, queue, workflows, clock, logger }, { owner: 'B' });
    expect(queue.sent).toHaveLength(2);
    expect(queue.sent[0].body.id).toBe(queue.sent[1].body.id);

    const mailer = new DevMailer(h.db, 'Proliferate <no-reply@example.com>', logger);
    const results = [];
    for (const s of queue.sent) results.push(await sendQueuedMail({ db: h.db, mailer }, s.body));
    expect(results).toEqual(['processed', 'duplicate']);
    expect(await h.db.select().from(devMail).where(eq(devMail.to, 'once@example.com'))).toHaveLength(1);
  });

  it('backs off after a failed publish and gives up (dead) after the maximum attempts', async () => {
    const clock = new ManualClock();
    const queue = new RecordingQueue();
    const id = await enqueue(h.db, 'mail.send', mail('retry@example.com'));
    queue.failNext = 1;
    expect(await dispatchOutbox({ db: h.db, queue, workflows, clock, logger })).toEqual({ published: 0, failed: 1 });
    // Not retried before its back-off has passed.
    expect(await dispatchOutbox({ db: h.db, queue, workflows, clock, logger })).toEqual({ published: 0, failed: 0 });
    clock.advance(2_001);
    expect(await dispatchOutbox({ db: h.db, queue, workflows, clock, logger })).toEqual({ published: 1, failed: 0 });

    const dead = await enqueue(h.db, 'mail.send', mail('dead@example.com'));
    queue.failNext = MAX_PUBLISH_ATTEMPTS;
    for (let i = 0; i < MAX_PUBLISH_ATTEMPTS; i++) {
      await dispatchOutbox({ db: h.db, queue, workflows, clock, logger });
      clock.advance(16 * 60_000);
    }
    const [row] = await h.db.select().from(outbox).where(eq(outbox.id, dead));
    expect(row.status).toBe('dead');
    expect(row.lastError).toBe('queue unavailable');
    expect(id).toBeLessThan(dead);
  });

  it('keeps concurrent dispatchers apart on a real server (SKIP LOCKED)', async () => {
    if (!h.concurrent) {
      // PGlite runs one transaction at a time, so there is no concurrency to test; .ci/run runs this on PostgreSQL.
      expect(h.kind).toBe('pglite');
      return;
    }
    const clock = new ManualClock();
    for (let i = 0; i < 40; i++) await enqueue(h.db, 'mail.send', mail(`c${i}@example.com`));
    const [a, b] = await Promise.all([
      claim(h.db, { owner: 'A', leaseMs: 60_000, limit: 25, clock }),
      claim(h.db, { owner: 'B', leaseMs: 60_000, limit: 25, clock }),
    ]);
    const ids = [...a, ...b].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(40);
  });
});
