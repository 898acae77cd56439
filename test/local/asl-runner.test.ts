import { eq } from 'drizzle-orm';
import { LocalWorkflows } from '../../infra/local/asl-runner';
import { MAX_TIMER_SECONDS, prepareDefinition } from '../../infra/local/asl-definition';
import type { DbHandle } from '../../shared/db/client';
import { workflowExecution } from '../../shared/db/schema';
import { testDb } from '../support/db';
import { eventually, fixture, recordingLogger } from './helpers';

const FLOW = { EnrichFnArn: 'enrich', DoubleFnArn: 'double' };

describe('LocalWorkflows: control flow', () => {
  let handle: DbHandle;
  const runners: LocalWorkflows[] = [];

  beforeAll(async () => {
    handle = await testDb();
  });
  afterAll(async () => {
    await Promise.all(runners.map((r) => r.stop(100)));
    await handle.close();
  });

  /** A runner over flow.asl.json whose `enrich` fails as `enrichFailures` says, in order, then succeeds. */
  function flowRunner(enrichFailures: string[] = []) {
    const calls: { fn: string; payload: unknown }[] = [];
    const failures = [...enrichFailures];
    const log = recordingLogger();
    const workflows = new LocalWorkflows({
      db: handle.db,
      logger: log.logger,
      definitions: { flow: fixture('flow.asl.json', FLOW) },
      invokeFunction: async (fn, payload) => {
        calls.push({ fn, payload });
        if (fn === 'enrich') {
          const failure = failures.shift();
          if (failure) throw Object.assign(new Error(`enrich failed: ${failure}`), { name: failure });
          return { ...(payload as object), enriched: true };
        }
        if (fn === 'double') return (payload as { value: number }).value * 2;
        throw new Error(`unknown function ${fn}`);
      },
      overrides: { retryIntervalMs: 1, waitMs: 1 },
    });
    runners.push(workflows);
    return { workflows, calls, log, called: (fn: string) => calls.filter((c) => c.fn === fn) };
  }

  it('runs Pass, Choice, a retried Task, Wait, Map and Parallel through to Succeed', async () => {
    const { workflows, called, log } = flowRunner(['Transient', 'Transient']);

    const { executionId } = await workflows.start('flow', { items: [1, 2, 3], mode: 'full' });
    const view = await workflows.waitForExecution(executionId);

    expect(view.status).toBe('SUCCEEDED');
    expect(view.output).toEqual({
      items: [1, 2, 3],
      mode: 'full',
      count: 3,
      enriched: true,
      doubled: [2, 4, 6],
      summary: [{ n: 3 }, { first: 2 }],
    });
    expect(called('enrich')).toHaveLength(3);
    expect(called('enrich')[0].payload).toEqual({ items: [1, 2, 3], mode: 'full', count: 3 });
    expect(called('double').map((c) => c.payload)).toEqual([
      { value: 1, index: 0 },
      { value: 2, index: 1 },
      { value: 3, index: 2 },
    ]);
    expect(log.errors()).toEqual([]);
  });

  it('follows a Choice rule past the states it skips', async () => {
    const { workflows, calls } = flowRunner();

    const { executionId } = await workflows.start('flow', { items: [], mode: 'skip' });
    const view = await workflows.waitForExecution(executionId);

    expect(view).toMatchObject({ status: 'SUCCEEDED', output: { items: [], mode: 'skip', count: 0 } });
    expect(calls).toEqual([]);
  });

  it('catches an error Retry does not cover and fails with the Fail state’s error and the Lambda cause', async () => {
    const { workflows, called } = flowRunner(['Boom']);

    const { executionId } = await workflows.start('flow', { items: [1], mode: 'full' });
    const view = await workflows.waitForExecution(executionId);

    expect(called('enrich')).toHaveLength(1);
    expect(view.status).toBe('FAILED');
    expect(view.error).toBe('EnrichFailed');
    expect(JSON.parse(view.cause ?? '')).toEqual({ errorType: 'Boom', errorMessage: 'enrich failed: Boom' });
  });

  it('gives up after MaxAttempts retries and takes the Catch', async () => {
    const { workflows, called } = flowRunner(['Transient', 'Transient', 'Transient', 'Transient', 'Transient']);

    const { executionId } = await workflows.start('flow', { items: [1], mode: 'full' });
    const view = await workflows.waitForExecution(executionId);

    expect(called('enrich')).toHaveLength(4);
    expect(view).toMatchObject({ status: 'FAILED', error: 'EnrichFailed' });
    expect(JSON.parse(view.cause ?? '').errorType).toBe('Transient');
  });

  it('records the top-level state an execution is in', async () => {
    let release: () => void = () => {};
    const workflows = new LocalWorkflows({
      db: handle.db,
      logger: recordingLogger().logger,
      definitions: { flow: fixture('flow.asl.json', FLOW) },
      invokeFunction: async (fn, payload) => {
        if (fn === 'enrich') await new Promise<void>((resolve) => (release = resolve));
        return fn === 'double' ? 0 : payload;
      },
    });
    runners.push(workflows);

    const { executionId } = await workflows.start('flow', { items: [5], mode: 'full' }, { name: 'checkpointed' });
    const row = await waitForCheckpoint(handle, executionId, 'Enrich');
    release();

    expect(row.currentInput).toEqual({ items: [5], mode: 'full', count: 1 });
    expect(row.stateEnteredAt).toBeInstanceOf(Date);
  });

  describe('start', () => {
    it('is idempotent on the name while the execution runs, and refuses the name with another input', async () => {
      const workflows = new LocalWorkflows({
        db: handle.db,
        logger: recordingLogger().logger,
        definitions: { flow: fixture('flow.asl.json', FLOW) },
        invokeFunction: () => new Promise(() => {}),
      });
      runners.push(workflows);

      const first = await workflows.start('flow', { mode: 'full', items: [1] }, { name: 'once' });
      const again = await workflows.start('flow', { items: [1], mode: 'full' }, { name: 'once' });
      const other = await workflows.start('flow', { items: [2], mode: 'full' }, { name: 'once' }).catch((e: unknown) => e);

      expect(again.executionId).toBe(first.executionId);
      expect(first.executionId).toBe('arn:aws:states:local:000000000000:execution:flow:once');
      expect(other).toMatchObject({ name: 'ExecutionAlreadyExists', executionId: first.executionId });
    });

    it('refuses a finished execution’s name even with the same input, as Step Functions does', async () => {
      const { workflows } = flowRunner();
      const { executionId } = await workflows.start('flow', { items: [], mode: 'skip' }, { name: 'done-once' });
      await workflows.waitForExecution(executionId);

      await expect(workflows.start('flow', { items: [], mode: 'skip' }, { name: 'done-once' })).rejects.toMatchObject({
        name: 'ExecutionAlreadyExists',
      });
    });

    it('refuses unknown state machines and invalid names, and describes unknown executions as null', async () => {
      const { workflows } = flowRunner();

      await expect(workflows.start('nope', {})).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
      await expect(workflows.start('flow', {}, { name: 'has space' })).rejects.toMatchObject({ name: 'InvalidName' });
      await expect(workflows.start('flow', {}, { name: 'x'.repeat(81) })).rejects.toMatchObject({ name: 'InvalidName' });
      expect(await workflows.describe('arn:aws:states:local:000000000000:execution:flow:never')).toBeNull();
    });

    it('refuses new executions once stopping', async () => {
      const { workflows } = flowRunner();
      await workflows.stop(10);

      await expect(workflows.start('flow', { items: [], mode: 'skip' })).rejects.toMatchObject({ name: 'RunnerStopping' });
    });
  });
});

