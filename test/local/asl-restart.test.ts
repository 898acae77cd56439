import { eq } from 'drizzle-orm';
import { LocalWorkflows } from '../../infra/local/asl-runner';
import type { DbHandle } from '../../shared/db/client';
import { taskToken, workflowExecution } from '../../shared/db/schema';
import type { Clock } from '../../shared/ports';
import { testDb } from '../support/db';
import { eventually, fixture, offsetClock, recordingLogger } from './helpers';

const APPROVAL = { RequestApprovalFnArn: 'requestApproval', ExecuteActionFnArn: 'executeAction', RecordOutcomeFnArn: 'recordOutcome' };
const FLOW = { EnrichFnArn: 'enrich', DoubleFnArn: 'double' };

/** Task functions shared by both "processes": what each was called with, per process. */
function functions() {
  const calls: { fn: string; payload: Record<string, unknown> }[] = [];
  const invokeFunction = async (fn: string, payload: unknown) => {
    const p = payload as Record<string, unknown>;
    calls.push({ fn, payload: p });
    switch (fn) {
      case 'requestApproval':
        return { sent: true };
      case 'executeAction':
        return { executed: p.actionId, by: p.approvedBy };
      case 'recordOutcome':
        return { recorded: p };
      case 'enrich':
        return { ...p, enriched: true };
      case 'double':
        return (p.value as number) * 2;
      default:
        throw new Error(`unknown function ${fn}`);
    }
  };
  return { invokeFunction, calls, called: (fn: string) => calls.filter((c) => c.fn === fn) };
}

