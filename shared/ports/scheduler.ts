/**
 * One-off schedules that deliver a message to a queue at a time: EventBridge Scheduler on AWS, the schedule table and
 * the embedded scheduler locally. Schedules are named; a name holds one schedule at a time.
 */
export interface SchedulerPort {
  /** At most how late a schedule fires after its time: a minute on EventBridge Scheduler, about a second locally. */
  readonly precisionMs: number;
  /**
   * Creates the schedule `name`, or replaces the one of that name: at `when` (rounded up to the second), `body` is sent
   * to the queue as its message body, exactly once unless replaced or cancelled first. `when` should be in the future.
   */
  at(name: string, when: Date, message: ScheduledMessage): Promise<void>;
  /** Removes the schedule; one that does not exist (never made, already fired, already cancelled) is not an error. */
  cancel(name: string): Promise<void>;
}

export interface ScheduledMessage {
  /** A manifest queue that accepts scheduled messages (see `scheduled` in infra/manifest.ts). */
  queue: string;
  body: unknown;
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, rounded up to the whole second so a schedule never fires before `when`. */
export function atExpression(when: Date): string {
  const second = new Date(Math.ceil(when.getTime() / 1000) * 1000);
  return `at(${second.toISOString().slice(0, 19)})`;
}

/** Schedule names (EventBridge Scheduler's rule): 1–64 letters, digits, `-`, `_` and `.`. */
export const SCHEDULE_NAME = /^[0-9A-Za-z_.-]{1,64}$/;