describe('prepareDefinition', () => {
  const fn = 'arn:aws:lambda:local:000000000000:function:f';
  const task = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({ StartAt: 'T', States: { T: { Type: 'Task', Resource: fn, End: true, ...extra } } });

  it('rejects invalid ASL with the validator’s explanation', () => {
    const broken = JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Missing' } } });
    expect(() => prepareDefinition('broken', broken)).toThrow(/state machine 'broken': invalid ASL: .*MISSING_TRANSITION_TARGET/);
  });

  it('rejects placeholders left unsubstituted, and text that is not JSON', () => {
    expect(() => prepareDefinition('p', task().replace(fn, '${WorkerFnArn}'))).toThrow(/placeholder \$\{WorkerFnArn\} was not substituted/);
    expect(() => prepareDefinition('j', '{"StartAt":')).toThrow(/state machine 'j': not JSON/);
  });

  it('rejects resources it cannot run and features the library would silently ignore', () => {
    const longWait = JSON.stringify({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 30 * 86_400, End: true } } });
    expect(() => prepareDefinition('w', longWait)).toThrow(/state 'W': a Wait longer than 2147483 s is not supported locally/);
    const sqs = task().replace(fn, 'arn:aws:states:::sqs:sendMessage');
    expect(() => prepareDefinition('s', sqs)).toThrow(/state 'T': resource 'arn:aws:states:::sqs:sendMessage' is not supported locally/);
    expect(() => prepareDefinition('h', task({ HeartbeatSeconds: 30 }))).toThrow(/HeartbeatSeconds is not supported locally/);
    const jsonata = JSON.stringify({ QueryLanguage: 'JSONata', StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    expect(() => prepareDefinition('q', jsonata)).toThrow(/JSONata is not supported locally/);
  });

  it('replaces the library’s 60 s default task timeout with the longest timer, and caps longer ones', () => {
    const none = prepareDefinition('n', task()).definition.States.T;
    const long = prepareDefinition('l', task({ TimeoutSeconds: 31_536_000 })).definition.States.T;
    const short = prepareDefinition('s', task({ TimeoutSeconds: 5 })).definition.States.T;

    expect(none).toMatchObject({ TimeoutSeconds: MAX_TIMER_SECONDS });
    expect(long).toMatchObject({ TimeoutSeconds: MAX_TIMER_SECONDS });
    expect(short).toMatchObject({ TimeoutSeconds: 5 });
    expect(MAX_TIMER_SECONDS * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  it('binds tasks nested in Map and Parallel states and keeps callback timeouts for the runner', () => {
    const prepared = prepareDefinition('approval', fixture('approval.asl.json', { RequestApprovalFnArn: 'ask', ExecuteActionFnArn: 'run', RecordOutcomeFnArn: 'record' }));
    const flow = prepareDefinition('flow', fixture('flow.asl.json', FLOW));

    expect(prepared.tasks.get('RequestApproval')).toEqual({ kind: 'callback', state: 'RequestApproval', timeoutSeconds: 3600 });
    expect(prepared.definition.States.RequestApproval).toMatchObject({ TimeoutSeconds: MAX_TIMER_SECONDS });
    expect(prepared.tasks.get('RecordDenied')).toEqual({ kind: 'function', state: 'RecordDenied', functionName: 'record' });
    expect(flow.tasks.get('Double')).toEqual({ kind: 'function', state: 'Double', functionName: 'double' });
    expect(flow.topLevelOf.get('Double')).toBe('ProcessItems');
    expect(flow.topLevelOf.get('Count')).toBe('Summarize');
  });
});

function waitForCheckpoint(handle: DbHandle, executionId: string, state: string) {
  return eventually(async () => {
    const [row] = await handle.db.select().from(workflowExecution).where(eq(workflowExecution.id, executionId));
    return row?.currentState === state ? row : undefined;
  }, 10_000, `checkpoint at ${state}`);
}
