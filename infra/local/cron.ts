import { Cron } from 'croner';

/**
 * EventBridge schedule expressions, read as EventBridge reads them and turned into what croner runs:
 * `rate(5 minutes)`, `cron(min hour day-of-month month day-of-week year)` and `at(yyyy-mm-ddThh:mm:ss)`.
 */
export type ScheduleExpression =
  | { kind: 'rate'; everyMs: number }
  /** A croner 7-part pattern: second minute hour day-of-month month day-of-week(0 = SUN) year. */
  | { kind: 'cron'; pattern: string }
  /** A wall-clock time in the schedule's time zone. */
  | { kind: 'at'; localTime: string };

export class ScheduleExpressionError extends Error {
  constructor(expression: string, problem: string) {
    super(`invalid schedule expression '${expression}': ${problem}`);
    this.name = 'ScheduleExpressionError';
  }
}

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
/** EventBridge numbers days of the week 1-7 from Sunday; croner 0-6 from Sunday (and reads 7 as Sunday too). */
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  steps: boolean;
}

const FIELDS: FieldSpec[] = [
  { name: 'minutes', min: 0, max: 59, steps: true },
  { name: 'hours', min: 0, max: 23, steps: true },
  { name: 'day-of-month', min: 1, max: 31, steps: true },
  { name: 'month', min: 1, max: 12, names: MONTHS, steps: true },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, steps: false },
  { name: 'year', min: 1970, max: 2199, steps: true },
];

export function parseScheduleExpression(expression: string): ScheduleExpression {
  const fail = (problem: string): never => {
    throw new ScheduleExpressionError(expression, problem);
  };
  const match = /^(rate|cron|at)\((.*)\)$/.exec(expression.trim());
  if (!match) return fail('expected rate(...), cron(...) or at(...)');
  const [, kind, body] = match;
  if (kind === 'rate') return { kind: 'rate', everyMs: parseRate(body.trim(), fail) };
  if (kind === 'at') return { kind: 'at', localTime: parseAt(body.trim(), fail) };
  return { kind: 'cron', pattern: toCronerPattern(body, fail) };
}

function parseRate(body: string, fail: (problem: string) => never): number {
  const match = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(body);
  if (!match) return fail('a rate is "<positive integer> minute(s)|hour(s)|day(s)"');
  const value = Number(match[1]);
  const unit = match[2];
  if (value < 1) fail('the rate value must be at least 1');
  if (value === 1 && unit.endsWith('s')) fail(`a rate of 1 takes the singular unit (${unit.slice(0, -1)})`);
  if (value > 1 && !unit.endsWith('s')) fail(`a rate of ${value} takes the plural unit (${unit}s)`);
  const singular = unit.endsWith('s') ? unit.slice(0, -1) : unit;
  return value * UNIT_MS[singular as keyof typeof UNIT_MS];
}

function parseAt(body: string, fail: (problem: string) => never): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  if (!match) return fail('at() takes yyyy-mm-ddThh:mm:ss');
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12) fail(`month ${month} is not 1-12`);
  if (day < 1 || day > daysInMonth) fail(`day ${day} does not exist in ${year}-${String(month).padStart(2, '0')}`);
  if (hour > 23 || minute > 59 || second > 59) fail(`${body.slice(11)} is not a time of day`);
  return body;
}

/** `min hour day-of-month month day-of-week year` (EventBridge) → a croner 7-part pattern. */
export function toCronerPattern(body: string, fail: (problem: string) => never = (p) => {
  throw new ScheduleExpressionError(`cron(${body})`, p);
}): string {
  const fields = body.trim().toUpperCase().split(/\s+/);
  if (fields.length !== 6) fail(`cron() takes 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`);
  const [minutes, hours, dom, month, dow, year] = fields;
  if (dom === '?' && dow === '?') fail('only one of day-of-month and day-of-week may be ?');
  if (dom !== '?' && dow !== '?') fail('day-of-month and day-of-week cannot both be set: use ? in one of them');
  const pattern = [
    '0',
    convertList(minutes, FIELDS[0], fail),
    convertList(hours, FIELDS[1], fail),
    dom === '?' ? '*' : convertDayOfMonth(dom, fail),
    convertList(month, FIELDS[3], fail),
    dow === '?' ? '*' : convertDayOfWeek(dow, fail),
    convertList(year, FIELDS[5], fail),
  ].join(' ');
  try {
    new Cron(pattern, { mode: '7-part', paused: true, timezone: 'UTC' });
  } catch (err) {
    fail((err as Error).message);
  }
  return pattern;
}

