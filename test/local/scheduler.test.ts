import type { ScheduledEvent } from 'aws-lambda';
import { LocalQueue } from '../../infra/local/queue';
import { LocalScheduler, MANIFEST_GROUP, RUNTIME_GROUP, type LocalSchedulerOptions } from '../../infra/local/scheduler';
import type { DbHandle } from '../../shared/db/client';
import { queueMessage, schedule } from '../../shared/db/schema';
import type { Clock } from '../../shared/ports';
import { testDb } from '../support/db';
import { eventually, manualClock, recordingLogger } from './helpers';

describe('LocalScheduler', () => {
  let handle: DbHandle;
  const schedulers: LocalScheduler[] = [];

  beforeAll(async () => {
    handle = await testDb();
  });
  afterEach(async () => {
    await Promise.all(schedulers.splice(0).map((s) => s.stop(100)));
    await handle.db.delete(schedule);
    await handle.db.delete(queueMessage);
  });
  afterAll(async () => {
    await handle.close();
  });

  /** A scheduler whose invocations are recorded (and fail for the target `broken`). */
  function scheduler(clock: Clock, extra: Partial<LocalSchedulerOptions> = {}) {
    const fired: { target: string; event: ScheduledEvent<Record<string, unknown>> }[] = [];
    const log = recordingLogger();
    const s = new LocalScheduler({
      db: handle.db,
      clock,
      logger: log.logger,
      invoke: async (target, event) => {
        fired.push({ target, event });
        if (target === 'broken') throw new Error('target failed');
      },
      ...extra,
    });
    schedulers.push(s);
    return { s, fired, log };
  }

  it('keeps the manifest’s schedules in their group, fires rates on cadence with a rule’s Scheduled Event', async () => {
    const clock = manualClock(new Date('2026-03-02T10:00:00Z'));
    const { s, fired } = scheduler(clock);
    await s.upsertAll([
      { name: 'outbox-dispatch', expression: 'rate(1 minute)', target: 'outboxDispatcher' },
      { name: 'retired-sweep', expression: 'rate(1 hour)', target: 'gone' },
    ]);
    await s.upsertAll([{ name: 'outbox-dispatch', expression: 'rate(1 minute)', target: 'outboxDispatcher' }]);

    const early = await s.runDue();
    clock.advance(60_000);
    const due = await s.runDue();
    const row = await s.get('outbox-dispatch');

    expect(await s.get('retired-sweep')).toBeUndefined();
    expect([early, due]).toEqual([0, 1]);
    expect(fired).toEqual([
      {
        target: 'outboxDispatcher',
        event: {
          version: '0',
          id: expect.any(String),
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: '000000000000',
          time: '2026-03-02T10:01:00Z',
          region: 'local',
          resources: ['arn:aws:events:local:000000000000:rule/outbox-dispatch'],
          detail: {},
        },
      },
    ]);
    expect(row).toMatchObject({ groupName: MANIFEST_GROUP, lastRunAt: new Date('2026-03-02T10:01:00Z'), nextRunAt: new Date('2026-03-02T10:02:00Z') });
  });

  it('fires a cron in its time zone, across a daylight-saving change', async () => {
    // Friday 2026-03-06, 09:00 in New York (EST); clocks go forward on Sunday 2026-03-08.
    const clock = manualClock(new Date('2026-03-06T14:00:00Z'));
    const { s, fired } = scheduler(clock);
    await s.upsert({ name: 'standup', expression: 'cron(30 9 ? * MON-FRI *)', timezone: 'America/New_York', target: 'remind', payload: { team: 'core' } });
    const first = (await s.get('standup'))?.nextRunAt;

    clock.set(new Date('2026-03-06T14:30:00Z'));
    await s.runDue();
    const afterFriday = (await s.get('standup'))?.nextRunAt;

    expect(first).toEqual(new Date('2026-03-06T14:30:00Z'));
    expect(fired.map((f) => [f.target, f.event.source, f.event.detail, f.event.resources])).toEqual([
      ['remind', 'aws.scheduler', { team: 'core' }, ['arn:aws:scheduler:local:000000000000:schedule/default/standup']],
    ]);
    expect(afterFriday).toEqual(new Date('2026-03-09T13:30:00Z'));
  });

  it('fires a one-off at() once, then disables it', async () => {
    const clock = manualClock(new Date('2026-03-06T13:00:00Z'));
    const { s, fired } = scheduler(clock);
    await s.upsert({ name: 'reminder-42', expression: 'at(2026-03-06T15:00:00)', timezone: 'Europe/Paris', target: 'remind' });

    const before = await s.runDue();
    clock.set(new Date('2026-03-06T14:00:00Z'));
    const at = await s.runDue();
    clock.advance(3_600_000);
    const after = await s.runDue();
    await s.upsert({ name: 'reminder-42', expression: 'at(2026-03-06T15:00:00)', timezone: 'Europe/Paris', target: 'remind' });
    const row = await s.get('reminder-42');

    expect([before, at, after]).toEqual([0, 1, 0]);
    expect(fired[0].event.time).toBe('2026-03-06T14:00:00Z');
    expect(row).toMatchObject({ enabled: false, nextRunAt: null, lastRunAt: new Date('2026-03-06T14:00:00Z') });
  });

  it('at start, fires an at() missed while stopped once, and skips missed rate runs keeping their cadence', async () => {
    const clock = manualClock(new Date('2026-03-06T08:00:00Z'));
    const before = scheduler(clock);
    await before.s.upsert({ name: 'one-off', expression: 'at(2026-03-06T09:00:00)', target: 'remind' });
    await before.s.upsert({ name: 'sweep', expression: 'rate(15 minutes)', target: 'sweep' });
    await before.s.stop();

    clock.set(new Date('2026-03-06T10:05:00Z'));
    const after = scheduler(clock);
    await after.s.start();
    const again = await after.s.runDue();

    expect(after.fired.map((f) => [f.target, f.event.time])).toEqual([['remind', '2026-03-06T09:00:00Z']]);
    expect(again).toBe(0);
    expect((await after.s.get('sweep'))?.nextRunAt).toEqual(new Date('2026-03-06T10:15:00Z'));
  });

  it('does not fire deleted schedules, and fires an occurrence once even with two schedulers on the database', async () => {
    const clock = manualClock(new Date('2026-03-06T08:00:00Z'));
    const one = scheduler(clock);
    const two = scheduler(clock);
    await one.s.upsert({ name: 'shared', expression: 'rate(5 minutes)', target: 'work' });
    await one.s.upsert({ name: 'doomed', expression: 'rate(5 minutes)', target: 'never' });
    const deleted = await two.s.delete('doomed');

    clock.advance(5 * 60_000);
    const counts = await Promise.all([one.s.runDue(), two.s.runDue()]);

    expect(deleted).toBe(true);
    expect(counts.reduce((a, b) => a + b)).toBe(1);
    expect([...one.fired, ...two.fired].map((f) => f.target)).toEqual(['work']);
  });

  it('logs a failing target and still moves the schedule on', async () => {
    const clock = manualClock(new Date('2026-03-06T08:00:00Z'));
    const { s, log } = scheduler(clock);
    await s.upsert({ name: 'flaky', expression: 'rate(1 hour)', target: 'broken' });

    clock.advance(3_600_000);
    const fired = await s.runDue();

    expect(fired).toBe(1);
    expect(log.errors().map((e) => e.msg)).toEqual(['scheduled invocation failed']);
    expect((await s.get('flaky'))?.nextRunAt).toEqual(new Date('2026-03-06T10:00:00Z'));
  });

  it('refuses invalid expressions and unknown time zones', async () => {
    const { s } = scheduler(manualClock(new Date('2026-03-06T08:00:00Z')));

    await expect(s.upsert({ name: 'bad', expression: 'cron(0 10 * * MON *)', target: 'x' })).rejects.toThrow(/use \? in one of them/);
    await expect(s.upsert({ name: 'bad', expression: 'rate(1 hour)', timezone: 'Mars/Olympus', target: 'x' })).rejects.toThrow(/unknown time zone 'Mars\/Olympus'/);
    expect(await s.get('bad')).toBeUndefined();
  });

  it('wakes up on its own timer when a schedule falls due', async () => {
    const { s, fired } = scheduler({ now: () => new Date() });
    await s.start();
    const soon = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
    const local = soon.toISOString().slice(0, 19);

    await s.upsert({ name: 'soon', expression: `at(${local})`, target: 'remind' });
    await eventually(() => (fired.length ? true : undefined), 10_000, 'the at() schedule to fire');

    expect(fired.map((f) => f.event.time)).toEqual([`${local}Z`]);
    expect(s.running).toBe(true);
  });

  describe('as the SchedulerPort: one-off deliveries to a queue', () => {
    /** A scheduler that sends queue targets to a real LocalQueue on the same database. */
    function delivering(clock: Clock) {
      const queue = new LocalQueue({ db: handle.db, clock });
      const made = scheduler(clock, { send: (name, body) => queue.send(name, body), scheduledQueues: ['sessions'] });
      const delivered = async () =>
        (await handle.db.select().from(queueMessage)).map((m) => ({ queue: m.queue, body: JSON.parse(m.body) as unknown }));
      return { ...made, delivered };
    }
    const check = (id: string) => ({ id, topic: 'session.command', payload: { sessionId: 'ses_1', command: 'check' } });

    it('sends the body to the queue once, at its time rounded up to the second, and invokes no function', async () => {
      const clock = manualClock(new Date('2026-03-06T08:00:00Z'));
      const { s, fired, delivered } = delivering(clock);

      await s.at('session-check-ses_1', new Date('2026-03-06T08:10:00.400Z'), { queue: 'sessions', body: check('a') });
      clock.set(new Date('2026-03-06T08:10:00.500Z'));
      const early = await s.runDue();
      clock.set(new Date('2026-03-06T08:10:01Z'));
      const due = await s.runDue();
      clock.advance(60_000);
      const after = await s.runDue();

      expect([early, due, after]).toEqual([0, 1, 0]);
      expect(await delivered()).toEqual([{ queue: 'sessions', body: check('a') }]);
      expect(fired).toEqual([]);
      expect(await s.get('session-check-ses_1')).toMatchObject({
        groupName: RUNTIME_GROUP,
        expression: 'at(2026-03-06T08:10:01)',
        target: 'arn:aws:sqs:local:000000000000:sessions',
        enabled: false,
      });
    });

    it('replaces a schedule of the same name, even one that already fired', async () => {
      const clock = manualClock(new Date('2026-03-06T08:00:00Z'));
      const { s, delivered } = delivering(clock);
      await s.at('session-check-ses_1', new Date('2026-03-06T08:05:00Z'), { queue: 'sessions', body: check('first') });
      await s.at('session-check-ses_1', new Date('2026-03-06T08:20:00Z'), { queue: 'sessions', body: check('moved') });

      clock.set(new Date('2026-03-06T08:05:00Z'));
      const moved = await s.runDue();
      clock.set(new Date('2026-03-06T08:20:00Z'));
      const fired = await s.runDue();
      await s.at('session-check-ses_1', new Date('2026-03-06T08:20:00Z'), { queue: 'sessions', body: check('again') });
      const again = await s.runDue();

      expect([moved, fired, again]).toEqual([0, 1, 1]);
      expect((await delivered()).map((d) => (d.body as { id: string }).id)).toEqual(['moved', 'again']);
    });

    it('cancels only its own one-offs, and a missing one quietly', async () => {
      const clock = manualClock(new Date('2026-03-06T08:00:00Z'));
      const { s, delivered } = delivering(clock);
      await s.upsertAll([{ name: 'session-sweep', expression: 'rate(5 minutes)', target: 'sessionSweeper' }]);
      await s.at('session-check-ses_1', new Date('2026-03-06T08:05:00Z'), { queue: 'sessions', body: check('a') });

      await s.cancel('session-check-ses_1');
      await s.cancel('session-check-ses_1');
      await s.cancel('session-sweep');
      clock.set(new Date('2026-03-06T08:05:00Z'));
      await s.runDue();

      expect(await s.get('session-check-ses_1')).toBeUndefined();
      expect(await s.get('session-sweep')).toBeDefined();
      expect(await delivered()).toEqual([]);
    });

    it('refuses queues that take no scheduled messages, bodies that are not objects, bad names, and the manifest’s names', async () => {
      const { s } = delivering(manualClock(new Date('2026-03-06T08:00:00Z')));
      const when = new Date('2026-03-06T09:00:00Z');
      await s.upsertAll([{ name: 'session-sweep', expression: 'rate(5 minutes)', target: 'sessionSweeper' }]);
      await expect(s.at('session-sweep', when, { queue: 'sessions', body: {} })).rejects.toThrow(/belongs to group manifest/);
      expect(await s.get('session-sweep')).toMatchObject({ groupName: MANIFEST_GROUP, target: 'sessionSweeper' });
      await expect(s.at('x', when, { queue: 'mail', body: {} })).rejects.toThrow(/queue 'mail' does not take scheduled messages/);
      await expect(s.at('x', when, { queue: 'sessions', body: 'text' })).rejects.toThrow(TypeError);
      await expect(s.at('has space', when, { queue: 'sessions', body: {} })).rejects.toThrow(RangeError);
      expect(await s.get('x')).toBeUndefined();
    });

    it('survives a restart: a delivery that fell due while the runtime was down is sent once when it starts', async () => {
      const clock = manualClock(new Date('2026-03-06T08:00:00Z'));
      const before = delivering(clock);
      await before.s.start();
      await before.s.at('session-check-ses_1', new Date('2026-03-06T08:30:00Z'), { queue: 'sessions', body: check('durable') });
      await before.s.stop();

      clock.set(new Date('2026-03-06T09:00:00Z'));
      const after = delivering(clock);
      await after.s.start();
      const again = await after.s.runDue();

      expect(await after.delivered()).toEqual([{ queue: 'sessions', body: check('durable') }]);
      expect(again).toBe(0);
    });
  });
});
