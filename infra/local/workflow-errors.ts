/** Errors of the local runner, named like the Step Functions API errors callers already handle on AWS. */

export class ExecutionAlreadyExistsError extends Error {
  constructor(readonly executionId: string) {
    super(`Execution already exists: '${executionId}' (a name is used once; the same input is accepted only while it runs)`);
    this.name = 'ExecutionAlreadyExists';
  }
}

export class StateMachineDoesNotExistError extends Error {
  constructor(stateMachine: string) {
    super(`State machine does not exist: '${stateMachine}'`);
    this.name = 'StateMachineDoesNotExist';
  }
}

export class InvalidExecutionNameError extends Error {
  constructor(name: string) {
    super(`Invalid execution name '${name}': 1-80 characters, no whitespace, brackets, wildcards or punctuation like :/\\|`);
    this.name = 'InvalidName';
  }
}

export class RunnerStoppingError extends Error {
  constructor() {
    super('the workflow runner is stopping: no new executions');
    this.name = 'RunnerStopping';
  }
}

/**
 * Settles the tasks of executions that stop() detached, so the library clears its task timers: it is neither retried
 * nor caught (the library reads these two flags), and the execution's result has already settled as aborted.
 */
export class RunnerDetachedError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor() {
    super('the workflow runner stopped; the execution resumes at the next start');
    this.name = 'Runner.Detached';
  }
}

/** A task failure as the library matches it in Retry/Catch: `name` is the error, `message` the cause. */
export function taskError(error: string, cause: string): Error {
  const err = new Error(cause);
  err.name = error;
  return err;
}

/** A function's exception as Step Functions reports a Lambda error: its type as the error, a JSON cause. */
export function lambdaError(thrown: unknown): Error {
  const errorType = thrown instanceof Error && thrown.name ? thrown.name : 'Error';
  const errorMessage = thrown instanceof Error ? thrown.message : String(thrown);
  return taskError(errorType, JSON.stringify({ errorMessage, errorType }));
}
