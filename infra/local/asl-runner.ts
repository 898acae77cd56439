import { randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type RunOptions,
} from 'aws-local-stepfunctions';
import type { Db } from '../../shared/db/client';
import { systemClock, type Clock, type WorkflowExecutionView, type WorkflowsPort } from '../../shared/ports';
import { prepareDefinition, type AnyState, type PreparedDefinition, type TaskBinding } from './asl-definition';
import { evaluatePath } from './asl-library';
import { ExecutionStore, type ExecutionOutcome, type ExecutionRow } from './execution-store';
import { ExecutionRun, newTaskToken } from './execution-run';
import { canonicalJson, isJsonObject, replaceString, toJson, type JsonValue, type TaskHandler } from './json-value';
import { executionArn, functionNameOf } from './local-arn';
import type { LocalLogger } from './logger';
import { ABANDONED, TaskTokenStore, type TokenRow } from './task-token-store';
import { TokenWaiters } from './token-waiters';
import {
  ExecutionAlreadyExistsError,
  InvalidExecutionNameError,
  lambdaError,
  RunnerDetachedError,
  RunnerStoppingError,
  StateMachineDoesNotExistError,
  taskError,
} from './workflow-errors';

export interface LocalWorkflowsOptions {
  db: Db;
  clock?: Clock;
  logger: LocalLogger;
  /** State machine name → ASL JSON with its `${Placeholders}` already substituted. */
  definitions: Record<string, string>;
  /** Runs a manifest function by name (what a Lambda ARN in the ASL points at). */
  invokeFunction: (functionName: string, payload: unknown) => Promise<unknown>;
  /** How often a waiting callback task looks in the database for an answer sent by another process (default 1000 ms). */
  tokenPollMs?: number;
  /** Test speed-ups: this long between retries instead of the definition's intervals, and in every Wait state. */
  overrides?: { retryIntervalMs?: number; waitMs?: number };
}

/** Where a restarted execution picks up (see resumeAll). */
interface Resume {
  /** The checkpointed top-level state; undefined when the execution never recorded one (start from StartAt). */
  state?: string;
  carried: TokenRow[];
  /** What remains of the checkpointed Wait state. */
  waitMs?: number;
  /** What remains of the definition's TimeoutSeconds. */
  timeoutSeconds?: number;
}

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;
/** Step Functions' limits on a task failure's error and cause. */
const MAX_ERROR_LENGTH = 256;
const MAX_CAUSE_LENGTH = 32_768;
/** Step Functions' rule for execution names. */
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/u;

/**
 * WorkflowsPort on one machine: the same ASL files Step Functions runs, interpreted in-process by
 * aws-local-stepfunctions, with every Task mapped to a manifest function. Executions, checkpoints and task tokens
 * live in the database, so a restarted process resumes what was running and an outstanding task token stays valid.
 */
export class LocalWorkflows implements WorkflowsPort {
  private readonly machines = new Map<string, PreparedDefinition>();
  private readonly clock: Clock;
  private readonly logger: LocalLogger;
  private readonly executions: ExecutionStore;
  private readonly tokens: TaskTokenStore;
  private readonly waiters: TokenWaiters;
  private readonly runs = new Map<string, { run: ExecutionRun; done: Promise<void> }>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly pollMs: number;
  private stopping = false;
  /** Rejects once stop() has detached the executions: every unfinished Task override settles with it. */
  private readonly detached: Promise<never>;
  private detach: (err: Error) => void = () => {};

  constructor(private readonly options: LocalWorkflowsOptions) {
    for (const [name, asl] of Object.entries(options.definitions)) this.machines.set(name, prepareDefinition(name, asl));
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.pollMs = options.tokenPollMs ?? 1000;
    this.executions = new ExecutionStore(options.db, this.clock);
    this.tokens = new TaskTokenStore(options.db, this.clock);
    this.waiters = new TokenWaiters(this.tokens, this.clock, this.logger, this.pollMs);
    this.detached = new Promise<never>((_, reject) => (this.detach = reject));
    this.detached.catch(() => {});
  }

