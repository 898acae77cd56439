import type { Clock } from '../../shared/ports';
import { MAX_TIMER_SECONDS } from './asl-definition';
import { statesTimeoutError } from './asl-library';
import { toJson, type JsonValue } from './json-value';
import type { LocalLogger } from './logger';
import type { TaskTokenStore, TokenRow } from './task-token-store';
import { RunnerDetachedError, taskError } from './workflow-errors';

const MAX_TIMER_MS = MAX_TIMER_SECONDS * 1000;

/**
 * Callback tasks waiting for their token's answer. An answer sent through this process wakes its waiter at once;
 * one sent by another process (sharing the database) is found by a single batched poll for all waiting tokens.
 */
export class TokenWaiters {
  private readonly waiting = new Map<string, () => void>();
  private poller: NodeJS.Timeout | undefined;
  private polling = false;
  private closed = false;

  constructor(
    private readonly store: TaskTokenStore,
    private readonly clock: Clock,
    private readonly logger: LocalLogger,
    private readonly pollMs: number,
  ) {}

  /**
   * The token's answer: its output, or its failure thrown as the task's error, or States.Timeout once `timeoutAt`
   * passes (the runner, not the library, times callbacks out, so a resumed wait keeps its original deadline).
   */
  async wait(token: string, timeoutAt: Date | null): Promise<JsonValue> {
    for (;;) {
      if (this.closed) throw new RunnerDetachedError();
      const row = await this.store.get(token);
      if (!row) throw taskError('States.Runtime', `task token row vanished (${token.slice(0, 8)}…)`);
      if (row.status !== 'pending') return answerOf(row);
      const remaining = timeoutAt ? timeoutAt.getTime() - this.clock.now().getTime() : Infinity;
      if (remaining <= 0) {
        if (await this.store.timeOut(token)) throw await statesTimeoutError();
        continue; // answered just before the deadline: read that answer
      }
      await this.signal(token, remaining);
    }
  }

  /** Wakes the waiter of a token answered in this process. */
  wake(token: string): void {
    this.waiting.get(token)?.();
  }

  /** Ends every wait with RunnerDetachedError (shutdown): their executions resume at the next start. */
  close(): void {
    this.closed = true;
    clearTimeout(this.poller);
    for (const wake of this.waiting.values()) wake();
    this.waiting.clear();
  }

  private signal(token: string, remainingMs: number): Promise<void> {
    if (this.closed) return Promise.resolve(); // closed during the read: the loop ends the wait
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.min(remainingMs, MAX_TIMER_MS));
      const waiting = this.waiting;
      function done() {
        clearTimeout(timer);
        waiting.delete(token);
        resolve();
      }
      this.waiting.set(token, done);
      this.schedulePoll();
    });
  }

  private schedulePoll(): void {
    if (this.poller || this.closed) return;
    this.poller = setTimeout(() => void this.poll(), this.pollMs);
    this.poller.unref();
  }

  private async poll(): Promise<void> {
    this.poller = undefined;
    if (this.polling || this.waiting.size === 0) return;
    this.polling = true;
    try {
      for (const token of await this.store.settledAmong([...this.waiting.keys()])) this.wake(token);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'task token poll failed');
    } finally {
      this.polling = false;
      if (this.waiting.size > 0) this.schedulePoll();
    }
  }
}

/** A settled token row as the task's result (or thrown error). */
async function answerOf(row: TokenRow): Promise<JsonValue> {
  if (row.status === 'succeeded') return toJson(row.output);
  if (row.status === 'timed_out') throw await statesTimeoutError();
  throw taskError(row.error ?? 'States.TaskFailed', row.cause ?? '');
}
