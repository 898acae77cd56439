import fc from 'fast-check';
import { atInstant, nextFireTime, parseScheduleExpression, ScheduleExpressionError, toCronerPattern } from '../../infra/local/cron';

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/**
 * An EventBridge cron expression built from parts, so the test knows what it means without parsing it: `render` gives
 * the expression, and `matchesDay`/`minutes`/`hours` are a reference reading of EventBridge's rules (UTC).
 */
interface CronSpec {
  minutes: number[];
  minuteText: string;
  hours: number[];
  hourText: string;
  dom: { text: string; test: (date: Date) => boolean };
  month: { text: string; months: number[] };
  dow: { text: string; test: (date: Date) => boolean };
}

const lastDayOf = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
/** EventBridge numbers weekdays 1 (SUN) to 7 (SAT). */
const ebWeekday = (d: Date) => d.getUTCDay() + 1;

function nearestWeekday(d: Date, day: number): number {
  const last = lastDayOf(d);
  const weekday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), day)).getUTCDay();
  if (weekday === 6) return day === 1 ? 3 : day - 1;
  if (weekday === 0) return day === last ? day - 2 : day + 1;
  return day;
}

const sortedSet = (values: number[]) => [...new Set(values)].sort((a, b) => a - b);

/** Minutes or hours: a list, `*`, or `start/step` (EventBridge: from start to the end of the range). */
const timeField = (max: number) =>
  fc.oneof(
    fc.array(fc.integer({ min: 0, max }), { minLength: 1, maxLength: 4 }).map((vs) => ({ values: sortedSet(vs), text: sortedSet(vs).join(',') })),
    fc.constant({ values: Array.from({ length: max + 1 }, (_, i) => i), text: '*' }),
    fc
      .record({ start: fc.integer({ min: 0, max }), step: fc.integer({ min: 1, max: max }) })
      .map(({ start, step }) => ({ values: Array.from({ length: max + 1 }, (_, i) => i).filter((v) => v >= start && (v - start) % step === 0), text: `${start}/${step}` })),
  );

const anyDay = { text: '?', test: () => true };

const domField = fc.oneof(
  fc.constant({ text: '*', test: () => true }),
  fc.array(fc.integer({ min: 1, max: 31 }), { minLength: 1, maxLength: 3 }).map((vs) => ({ text: sortedSet(vs).join(','), test: (d: Date) => vs.includes(d.getUTCDate()) })),
  fc.constant({ text: 'L', test: (d: Date) => d.getUTCDate() === lastDayOf(d) }),
  fc.integer({ min: 1, max: 28 }).map((day) => ({ text: `${day}W`, test: (d: Date) => d.getUTCDate() === nearestWeekday(d, day) })),
);

const weekdayToken = (day: number, names: boolean) => (names ? DAY_NAMES[day - 1] : String(day));

const dowField = fc.oneof(
  fc.constant({ text: '*', test: () => true }),
  fc
    .record({ days: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 3 }), names: fc.boolean() })
    .map(({ days, names }) => ({ text: sortedSet(days).map((d) => weekdayToken(d, names)).join(','), test: (d: Date) => days.includes(ebWeekday(d)) })),
  fc
    .record({ a: fc.integer({ min: 1, max: 7 }), b: fc.integer({ min: 1, max: 7 }), names: fc.boolean() })
    .map(({ a, b, names }) => {
      const [from, to] = a <= b ? [a, b] : [b, a];
      return { text: `${weekdayToken(from, names)}-${weekdayToken(to, names)}`, test: (d: Date) => ebWeekday(d) >= from && ebWeekday(d) <= to };
    }),
  fc
    .record({ day: fc.integer({ min: 1, max: 7 }), nth: fc.integer({ min: 1, max: 4 }) })
    .map(({ day, nth }) => ({ text: `${day}#${nth}`, test: (d: Date) => ebWeekday(d) === day && Math.ceil(d.getUTCDate() / 7) === nth })),
  fc.integer({ min: 1, max: 7 }).map((day) => ({ text: `${day}L`, test: (d: Date) => ebWeekday(d) === day && d.getUTCDate() + 7 > lastDayOf(d) })),
  fc.constant({ text: 'L', test: (d: Date) => ebWeekday(d) === 7 }),
);

const monthField = fc.oneof(
  fc.constant({ text: '*', months: Array.from({ length: 12 }, (_, i) => i + 1) }),
  fc
    .record({ months: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 2, maxLength: 4 }), names: fc.boolean() })
    .map(({ months, names }) => ({ text: sortedSet(months).map((m) => (names ? MONTH_NAMES[m - 1] : String(m))).join(','), months: sortedSet(months) })),
);

