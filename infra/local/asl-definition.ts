import validateAsl from 'asl-validator';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { functionNameOf, isLambdaFunctionArn } from './local-arn';

/** setTimeout's longest delay, in whole seconds: longer timers fire at once, so no timeout may exceed it. */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
export const LAMBDA_INVOKE_CALLBACK = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** How a Task state is run locally. */
export type TaskBinding =
  /** `lambda:invoke`: FunctionName and Payload come from the state's Parameters; the result is wrapped in `{Payload}`. */
  | { kind: 'invoke'; state: string }
  /** `lambda:invoke.waitForTaskToken`: invoke, then wait for the token; the runner enforces the timeout itself. */
  | { kind: 'callback'; state: string; timeoutSeconds?: number; timeoutSecondsPath?: string }
  /** A plain Lambda ARN as Resource: the state's input is the event and the raw result the output. */
  | { kind: 'function'; state: string; functionName: string };

export interface PreparedDefinition {
  name: string;
  /** The definition with timeouts patched for the library (see prepareDefinition). */
  definition: StateMachineDefinition;
  /** Every Task state by name, nested ones included (state names are unique across a definition). */
  tasks: Map<string, TaskBinding>;
  /** For every state, the top-level state it runs under (a top-level state maps to itself). */
  topLevelOf: Map<string, string>;
  /** Every state of the patched definition by name, nested ones included. */
  states: Map<string, AnyState>;
}

/**
 * Parses, validates and adapts one substituted ASL definition for aws-local-stepfunctions:
 * - rejects what the library would silently ignore (JSONata, variables, Distributed Map, heartbeats),
 * - classifies every Task state (nested Map/Parallel states included) into a TaskBinding,
 * - gives Tasks without TimeoutSeconds the longest timer instead of the library's 60 s default (AWS has none), and
 *   hands callback timeouts to the runner, which must be able to resume them with the time that remains.
 */
export function prepareDefinition(name: string, asl: string): PreparedDefinition {
  const fail = (problem: string): never => {
    throw new Error(`state machine '${name}': ${problem}`);
  };
  const placeholder = /\$\{[^}]*\}/.exec(asl);
  if (placeholder) fail(`placeholder ${placeholder[0]} was not substituted`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(asl);
  } catch (err) {
    fail(`not JSON (${(err as Error).message})`);
  }
  const result = validateAsl(parsed, { checkArn: true, checkPaths: true });
  if (!result.isValid) fail(`invalid ASL: ${result.errorsText('; ')}`);
  if (!isDefinition(parsed)) return fail('invalid ASL: no States/StartAt');

  rejectUnsupported(parsed, 'the definition', fail);

  // A fresh parse, not structuredClone: the library tests `getPrototypeOf(x) === Object.prototype`, which fails for
  // objects cloned across realms (Jest's vm context).
  const definition: unknown = JSON.parse(asl);
  if (!isDefinition(definition)) return fail('invalid ASL: no States/StartAt');
  const tasks = new Map<string, TaskBinding>();
  const topLevelOf = new Map<string, string>();
  const states = new Map<string, AnyState>();
  if (definition.TimeoutSeconds !== undefined && definition.TimeoutSeconds > MAX_TIMER_SECONDS) {
    definition.TimeoutSeconds = MAX_TIMER_SECONDS;
  }
  for (const [top, state] of Object.entries(definition.States)) {
    walk(top, state, (stateName, nested) => {
      topLevelOf.set(stateName, top);
      states.set(stateName, nested);
      if (nested.Type === 'Task') tasks.set(stateName, bindTask(stateName, nested, fail));
      // The library sleeps with one setTimeout, which fires at once past its maximum.
      if (nested.Type === 'Wait' && (nested.Seconds ?? 0) > MAX_TIMER_SECONDS) {
        fail(`state '${stateName}': a Wait longer than ${MAX_TIMER_SECONDS} s is not supported locally`);
      }
    });
  }
  return { name, definition, tasks, topLevelOf, states };
}

export type AnyState = StateMachineDefinition['States'][string];

