import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { and, asc, eq, lte, min, notInArray } from 'drizzle-orm';
import type { Db } from '../../shared/db/client';
import { schedule } from '../../shared/db/schema';
import { atExpression, SCHEDULE_NAME, systemClock, type Clock, type ScheduledMessage, type SchedulerPort } from '../../shared/ports';
import { assertTimezone, nextFireTime, parseScheduleExpression, type ScheduleExpression } from './cron';
import { LOCAL_ACCOUNT, LOCAL_REGION, queueArn, queueNameOf, ruleArn, scheduleArn } from './local-arn';
import type { LocalLogger } from './logger';

export type ScheduleRow = typeof schedule.$inferSelect;

export interface ScheduleDefinition {
  name: string;
  /** EventBridge syntax: `rate(5 minutes)`, `cron(0 9 ? * MON-FRI *)`, `at(2026-03-01T09:00:00)`. */
  expression: string;
  /** IANA time zone the cron fields and at() times are read in (default UTC). */
  timezone?: string;
  /** The function invoked, or the ARN of the queue the payload is sent to (as its message body). */
  target: string;
  /** The event's `detail`, or the message body sent to a queue target. */
  payload?: Record<string, unknown>;
  group?: string;
  enabled?: boolean;
}

export interface LocalSchedulerOptions {
  db: Db;
  clock?: Clock;
  logger: LocalLogger;
  invoke: (target: string, event: ScheduledEvent<Record<string, unknown>>) => Promise<unknown>;
  /** Sends a queue target's message (the runtime's LocalQueue). */
  send?: (queue: string, body: Record<string, unknown>) => Promise<unknown>;
  /** The queues one-off schedules (`at`) may deliver to: the manifest's `scheduled` queues, as the delivery role allows on AWS. */
  scheduledQueues?: string[];
  /** The longest the scheduler sleeps before looking at the table again (default 60 s). */
  maxSleepMs?: number;
}

/** The group of the manifest's schedules: EventBridge rules on AWS, so their events come from `aws.events`. */
export const MANIFEST_GROUP = 'manifest';

/** The group of the one-off schedules functions make at run time (SchedulerPort); `cancel` reaches no other. */
export const RUNTIME_GROUP = 'runtime';

/**
 * EventBridge Scheduler (and rules) on one machine, over the schedule table: fires each schedule's target with a
 * Scheduled Event at the times its expression names, in its time zone, or sends its message to a queue target. Like
 * EventBridge it does not catch up on cron/rate runs missed while the process was down; a one-off at() that was
 * missed fires once at start. It is also the SchedulerPort of the embedded runtime: `at` and `cancel` keep one-off
 * queue deliveries in the runtime group, so they outlive a restart.
 */
export class LocalScheduler implements SchedulerPort {
  /** Schedules fire when they fall due (to the millisecond); at() names whole seconds. */
  readonly precisionMs = 1_000;
  private readonly clock: Clock;
  private readonly maxSleepMs: number;
  private readonly inflight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private arming = 0;
  private started = false;
  private stopped = false;

  constructor(private readonly options: LocalSchedulerOptions) {
    this.clock = options.clock ?? systemClock;
    this.maxSleepMs = options.maxSleepMs ?? 60_000;
  }

  get running(): boolean {
    return this.started && !this.stopped;
  }

  /** Makes the manifest's schedules exactly these: upserts them into the manifest group and deletes the group's others. */
  async upsertAll(schedules: ScheduleDefinition[]): Promise<void> {
    for (const s of schedules) await this.write({ ...s, group: MANIFEST_GROUP });
    const names = schedules.map((s) => s.name);
    const stale = and(eq(schedule.groupName, MANIFEST_GROUP), names.length ? notInArray(schedule.name, names) : undefined);
    await this.options.db.delete(schedule).where(stale);
    await this.arm();
  }

  /** Creates or replaces one schedule; its next run is recomputed when its expression, zone or enablement changes. */
  async upsert(definition: ScheduleDefinition): Promise<void> {
    await this.write(definition);
    await this.arm();
  }