function convertDayOfMonth(field: string, fail: (problem: string) => never): string {
  if (field === 'L') return 'L';
  const weekday = /^(\d{1,2})W$/.exec(field);
  if (weekday) {
    const day = Number(weekday[1]);
    if (day < 1 || day > 31) fail(`day-of-month ${field}: ${day} is not 1-31`);
    return `${day}W`;
  }
  if (/[LW]/.test(field)) fail(`day-of-month '${field}': L and W stand alone (L, or nW such as 15W)`);
  return convertList(field, FIELDS[2], fail);
}

function convertDayOfWeek(field: string, fail: (problem: string) => never): string {
  const spec = FIELDS[4];
  if (field === 'L') return '6'; // the last day of the week: Saturday
  const last = /^([A-Z]{3}|\d)L$/.exec(field);
  if (last) return `${value(last[1], spec, fail) - 1}#L`;
  const nth = /^([A-Z]{3}|\d)#(\d)$/.exec(field);
  if (nth) {
    const n = Number(nth[2]);
    if (n < 1 || n > 5) fail(`day-of-week '${field}': the occurrence after # is 1-5`);
    return `${value(nth[1], spec, fail) - 1}#${n}`;
  }
  if (/[L#]/.test(field)) fail(`day-of-week '${field}': L and # stand alone (L, 6L, 3#2)`);
  return convertList(field, spec, fail, (v) => v - 1);
}

/** A list of `*`, `*\/s`, `a`, `a-b`, `a-b/s`, `a/s` items, each value checked and mapped (day-of-week: 1-7 → 0-6). */
function convertList(field: string, spec: FieldSpec, fail: (problem: string) => never, map: (v: number) => number = (v) => v): string {
  return field
    .split(',')
    .map((item) => {
      const match = /^(\*|[A-Z0-9]+(?:-[A-Z0-9]+)?)(?:\/(\d+))?$/.exec(item);
      if (!match) return fail(`${spec.name} '${item}' is not a value, range or step`);
      const [, range, step] = match;
      if (step !== undefined) {
        if (!spec.steps) fail(`${spec.name} does not take steps (/)`);
        if (Number(step) < 1) fail(`${spec.name} '${item}': the step must be at least 1`);
      }
      const suffix = step === undefined ? '' : `/${step}`;
      if (range === '*') return `*${suffix}`;
      const [from, to] = range.split('-').map((v) => value(v, spec, fail));
      if (to !== undefined && from > to) fail(`${spec.name} '${item}': the range runs backwards`);
      // EventBridge reads `a/s` as from a to the end; croner wants the end written out.
      const end = to ?? (step !== undefined ? spec.max : undefined);
      return end === undefined ? `${map(from)}` : `${map(from)}-${map(end)}${suffix}`;
    })
    .join(',');
}

function value(token: string, spec: FieldSpec, fail: (problem: string) => never): number {
  const named = spec.names?.indexOf(token) ?? -1;
  const n = named >= 0 ? named + 1 : /^\d+$/.test(token) ? Number(token) : NaN;
  if (Number.isNaN(n)) fail(`${spec.name} '${token}' is not a number${spec.names ? ` or a name (${spec.names[0]}-${spec.names.at(-1)})` : ''}`);
  if (n < spec.min || n > spec.max) fail(`${spec.name} ${token} is outside ${spec.min}-${spec.max}`);
  return n;
}

/** Throws unless `timezone` is an IANA zone this runtime knows. */
export function assertTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new ScheduleExpressionError(timezone, `unknown time zone '${timezone}'`);
  }
}

const crons = new Map<string, Cron>();

function cronFor(pattern: string, timezone: string): Cron {
  const key = `${pattern}|${timezone}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = new Cron(pattern, { mode: pattern.includes('T') ? 'auto' : '7-part', paused: true, timezone });
    crons.set(key, cron);
  }
  return cron;
}

/** The instant an at() schedule names, its wall-clock time read in `timezone`. */
export function atInstant(localTime: string, timezone: string): Date {
  const instant = cronFor(localTime, timezone).nextRun(new Date(0));
  if (!instant) throw new ScheduleExpressionError(`at(${localTime})`, 'names no instant');
  return instant;
}

/**
 * The first time a schedule fires after `after` (at() schedules: their instant, past or not). A rate keeps its
 * cadence from `anchor` (its previous fire time) when given, skipping the occurrences already past.
 */
export function nextFireTime(expression: ScheduleExpression, timezone: string, after: Date, anchor?: Date): Date | null {
  if (expression.kind === 'at') return atInstant(expression.localTime, timezone);
  if (expression.kind === 'cron') return cronFor(expression.pattern, timezone).nextRun(after);
  if (!anchor) return new Date(after.getTime() + expression.everyMs);
  const periods = Math.max(1, Math.floor((after.getTime() - anchor.getTime()) / expression.everyMs) + 1);
  return new Date(anchor.getTime() + periods * expression.everyMs);
}