/** Calls `visit` for a state and every state nested in it (Map processors, Parallel branches). */
function walk(stateName: string, state: AnyState, visit: (name: string, state: AnyState) => void): void {
  visit(stateName, state);
  const nestedMachines =
    state.Type === 'Map' ? [state.ItemProcessor ?? state.Iterator] : state.Type === 'Parallel' ? state.Branches : [];
  for (const machine of nestedMachines) {
    for (const [nestedName, nested] of Object.entries(machine?.States ?? {})) walk(nestedName, nested, visit);
  }
}

/** Classifies a Task's resource and patches its timeout in place (the state belongs to the cloned definition). */
function bindTask(stateName: string, state: AnyState, fail: (problem: string) => never): TaskBinding {
  if (state.Type !== 'Task') return fail(`state '${stateName}' is not a Task`);
  let binding: TaskBinding;
  if (state.Resource === LAMBDA_INVOKE) {
    binding = { kind: 'invoke', state: stateName };
  } else if (state.Resource === LAMBDA_INVOKE_CALLBACK) {
    binding = {
      kind: 'callback',
      state: stateName,
      timeoutSeconds: state.TimeoutSeconds,
      timeoutSecondsPath: state.TimeoutSecondsPath,
    };
    delete state.TimeoutSecondsPath;
    state.TimeoutSeconds = MAX_TIMER_SECONDS;
    return binding;
  } else if (isLambdaFunctionArn(state.Resource)) {
    binding = { kind: 'function', state: stateName, functionName: functionNameOf(state.Resource) };
  } else {
    return fail(
      `state '${stateName}': resource '${state.Resource}' is not supported locally ` +
        `(use ${LAMBDA_INVOKE}, ${LAMBDA_INVOKE_CALLBACK} or a Lambda function ARN)`,
    );
  }
  if (state.TimeoutSecondsPath === undefined && (state.TimeoutSeconds === undefined || state.TimeoutSeconds > MAX_TIMER_SECONDS)) {
    state.TimeoutSeconds = MAX_TIMER_SECONDS;
  }
  return binding;
}

/** Fields the library ignores without a word: a definition using them would behave differently here than on AWS. */
const UNSUPPORTED_FIELDS: Record<string, string> = {
  QueryLanguage: 'JSONata is not supported locally; write the state in JSONPath',
  Assign: 'variables (Assign) are not supported locally',
  Arguments: 'Arguments is JSONata; use Parameters',
  Output: 'Output is JSONata; use ResultSelector/ResultPath/OutputPath',
  ItemReader: 'Distributed Map (ItemReader) is not supported locally',
  ItemBatcher: 'Distributed Map (ItemBatcher) is not supported locally',
  ResultWriter: 'Distributed Map (ResultWriter) is not supported locally',
  ToleratedFailurePercentage: 'Distributed Map (ToleratedFailurePercentage) is not supported locally',
  ToleratedFailureCount: 'Distributed Map (ToleratedFailureCount) is not supported locally',
  HeartbeatSeconds: 'HeartbeatSeconds is not supported locally (there is no SendTaskHeartbeat)',
  HeartbeatSecondsPath: 'HeartbeatSecondsPath is not supported locally (there is no SendTaskHeartbeat)',
  Credentials: 'cross-account Credentials are not supported locally',
};

function rejectUnsupported(node: unknown, where: string, fail: (problem: string) => never): void {
  if (!isRecord(node)) return;
  for (const [field, why] of Object.entries(UNSUPPORTED_FIELDS)) {
    if (field === 'QueryLanguage' && node[field] === 'JSONPath') continue;
    if (field in node) fail(`${where}: ${why}`);
  }
  const processor = node.ItemProcessor;
  if (isRecord(processor) && isRecord(processor.ProcessorConfig) && processor.ProcessorConfig.Mode === 'DISTRIBUTED') {
    fail(`${where}: Distributed Map is not supported locally`);
  }
  for (const key of ['States', 'ItemProcessor', 'Iterator'] as const) {
    const child = node[key];
    if (!isRecord(child)) continue;
    if (key === 'States') for (const [n, s] of Object.entries(child)) rejectUnsupported(s, `state '${n}'`, fail);
    else rejectUnsupported(child, where, fail);
  }
  if (Array.isArray(node.Branches)) for (const branch of node.Branches) rejectUnsupported(branch, where, fail);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** asl-validator has accepted the document; this narrows it to the library's type. */
function isDefinition(value: unknown): value is StateMachineDefinition {
  return isRecord(value) && typeof value.StartAt === 'string' && isRecord(value.States);
}
