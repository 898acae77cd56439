import { randomBytes } from 'node:crypto';
import type { RunOptions, StateMachine } from 'aws-local-stepfunctions';
import type { PreparedDefinition } from './asl-definition';
import type { JsonValue } from './json-value';
import { stateMachineArn } from './local-arn';
import type { TokenRow } from './task-token-store';

type Handle = ReturnType<StateMachine['run']>;
type EventLog = Handle['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** An opaque task token, as long as Step Functions' are short (they go into URLs and Slack buttons). */
export function newTaskToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * One execution being run by this process: the `$$.Task.Token` it hands out, the checkpoints it records as it enters
 * top-level states, and, after a restart, the tokens it carries over from before.
 */
export class ExecutionRun {
  handle: Handle | undefined;
  /** Callback tokens this run is waiting on, with their state: orphaned ones are abandoned when the execution moves on. */
  readonly openTokens = new Map<string, string>();
  /** The token `$$.Task.Token` evaluated to for the Task about to run (its override runs synchronously after). */
  private slot: string | undefined;
  private readonly carried = new Map<string, TokenRow[]>();
  private readonly recorded = new Map<string, number>();
  private readonly calls = new Map<string, number>();
  private readonly onRecord = new Set<() => void>();
  private current: string | undefined;
  private recording = true;
  private resumedEntryPending: boolean;

  constructor(
    readonly executionId: string,
    readonly name: string,
    readonly prepared: PreparedDefinition,
    /** Set when resuming: the checkpointed state, whose first entry must not overwrite its original entry time. */
    readonly resumedAt?: string,
    carried: TokenRow[] = [],
  ) {
    this.resumedEntryPending = resumedAt !== undefined;
    for (const row of carried) this.carried.set(row.stateName, [...(this.carried.get(row.stateName) ?? []), row]);
  }

  /** The context object: `$$.Task.Token` is a getter, so each callback state gets its own token. */
  context(): NonNullable<RunOptions['context']> {
    const task = Object.defineProperty({}, 'Token', { enumerable: true, get: () => (this.slot ??= newTaskToken()) });
    return {
      Execution: { Id: this.executionId, Name: this.name, RoleArn: 'arn:aws:iam::000000000000:role/local' },
      StateMachine: { Id: stateMachineArn(this.prepared.name), Name: this.prepared.name },
      Task: task,
    };
  }

  /** The token the running Task's Parameters evaluated (if any), clearing the slot for the next Task. */
  takeToken(): string | undefined {
    const token = this.slot;
    this.slot = undefined;
    return token;
  }

  /** A token from before the restart for this state (oldest first): its holder must still be able to answer it. */
  takeCarried(state: string): TokenRow | undefined {
    return this.carried.get(state)?.shift();
  }

  /** Counts a call of a top-level Task's override; each call follows exactly one StateEntered or StateRetried. */
  countCall(state: string): number {
    const n = (this.calls.get(state) ?? 0) + 1;
    this.calls.set(state, n);
    return n;
  }

  /**
   * Resolves once the checkpoint for a Task's current entry is on disk: so a token row never exists for a state the
   * checkpoint has not reached. A nested state waits for its top-level state to be the recorded one.
   */
  async checkpointed(state: string, call: number): Promise<void> {
    const top = this.prepared.topLevelOf.get(state) ?? state;
    const done = () =>
      !this.recording || (top === state ? (this.recorded.get(state) ?? 0) >= call : this.current === top);
    while (!done()) await new Promise<void>((resolve) => this.onRecord.add(resolve));
  }

  /** Consumes the execution's events, writing a checkpoint each time it enters a top-level state. */
  async record(events: AsyncGenerator<EventLog>, write: (state: string, input: JsonValue) => Promise<void>): Promise<void> {
    try {
      for await (const event of events) {
        if (event.type !== 'StateEntered' && event.type !== 'StateRetried') continue;
        const state = event.state.name;
        if (this.prepared.topLevelOf.get(state) !== state) continue;
        if (event.type === 'StateEntered') {
          if (this.resumedEntryPending && state === this.resumedAt) this.resumedEntryPending = false;
          else await write(state, event.state.input);
          this.current = state;
        }
        this.recorded.set(state, (this.recorded.get(state) ?? 0) + 1);
        this.notify();
      }
    } finally {
      this.recording = false;
      this.notify();
    }
  }

  private notify(): void {
    const waiters = [...this.onRecord];
    this.onRecord.clear();
    for (const resolve of waiters) resolve();
  }
}