describe('LocalWorkflows: an execution survives a restart', () => {
  let handle: DbHandle;
  const runners: LocalWorkflows[] = [];

  beforeAll(async () => {
    handle = await testDb();
  });
  afterAll(async () => {
    await Promise.all(runners.map((r) => r.stop(100)));
    await handle.close();
  });

  /** One "process": a runner over the shared database, with its own functions and log. */
  function processOn(clock: Clock, definitions: Record<string, string>) {
    const fns = functions();
    const log = recordingLogger();
    const workflows = new LocalWorkflows({ db: handle.db, clock, logger: log.logger, definitions, invokeFunction: fns.invokeFunction, tokenPollMs: 20 });
    runners.push(workflows);
    return { workflows, fns, log };
  }

  const approval = () => ({ approval: fixture('approval.asl.json', APPROVAL) });
  const pendingToken = (executionId: string) =>
    eventually(async () => {
      const [row] = await handle.db.select().from(taskToken).where(eq(taskToken.executionId, executionId));
      return row;
    }, 10_000, 'the task token row');

  it('keeps the original task token across a restart while waiting for it', async () => {
    const clock = offsetClock();
    const a = processOn(clock, approval());
    const { executionId } = await a.workflows.start('approval', { actionId: 'r1' }, { name: 'restart-r1' });
    const row = await pendingToken(executionId);
    await eventually(() => (a.fns.called('requestApproval').length ? true : undefined));
    const original = a.fns.called('requestApproval')[0].payload.taskToken;

    await a.workflows.stop(1_000);
    const [afterStop] = await handle.db.select().from(workflowExecution).where(eq(workflowExecution.id, executionId));
    const b = processOn(clock, approval());
    const resumed = await b.workflows.resumeAll();
    await b.workflows.sendTaskSuccess(row.token, { approvedBy: 'ada' });
    const view = await b.workflows.waitForExecution(executionId);

    expect(original).toBe(row.token);
    expect(afterStop).toMatchObject({ status: 'RUNNING', currentState: 'RequestApproval', currentInput: { actionId: 'r1' } });
    expect(resumed).toBe(1);
    // B asked again (task handlers are idempotent), with the token the approver already holds.
    expect(b.fns.called('requestApproval').map((c) => c.payload.taskToken)).toEqual([row.token]);
    expect(view.status).toBe('SUCCEEDED');
    expect(view.output).toEqual({ actionId: 'r1', decision: { approvedBy: 'ada' }, execution: { result: { executed: 'r1', by: 'ada' } } });
    expect(await handle.db.select().from(taskToken).where(eq(taskToken.executionId, executionId))).toHaveLength(1);
    expect(a.fns.called('executeAction')).toEqual([]);
    expect([...a.log.errors(), ...b.log.errors()]).toEqual([]);
  });

  it('takes the timeout path at resume when the token expired while the process was down', async () => {
    const clock = offsetClock();
    const a = processOn(clock, approval());
    const { executionId } = await a.workflows.start('approval', { actionId: 'r2' });
    const row = await pendingToken(executionId);
    await a.workflows.stop(1_000);

    clock.advance(3601 * 1000);
    const b = processOn(clock, approval());
    await b.workflows.resumeAll();
    const view = await b.workflows.waitForExecution(executionId);
    const late = b.workflows.sendTaskSuccess(row.token, { approvedBy: 'late' });

    expect(view.status).toBe('SUCCEEDED');
    expect(view.output).toEqual({ recorded: { actionId: 'r2', outcome: 'expired', error: 'States.Timeout' } });
    expect(b.fns.called('requestApproval')).toEqual([]);
    await expect(late).rejects.toMatchObject({ code: 'TaskTimedOut' });
  });

  it('waits only what remains of the token timeout after a restart', async () => {
    const clock = offsetClock();
    const a = processOn(clock, approval());
    const { executionId } = await a.workflows.start('approval', { actionId: 'r3' });
    await pendingToken(executionId);
    await a.workflows.stop(1_000);

    // 3600 s timeout, 3599.7 s of it spent while down: a resumed wait of the full hour would outlast the test.
    clock.advance(3599.7 * 1000);
    const b = processOn(clock, approval());
    await b.workflows.resumeAll();
    const view = await b.workflows.waitForExecution(executionId, 10_000);

    expect(view.output).toEqual({ recorded: { actionId: 'r3', outcome: 'expired', error: 'States.Timeout' } });
  });

  it('delivers an answer that arrived while no process was running the execution', async () => {
    const clock = offsetClock();
    const a = processOn(clock, approval());
    const { executionId } = await a.workflows.start('approval', { actionId: 'r4' });
    const row = await pendingToken(executionId);
    await a.workflows.stop(1_000);

    const b = processOn(clock, approval());
    await b.workflows.sendTaskFailure(row.token, 'Rejected', 'answered before the resume');
    await b.workflows.resumeAll();
    const view = await b.workflows.waitForExecution(executionId);

    expect(view.output).toEqual({ recorded: { actionId: 'r4', outcome: 'denied', reason: 'answered before the resume' } });
    expect(b.fns.called('requestApproval')).toEqual([]);
  });

  it('resumes a Wait state for only the time that remains', async () => {
    const clock = offsetClock();
    const a = processOn(clock, { flow: fixture('flow.asl.json', FLOW) });
    const { executionId } = await a.workflows.start('flow', { items: [1, 2], mode: 'full' });
    const checkpoint = await eventually(async () => {
      const [row] = await handle.db.select().from(workflowExecution).where(eq(workflowExecution.id, executionId));
      return row.currentState === 'Pause' ? row : undefined;
    }, 10_000, 'the Pause checkpoint');
    await a.workflows.stop(1_000);

    // The Wait is an hour long; all but 0.3 s of it passes while the process is down.
    clock.advance(3599.7 * 1000);
    const b = processOn(clock, { flow: fixture('flow.asl.json', FLOW) });
    await b.workflows.resumeAll();
    const view = await b.workflows.waitForExecution(executionId, 10_000);

    expect(checkpoint.currentInput).toEqual({ items: [1, 2], mode: 'full', count: 2, enriched: true });
    expect(view.status).toBe('SUCCEEDED');
    expect(view.output).toMatchObject({ doubled: [2, 4], summary: [{ n: 2 }, { first: 2 }] });
    expect(a.fns.called('double')).toEqual([]);
    expect(b.fns.called('enrich')).toEqual([]);
  });

  /** A runner whose executeAction blocks until the test releases it. */
  function blockingProcess(clock: Clock) {
    const fns = functions();
    const gate = { started: false, release: () => {} };
    const workflows = new LocalWorkflows({
      db: handle.db,
      clock,
      logger: recordingLogger().logger,
      definitions: approval(),
      invokeFunction: async (fn, payload) => {
        if (fn === 'executeAction') {
          gate.started = true;
          await new Promise<void>((resolve) => (gate.release = resolve));
        }
        return fns.invokeFunction(fn, payload);
      },
      tokenPollMs: 20,
    });
    runners.push(workflows);
    return { workflows, fns, gate };
  }

  it('lets a task function that is running finish within the grace period of stop()', async () => {
    const a = blockingProcess(offsetClock());
    const { executionId } = await a.workflows.start('approval', { actionId: 'r5' });
    await a.workflows.sendTaskSuccess((await pendingToken(executionId)).token, { approvedBy: 'ada' });
    await eventually(() => (a.gate.started ? true : undefined), 10_000, 'executeAction to start');

    const stopping = a.workflows.stop(10_000);
    a.gate.release();
    await stopping;
    const view = await a.workflows.describe(executionId);

    expect(view?.status).toBe('SUCCEEDED');
    expect(view?.output).toMatchObject({ execution: { result: { executed: 'r5', by: 'ada' } } });
  });

  it('leaves an execution whose task outlasts the grace period RUNNING at that task, and runs the task again on resume', async () => {
    const clock = offsetClock();
    const a = blockingProcess(clock);
    const { executionId } = await a.workflows.start('approval', { actionId: 'r6' });
    await a.workflows.sendTaskSuccess((await pendingToken(executionId)).token, { approvedBy: 'ada' });
    await eventually(() => (a.gate.started ? true : undefined), 10_000, 'executeAction to start');

    await a.workflows.stop(50);
    const [row] = await handle.db.select().from(workflowExecution).where(eq(workflowExecution.id, executionId));
    a.gate.release();
    const b = processOn(clock, approval());
    await b.workflows.resumeAll();
    const view = await b.workflows.waitForExecution(executionId);

    expect(row).toMatchObject({ status: 'RUNNING', currentState: 'Execute', currentInput: { actionId: 'r6', decision: { approvedBy: 'ada' } } });
    expect(b.fns.called('requestApproval').filter((c) => c.payload.actionId === 'r6')).toEqual([]);
    expect(b.fns.called('executeAction').filter((c) => c.payload.actionId === 'r6')).toHaveLength(1);
    expect(view.status).toBe('SUCCEEDED');
  });
});