  /** Starts an execution; a repeated name with the same input returns the running execution, as Step Functions does. */
  async start(stateMachine: string, input: unknown, options: { name?: string } = {}): Promise<{ executionId: string }> {
    if (this.stopping) throw new RunnerStoppingError();
    const prepared = this.machines.get(stateMachine);
    if (!prepared) throw new StateMachineDoesNotExistError(stateMachine);
    const name = options.name ?? randomUUID();
    if (!EXECUTION_NAME.test(name)) throw new InvalidExecutionNameError(name);
    const json = toJson(input ?? {});
    const { row, created } = await this.executions.insert({ id: executionArn(stateMachine, name), stateMachine, name, input: json });
    if (!created) {
      if (row.status === 'RUNNING' && canonicalJson(row.input) === canonicalJson(json)) return { executionId: row.id };
      throw new ExecutionAlreadyExistsError(row.id);
    }
    this.logger.info({ executionId: row.id, stateMachine }, 'execution started');
    // Stopping began while inserting: the row stays RUNNING and the next start resumes it.
    if (!this.stopping) this.launch(prepared, row.id, name, json);
    return { executionId: row.id };
  }

  async sendTaskSuccess(token: string, output: unknown): Promise<void> {
    await this.tokens.answer(token, { status: 'succeeded', output: toJson(output ?? {}) });
    this.waiters.wake(token);
  }

  async sendTaskFailure(token: string, error: string, cause?: string): Promise<void> {
    await this.tokens.answer(token, {
      status: 'failed',
      error: error.slice(0, MAX_ERROR_LENGTH),
      cause: cause === undefined ? null : cause.slice(0, MAX_CAUSE_LENGTH),
    });
    this.waiters.wake(token);
  }

  async describe(executionId: string): Promise<WorkflowExecutionView | null> {
    const row = await this.executions.get(executionId);
    return row ? viewOf(row) : null;
  }

  /**
   * Resumes every RUNNING execution of a known state machine from its checkpoint (call once at start, before
   * accepting work): the checkpointed state runs again with its saved input, a callback state keeps the token its
   * holder was given and what remains of its timeout, and a Wait state waits only what remains. Returns how many.
   */
  async resumeAll(): Promise<number> {
    let resumed = 0;
    for (const row of await this.executions.running()) {
      if (this.runs.has(row.id)) continue;
      const prepared = this.machines.get(row.stateMachine);
      if (!prepared) {
        this.logger.warn({ executionId: row.id, stateMachine: row.stateMachine }, 'cannot resume: unknown state machine');
        continue;
      }
      try {
        if (await this.resume(prepared, row)) resumed++;
      } catch (err) {
        this.logger.error({ executionId: row.id, err: (err as Error).message }, 'resume failed');
      }
    }
    if (resumed) this.logger.info({ resumed }, 'executions resumed');
    return resumed;
  }