  /** SchedulerPort: creates or replaces the one-off delivery `name` (a replaced one that had fired fires again). */
  async at(name: string, when: Date, message: ScheduledMessage): Promise<void> {
    if (!SCHEDULE_NAME.test(name)) throw new RangeError(`schedule name '${name}' is not 1–64 letters, digits, '-', '_' or '.'`);
    if (!this.options.scheduledQueues?.includes(message.queue)) {
      throw new Error(`queue '${message.queue}' does not take scheduled messages (mark it \`scheduled\` in infra/manifest.ts)`);
    }
    const body = message.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TypeError('a scheduled message body is a JSON object');
    // One table holds every group; on AWS names are per group, so a run-time name never reaches the deployment's schedules.
    const existing = await this.get(name);
    if (existing && existing.groupName !== RUNTIME_GROUP) throw new Error(`schedule ${name} belongs to group ${existing.groupName}, not ${RUNTIME_GROUP}`);
    await this.write(
      { name, expression: atExpression(when), timezone: 'UTC', target: queueArn(message.queue), payload: body as Record<string, unknown>, group: RUNTIME_GROUP },
      { replace: true },
    );
    await this.arm();
  }

  /** SchedulerPort: removes the one-off `name` if it is still there. */
  async cancel(name: string): Promise<void> {
    await this.options.db.delete(schedule).where(and(eq(schedule.name, name), eq(schedule.groupName, RUNTIME_GROUP)));
    await this.arm();
  }

  async delete(name: string): Promise<boolean> {
    const rows = await this.options.db.delete(schedule).where(eq(schedule.name, name)).returning({ name: schedule.name });
    await this.arm();
    return rows.length > 0;
  }

  async get(name: string): Promise<ScheduleRow | undefined> {
    const [row] = await this.options.db.select().from(schedule).where(eq(schedule.name, name));
    return row;
  }

  /**
   * Starts firing. Runs of cron/rate schedules missed while stopped are skipped (a rate keeps its cadence), and
   * missed at() schedules fire now. Never rejects: problems are logged.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await this.skipMissed();
      await this.runDue();
    } catch (err) {
      this.options.logger.error({ err: (err as Error).message }, 'scheduler start failed');
    }
    await this.arm();
  }

  /** Fires every schedule that is due now and waits for those invocations; returns how many fired. */
  async runDue(): Promise<number> {
    const fired = await this.fireDue();
    await Promise.allSettled(fired);
    return fired.length;
  }

  /** Stops firing; invocations already running get up to `graceMs` to finish. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.inflight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  /** With `replace`, the row is written afresh, as if new (an at() that had fired is armed again). */
  private async write(definition: ScheduleDefinition, options: { replace?: boolean } = {}): Promise<void> {
    const expression = parseScheduleExpression(definition.expression);
    const timezone = definition.timezone ?? 'UTC';
    assertTimezone(timezone);
    const now = this.clock.now();
    const enabled = definition.enabled ?? true;
    const existing = options.replace ? undefined : await this.get(definition.name);
    const same = existing && existing.expression === definition.expression && existing.timezone === timezone;
    // A one-off that already fired stays done when upserted again unchanged.
    const spent = same && expression.kind === 'at' && existing.lastRunAt !== null;
    const keep = same && existing.enabled && existing.nextRunAt !== null;
    const nextRunAt = !enabled || spent ? null : keep ? existing.nextRunAt : nextFireTime(expression, timezone, now);
    const values = {
      groupName: definition.group ?? 'default',
      expression: definition.expression,
      timezone,
      target: definition.target,
      payload: definition.payload ?? null,
      enabled: enabled && !spent,
      nextRunAt,
      ...(options.replace ? { lastRunAt: null } : {}),
      updatedAt: now,
    };
    await this.options.db
      .insert(schedule)
      .values({ name: definition.name, ...values, createdAt: now })
      .onConflictDoUpdate({ target: schedule.name, set: values });
  }

  /** After a restart: cron/rate runs that fell due while stopped are skipped, as EventBridge does not catch up. */
  private async skipMissed(): Promise<void> {
    const now = this.clock.now();
    const rows = await this.options.db.select().from(schedule).where(eq(schedule.enabled, true));
    for (const row of rows) {
      const expression = this.parse(row);
      if (!expression || expression.kind === 'at') continue;
      if (row.nextRunAt && row.nextRunAt > now) continue;
      const next = nextFireTime(expression, row.timezone, now, row.nextRunAt ?? undefined);
      await this.options.db.update(schedule).set({ nextRunAt: next, updatedAt: now }).where(eq(schedule.name, row.name));
    }
  }