const cronSpec: fc.Arbitrary<CronSpec> = fc
  .record({ minute: timeField(59), hour: timeField(23), month: monthField, days: fc.oneof(domField.map((dom) => ({ dom, dow: anyDay })), dowField.map((dow) => ({ dom: anyDay, dow }))) })
  .map(({ minute, hour, month, days }) => ({
    minutes: minute.values,
    minuteText: minute.text,
    hours: hour.values,
    hourText: hour.text,
    dom: days.dom,
    month,
    dow: days.dow,
  }));

const render = (s: CronSpec) => `cron(${s.minuteText} ${s.hourText} ${s.dom.text} ${s.month.text} ${s.dow.text} *)`;

/** The reference: the first minute after `after` whose day, hour and minute all match, by walking the calendar. */
function referenceNext(s: CronSpec, after: Date): Date | null {
  const start = new Date(Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate()));
  for (let day = 0; day < 366 * 6; day++) {
    const date = new Date(start.getTime() + day * 86_400_000);
    if (!s.month.months.includes(date.getUTCMonth() + 1) || !s.dom.test(date) || !s.dow.test(date)) continue;
    for (const hour of s.hours) {
      for (const minute of s.minutes) {
        const at = new Date(date.getTime() + hour * 3_600_000 + minute * 60_000);
        if (at > after) return at;
      }
    }
  }
  return null;
}

const instant = fc.date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2030-12-31T23:59:59Z'), noInvalidDate: true });