  /**
   * Graceful shutdown: no new executions, task functions already running get up to `graceMs` to finish, then every
   * execution is detached where it stands. Their rows stay RUNNING, checkpointed, for resumeAll at the next start.
   */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    if (this.inflight.size > 0) await atMost(Promise.allSettled([...this.inflight]), graceMs);
    // One macrotask: executions whose task just finished move on (in microtasks) to their next Task, Wait or end.
    await new Promise((resolve) => setImmediate(resolve));
    const running = [...this.runs.values()];
    for (const { run } of running) run.handle?.abort();
    // Only now, with every result settled as aborted, end the tasks: the library then clears its task timers.
    await new Promise((resolve) => setImmediate(resolve));
    this.detach(new RunnerDetachedError());
    this.waiters.close();
    await Promise.allSettled(running.map((r) => r.done));
  }

  /** Resolves once the execution is no longer RUNNING (tests and tools); rejects after `timeoutMs`. */
  async waitForExecution(executionId: string, timeoutMs = 30_000): Promise<WorkflowExecutionView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const local = this.runs.get(executionId);
      if (local) await atMost(local.done, Math.max(0, deadline - Date.now()));
      const view = await this.describe(executionId);
      if (!view) throw new Error(`no execution ${executionId}`);
      if (view.status !== 'RUNNING') return view;
      if (Date.now() >= deadline) throw new Error(`execution ${executionId} still RUNNING after ${timeoutMs} ms`);
      if (!local) await sleep(Math.min(this.pollMs, deadline - Date.now()));
    }
  }

  private launch(prepared: PreparedDefinition, executionId: string, name: string, input: JsonValue, resume?: Resume): void {
    const run = new ExecutionRun(executionId, name, prepared, resume?.state, resume?.carried);
    const definition = resume
      ? {
          ...prepared.definition,
          StartAt: resume.state ?? prepared.definition.StartAt,
          ...(resume.timeoutSeconds !== undefined ? { TimeoutSeconds: resume.timeoutSeconds } : {}),
        }
      : prepared.definition;
    const handle = new StateMachine(definition, { validationOptions: { noValidate: true } }).run(input, {
      context: run.context(),
      overrides: this.overridesFor(run, resume),
    });
    run.handle = handle;
    const recording = run.record(handle.eventLogs, (state, stateInput) => this.checkpoint(run, state, stateInput));
    this.runs.set(executionId, { run, done: this.settle(run, handle.result, recording) });
  }

  private overridesFor(run: ExecutionRun, resume: Resume | undefined): NonNullable<RunOptions['overrides']> {
    const taskResourceLocalHandlers: Record<string, TaskHandler> = {};
    for (const binding of run.prepared.tasks.values()) {
      taskResourceLocalHandlers[binding.state] = (input) => this.runTask(run, binding, input);
    }
    // Getters: the resumed Wait state waits what remains once; later visits of it wait their full time.
    let remaining = resume?.waitMs !== undefined ? { state: resume.state, ms: resume.waitMs } : undefined;
    const waitTimeOverrides: Record<string, number> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    const { retryIntervalMs, waitMs } = this.options.overrides ?? {};
    for (const [name, state] of run.prepared.states) {
      if (state.Type === 'Wait') {
        Object.defineProperty(waitTimeOverrides, name, {
          enumerable: true,
          get: () => {
            if (remaining?.state !== name) return waitMs;
            const ms = remaining.ms;
            remaining = undefined;
            return ms;
          },
        });
      }
      if (retryIntervalMs !== undefined && 'Retry' in state) retryIntervalOverrides[name] = retryIntervalMs;
    }
    return { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides };
  }

  /** A Task override. Synchronous up to takeToken: `$$.Task.Token` was evaluated just before this call. */
  private runTask(run: ExecutionRun, binding: TaskBinding, input: JsonValue): Promise<JsonValue> {
    const slotToken = run.takeToken();
    const topLevel = run.prepared.topLevelOf.get(binding.state) === binding.state;
    const call = binding.kind === 'callback' && topLevel ? run.countCall(binding.state) : 0;
    // While stopping, a Task that is reached does not start; it settles when stop() detaches its execution.
    if (this.stopping) return this.detached;
    const work =
      binding.kind === 'callback'
        ? this.runCallback(run, binding, input, slotToken, call)
        : binding.kind === 'function'
          ? this.invoke(binding.functionName, input)
          : this.runLambdaInvoke(binding, input);
    return Promise.race([work, this.detached]);
  }

  private async runLambdaInvoke(binding: TaskBinding, input: JsonValue): Promise<JsonValue> {
    const { functionName, payload } = invokeParameters(binding.state, input);
    const result = await this.invoke(functionName, payload);
    // The envelope of the optimised integration, so `$.Payload` paths read as they do on AWS.
    return { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
  }

  private async runCallback(
    run: ExecutionRun,
    binding: Extract<TaskBinding, { kind: 'callback' }>,
    stateInput: JsonValue,
    slotToken: string | undefined,
    call: number,
  ): Promise<JsonValue> {
    const carried = run.takeCarried(binding.state);
    const token = carried?.token ?? slotToken ?? newTaskToken();
    // After a restart the Parameters evaluated a fresh token: the function must see the one its caller holds.
    const input = carried && slotToken ? replaceString(stateInput, slotToken, token) : stateInput;
    const { functionName, payload } = invokeParameters(binding.state, input);
    let timeoutAt = carried ? carried.timeoutAt : null;
    if (!carried) {
      await run.checkpointed(binding.state, call);
      const seconds = await callbackTimeout(binding, input);
      const createdAt = this.clock.now();
      timeoutAt = seconds === undefined ? null : new Date(createdAt.getTime() + seconds * 1000);
      await this.tokens.create({ token, executionId: run.executionId, stateName: binding.state, timeoutAt, createdAt });
    }
    if (this.stopping) return this.detached;
    run.openTokens.set(token, binding.state);
    try {
      const due = timeoutAt === null || timeoutAt.getTime() > this.clock.now().getTime();
      if ((!carried || carried.status === 'pending') && due) {
        try {
          await this.invoke(functionName, payload);
        } catch (err) {
          await this.tokens.abandon({ tokens: [token] }, 'the task function failed').catch(() => []);
          throw err;
        }
      }
      return await this.waiters.wait(token, timeoutAt);
    } finally {
      run.openTokens.delete(token);
    }
  }

  /** Calls a function as Lambda would: the result crosses as JSON, an exception becomes the task's error. */
  private invoke(functionName: string, payload: JsonValue): Promise<JsonValue> {
    const call = (async () => {
      try {
        return toJson(await this.options.invokeFunction(functionName, payload));
      } catch (err) {
        this.logger.warn({ functionName, err: err instanceof Error ? err.message : String(err) }, 'task function failed');
        throw lambdaError(err);
      }
    })();
    this.inflight.add(call);
    const forget = () => this.inflight.delete(call);
    call.then(forget, forget);
    return call;
  }

  private async checkpoint(run: ExecutionRun, state: string, input: JsonValue): Promise<void> {
    try {
      await this.executions.checkpoint(run.executionId, state, input, this.clock.now());
      // A token still open under another top-level state was orphaned (e.g. its Parallel branch was cancelled).
      const orphans = [...run.openTokens].filter(([, s]) => run.prepared.topLevelOf.get(s) !== state).map(([t]) => t);
      for (const token of await this.tokens.abandon({ tokens: orphans }, `the execution moved on to '${state}'`)) {
        this.waiters.wake(token);
      }
    } catch (err) {
      this.logger.error({ executionId: run.executionId, state, err: (err as Error).message }, 'checkpoint failed');
    }
  }

  private async settle(run: ExecutionRun, result: Promise<JsonValue>, recording: Promise<void>): Promise<void> {
    const executionId = run.executionId;
    let outcome: ExecutionOutcome | undefined;
    try {
      outcome = { status: 'SUCCEEDED', output: toJson(await result) };
    } catch (err) {
      outcome = outcomeOf(err);
    }
    await recording;
    try {
      if (!outcome) {
        this.logger.info({ executionId }, 'execution detached; it resumes at the next start');
        return;
      }
      await this.executions.finish(executionId, outcome);
      for (const token of await this.tokens.abandon({ executionId }, 'the execution ended')) this.waiters.wake(token);
      this.logger.info({ executionId, status: outcome.status }, 'execution finished');
    } catch (err) {
      this.logger.error({ executionId, err: (err as Error).message }, 'recording the end of an execution failed');
    } finally {
      this.runs.delete(executionId);
    }
  }

  private async resume(prepared: PreparedDefinition, row: ExecutionRow): Promise<boolean> {
    const now = this.clock.now();
    const end = async (outcome: ExecutionOutcome) => {
      await this.executions.finish(row.id, outcome);
      await this.tokens.abandon({ executionId: row.id }, 'the execution ended');
      this.logger.info({ executionId: row.id, status: outcome.status }, 'execution finished while the runtime was down');
      return false;
    };
    let timeoutSeconds: number | undefined;
    if (prepared.definition.TimeoutSeconds !== undefined) {
      const leftMs = row.startedAt.getTime() + prepared.definition.TimeoutSeconds * 1000 - now.getTime();
      if (leftMs <= 0) return end({ status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution ran longer than its TimeoutSeconds' });
      timeoutSeconds = leftMs / 1000;
    }
    const state = row.currentState ?? undefined;
    const stateDef = state === undefined ? undefined : prepared.states.get(state);
    if (state !== undefined && (!stateDef || prepared.topLevelOf.get(state) !== state)) {
      return end({ status: 'FAILED', error: 'States.Runtime', cause: `cannot resume: the definition has no top-level state '${state}'` });
    }
    const input = toJson(state === undefined ? row.input : row.currentInput);
    const enteredAt = row.stateEnteredAt ?? row.startedAt;
    await this.tokens.abandon({ executionId: row.id, before: enteredAt }, 'the execution had left that state');
    const carried = carryOver(prepared, await this.tokens.createdSince(row.id, enteredAt));
    const waitMs = stateDef ? await remainingWait(stateDef, input, enteredAt, now) : undefined;
    if (this.stopping) return false;
    this.logger.info({ executionId: row.id, state: state ?? prepared.definition.StartAt }, 'resuming execution');
    this.launch(prepared, row.id, row.name, input, { state, carried, waitMs, timeoutSeconds });
    return true;
  }
}

/** The execution status for a finished run; undefined when it was detached by stop(). */
function outcomeOf(err: unknown): ExecutionOutcome | undefined {
  if (err instanceof ExecutionAbortedError) return undefined;
  if (err instanceof ExecutionTimeoutError) {
    return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution ran longer than its TimeoutSeconds' };
  }
  if (err instanceof ExecutionError && err.cause instanceof Error) {
    return { status: 'FAILED', error: err.cause.name, cause: err.cause.message };
  }
  return { status: 'FAILED', error: 'States.Runtime', cause: err instanceof Error ? err.message : String(err) };
}

/**
 * Tokens a resumed run hands out again, by state. A top-level state keeps only its newest (earlier ones belong to
 * attempts already answered); a state inside a Map/Parallel keeps all, in creation order.
 */
function carryOver(prepared: PreparedDefinition, rows: TokenRow[]): TokenRow[] {
  const live = rows.filter((r) => !(r.status === 'failed' && r.error === ABANDONED));
  return live.filter((r, i) => prepared.topLevelOf.get(r.stateName) !== r.stateName || !live.slice(i + 1).some((later) => later.stateName === r.stateName));
}

/** What remains of a relative Wait (Seconds/SecondsPath) entered at `enteredAt`; Timestamp waits are absolute already. */
async function remainingWait(state: AnyState, input: JsonValue, enteredAt: Date, now: Date): Promise<number | undefined> {
  if (state.Type !== 'Wait') return undefined;
  let seconds = state.Seconds;
  if (seconds === undefined && state.SecondsPath !== undefined) {
    const effective = state.InputPath === undefined ? input : state.InputPath === null ? {} : ((await evaluatePath(state.InputPath, input)) ?? null);
    const value = await evaluatePath(state.SecondsPath, effective);
    seconds = typeof value === 'number' ? value : undefined;
  }
  if (seconds === undefined) return undefined;
  return Math.max(0, enteredAt.getTime() + seconds * 1000 - now.getTime());
}

async function callbackTimeout(binding: Extract<TaskBinding, { kind: 'callback' }>, input: JsonValue): Promise<number | undefined> {
  if (binding.timeoutSeconds !== undefined) return binding.timeoutSeconds;
  if (binding.timeoutSecondsPath === undefined) return undefined;
  const value = await evaluatePath(binding.timeoutSecondsPath, input).catch(() => undefined);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw taskError('States.Runtime', `state '${binding.state}': TimeoutSecondsPath must point to an integer >= 1`);
  }
  return value;
}

/** FunctionName and Payload of a `lambda:invoke` Task, read from its effective input (after Parameters). */
function invokeParameters(state: string, input: JsonValue): { functionName: string; payload: JsonValue } {
  const functionName = isJsonObject(input) ? input.FunctionName : undefined;
  if (typeof functionName !== 'string') throw taskError('States.Runtime', `state '${state}': Parameters.FunctionName is missing`);
  const payload = isJsonObject(input) && input.Payload !== undefined ? input.Payload : {};
  return { functionName: functionNameOf(functionName), payload };
}

function viewOf(row: ExecutionRow): WorkflowExecutionView {
  const status = STATUSES.find((s) => s === row.status);
  if (!status) throw new Error(`execution ${row.id} has an unknown status '${row.status}'`);
  return {
    executionId: row.id,
    stateMachine: row.stateMachine,
    status,
    ...(status === 'SUCCEEDED' ? { output: row.output } : {}),
    error: row.error,
    cause: row.cause,
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits for `promise`, but no longer than `ms`. */
async function atMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