  /** Claims each due schedule's occurrence (compare-and-set on next_run_at, so it fires once) and fires it. */
  private async fireDue(): Promise<Promise<void>[]> {
    const now = this.clock.now();
    const due = await this.options.db
      .select()
      .from(schedule)
      .where(and(eq(schedule.enabled, true), lte(schedule.nextRunAt, now)))
      .orderBy(asc(schedule.nextRunAt));
    const fired: Promise<void>[] = [];
    for (const row of due) {
      const scheduledAt = row.nextRunAt;
      const expression = this.parse(row);
      if (!scheduledAt || !expression) continue;
      const once = expression.kind === 'at';
      const next = once ? null : nextFireTime(expression, row.timezone, now, scheduledAt);
      const [claimed] = await this.options.db
        .update(schedule)
        .set({ lastRunAt: now, nextRunAt: next, enabled: !once, updatedAt: now })
        .where(and(eq(schedule.name, row.name), eq(schedule.enabled, true), eq(schedule.nextRunAt, scheduledAt)))
        .returning({ name: schedule.name });
      if (claimed) fired.push(this.fire(row, scheduledAt));
    }
    return fired;
  }

  private fire(row: ScheduleRow, scheduledAt: Date): Promise<void> {
    const invocation = (async () => {
      try {
        const queue = queueNameOf(row.target);
        if (queue) {
          if (!this.options.send) throw new Error(`schedule ${row.name} targets queue '${queue}', but this scheduler sends to no queue`);
          await this.options.send(queue, row.payload ?? {});
        } else {
          await this.options.invoke(row.target, scheduledEvent(row, scheduledAt));
        }
      } catch (err) {
        this.options.logger.error({ schedule: row.name, target: row.target, err: (err as Error).message }, 'scheduled invocation failed');
      }
    })();
    this.inflight.add(invocation);
    void invocation.then(() => this.inflight.delete(invocation));
    return invocation;
  }

  /** A stored expression that no longer parses is disabled rather than retried every tick. */
  private parse(row: ScheduleRow): ScheduleExpression | undefined {
    try {
      return parseScheduleExpression(row.expression);
    } catch (err) {
      this.options.logger.error({ schedule: row.name, err: (err as Error).message }, 'schedule disabled: invalid expression');
      void this.options.db.update(schedule).set({ enabled: false }).where(eq(schedule.name, row.name)).catch(() => {});
      return undefined;
    }
  }

  /** Sleeps until the earliest next run (at most maxSleepMs), then fires what is due. */
  private async arm(): Promise<void> {
    if (!this.running) return;
    const attempt = ++this.arming;
    let delay = this.maxSleepMs;
    try {
      const [row] = await this.options.db.select({ next: min(schedule.nextRunAt) }).from(schedule).where(eq(schedule.enabled, true));
      if (row?.next) delay = Math.min(this.maxSleepMs, Math.max(0, row.next.getTime() - this.clock.now().getTime()));
    } catch (err) {
      this.options.logger.error({ err: (err as Error).message }, 'scheduler could not read the next run');
    }
    if (attempt !== this.arming || !this.running) return; // a later arm() or stop() took over
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    try {
      await this.fireDue();
    } catch (err) {
      this.options.logger.error({ err: (err as Error).message }, 'scheduler tick failed');
    }
    await this.arm();
  }
}

/** The event EventBridge delivers for a schedule; `time` is when it was due, to the second. */
export function scheduledEvent(row: ScheduleRow, scheduledAt: Date): ScheduledEvent<Record<string, unknown>> {
  const manifest = row.groupName === MANIFEST_GROUP;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: manifest ? 'aws.events' : 'aws.scheduler',
    account: LOCAL_ACCOUNT,
    time: scheduledAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [manifest ? ruleArn(row.name) : scheduleArn(row.groupName, row.name)],
    detail: row.payload ?? {},
  };
}