describe('EventBridge cron expressions on croner', () => {
  it('fire at the same next time as a reference reading of EventBridge’s rules', () => {
    fc.assert(
      fc.property(cronSpec, instant, (spec, after) => {
        const expression = parseScheduleExpression(render(spec));
        const expected = referenceNext(spec, after);
        expect(nextFireTime(expression, 'UTC', after)?.toISOString()).toBe(expected?.toISOString());
      }),
      { numRuns: 300 },
    );
  });

  it('map day-of-week 1-7 (and SUN-SAT) to Sunday-Saturday', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.boolean(), instant, (day, names, after) => {
        const next = nextFireTime(parseScheduleExpression(`cron(0 12 ? * ${weekdayToken(day, names)} *)`), 'UTC', after);
        expect(next?.getUTCDay()).toBe(day - 1);
        expect(next?.getUTCHours()).toBe(12);
      }),
    );
  });

  it('fire only within the given hours and minutes of the schedule’s time zone', () => {
    const zones = ['Asia/Kolkata', 'America/Sao_Paulo', 'Australia/Adelaide', 'Europe/Paris'];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.array(fc.integer({ min: 0, max: 59 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: 4, max: 22 }), { minLength: 1, maxLength: 3 }),
        instant,
        (zone, minutes, hours, after) => {
          const expression = parseScheduleExpression(`cron(${sortedSet(minutes).join(',')} ${sortedSet(hours).join(',')} * * ? *)`);
          const local = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
          let from = after;
          for (let i = 0; i < 4; i++) {
            const next = nextFireTime(expression, zone, from)!;
            const parts = Object.fromEntries(local.formatToParts(next).map((p) => [p.type, p.value]));
            expect(hours).toContain(Number(parts.hour));
            expect(minutes).toContain(Number(parts.minute));
            expect(next.getTime()).toBeGreaterThan(from.getTime());
            from = next;
          }
        },
      ),
    );
  });

  it('rates keep their cadence from the last run and skip the runs already past', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 90 }), instant, fc.integer({ min: 0, max: 10_000_000 }), (n, anchor, laterMs) => {
        const expression = parseScheduleExpression(n === 1 ? 'rate(1 minute)' : `rate(${n} minutes)`);
        const after = new Date(anchor.getTime() + laterMs);
        const next = nextFireTime(expression, 'UTC', after, anchor)!;
        const everyMs = n * 60_000;
        expect((next.getTime() - anchor.getTime()) % everyMs).toBe(0);
        expect(next.getTime()).toBeGreaterThan(after.getTime());
        expect(next.getTime() - everyMs).toBeLessThanOrEqual(after.getTime());
      }),
    );
  });

  it('converts the documented examples', () => {
    expect(toCronerPattern('0 10 * * ? *')).toBe('0 0 10 * * * *');
    expect(toCronerPattern('15 12 * * ? *')).toBe('0 15 12 * * * *');
    expect(toCronerPattern('0 18 ? * MON-FRI *')).toBe('0 0 18 * * 1-5 *');
    expect(toCronerPattern('0 8 1 * ? *')).toBe('0 0 8 1 * * *');
    expect(toCronerPattern('0/15 * * * ? *')).toBe('0 0-59/15 * * * * *');
    expect(toCronerPattern('0/10 * ? * MON-FRI *')).toBe('0 0-59/10 * * * 1-5 *');
    expect(toCronerPattern('0/5 8-17 ? * MON-FRI *')).toBe('0 0-59/5 8-17 * * 1-5 *');
    expect(toCronerPattern('0 9 ? * 2#1 *')).toBe('0 0 9 * * 1#1 *');
    expect(toCronerPattern('0 9 ? * 6L 2027')).toBe('0 0 9 * * 5#L 2027');
    expect(toCronerPattern('0 9 L JAN,jul ? *')).toBe('0 0 9 L 1,7 * *');
    expect(toCronerPattern('0 9 15W * ? 2026-2028')).toBe('0 0 9 15W * * 2026-2028');
  });

  it('rejects invalid expressions, naming the problem', () => {
    const problem = (expression: string) => {
      try {
        parseScheduleExpression(expression);
      } catch (err) {
        expect(err).toBeInstanceOf(ScheduleExpressionError);
        return (err as Error).message;
      }
      throw new Error(`${expression} was accepted`);
    };
    expect(problem('every 5 minutes')).toMatch(/expected rate\(\.\.\.\), cron\(\.\.\.\) or at\(\.\.\.\)/);
    expect(problem('rate(1 minutes)')).toMatch(/a rate of 1 takes the singular unit \(minute\)/);
    expect(problem('rate(5 minute)')).toMatch(/a rate of 5 takes the plural unit \(minutes\)/);
    expect(problem('rate(0 minutes)')).toMatch(/at least 1/);
    expect(problem('rate(2 weeks)')).toMatch(/minute\(s\)\|hour\(s\)\|day\(s\)/);
    expect(problem('cron(0 10 * * *)')).toMatch(/6 fields .* got 5/);
    expect(problem('cron(0 10 * * MON *)')).toMatch(/cannot both be set: use \? in one of them/);
    expect(problem('cron(0 10 ? * ? *)')).toMatch(/only one of day-of-month and day-of-week may be \?/);
    expect(problem('cron(60 10 * * ? *)')).toMatch(/minutes 60 is outside 0-59/);
    expect(problem('cron(0 24 * * ? *)')).toMatch(/hours 24 is outside 0-23/);
    expect(problem('cron(0 10 ? * 0 *)')).toMatch(/day-of-week 0 is outside 1-7/);
    expect(problem('cron(0 10 ? * MON/2 *)')).toMatch(/day-of-week does not take steps/);
    expect(problem('cron(0 10 ? * FUN *)')).toMatch(/day-of-week 'FUN' is not a number or a name \(SUN-SAT\)/);
    expect(problem('cron(0 10 ? * 2#6 *)')).toMatch(/occurrence after # is 1-5/);
    expect(problem('cron(0 10 * 13 ? *)')).toMatch(/month 13 is outside 1-12/);
    expect(problem('cron(0 10 * * ? 1969)')).toMatch(/year 1969 is outside 1970-2199/);
    expect(problem('cron(0 10-8 * * ? *)')).toMatch(/hours '10-8': the range runs backwards/);
    expect(problem('cron(0 10 1,L * ? *)')).toMatch(/L and W stand alone/);
    expect(problem('at(2026-02-30T10:00:00)')).toMatch(/day 30 does not exist in 2026-02/);
    expect(problem('at(2026-02-03 10:00)')).toMatch(/at\(\) takes yyyy-mm-ddThh:mm:ss/);
  });
});

describe('at() expressions', () => {
  it('read their wall-clock time in the schedule’s time zone, daylight saving included', () => {
    const at = (time: string, zone: string) => atInstant(time, zone).toISOString();
    expect(at('2026-01-15T09:00:00', 'America/New_York')).toBe('2026-01-15T14:00:00.000Z');
    expect(at('2026-07-15T09:00:00', 'America/New_York')).toBe('2026-07-15T13:00:00.000Z');
    expect(at('2026-07-15T09:00:00', 'Asia/Kolkata')).toBe('2026-07-15T03:30:00.000Z');
    expect(at('2026-07-15T09:00:00', 'UTC')).toBe('2026-07-15T09:00:00.000Z');
  });
});
