import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { isJsonObject, type JsonValue } from './json-value';

/**
 * What aws-local-stepfunctions knows but does not export, obtained by running tiny machines through it, so the
 * runner evaluates paths and raises timeouts exactly as the library itself does.
 */

const UNVALIDATED = { validationOptions: { noValidate: true } } as const;

/** The value of a JSONPath (`$.a.b`, `$.items[0]`) in `input`, as the library would read it. */
export async function evaluatePath(path: string, input: JsonValue): Promise<JsonValue | undefined> {
  const probe: StateMachineDefinition = {
    StartAt: 'Probe',
    States: { Probe: { Type: 'Pass', Parameters: { 'value.$': path }, End: true } },
  };
  const output = await new StateMachine(probe, UNVALIDATED).run(input).result;
  return isJsonObject(output) ? output.value : undefined;
}

let timeoutErrorClass: Promise<new () => Error> | undefined;

/**
 * A `States.Timeout` error of the library's own class: Retry/Catch on `States.TaskFailed` skip only instances of that
 * class, so a timeout the runner raises itself must be one.
 */
export async function statesTimeoutError(): Promise<Error> {
  timeoutErrorClass ??= captureTimeoutErrorClass();
  const ErrorClass = await timeoutErrorClass;
  return new ErrorClass();
}

async function captureTimeoutErrorClass(): Promise<new () => Error> {
  const probe: StateMachineDefinition = {
    StartAt: 'Probe',
    States: {
      Probe: { Type: 'Task', Resource: 'arn:aws:lambda:local:000000000000:function:probe', TimeoutSeconds: 0.001, End: true },
    },
  };
  const never = () => new Promise<JsonValue>(() => {});
  try {
    await new StateMachine(probe, UNVALIDATED).run(null, { overrides: { taskResourceLocalHandlers: { Probe: never } } }).result;
  } catch (err) {
    const cause = err instanceof ExecutionError ? err.cause : undefined;
    if (cause instanceof Error && cause.name === 'States.Timeout') {
      const ErrorClass: new () => Error = Object.getPrototypeOf(cause).constructor;
      return ErrorClass;
    }
  }
  throw new Error('aws-local-stepfunctions did not raise States.Timeout as expected');
}
