import { eq } from 'drizzle-orm';
import { LocalWorkflows } from '../../infra/local/asl-runner';
import type { DbHandle } from '../../shared/db/client';
import { taskToken, workflowExecution } from '../../shared/db/schema';
import { TaskTokenError } from '../../shared/ports';
import { testDb } from '../support/db';
import { eventually, fixture, recordingLogger } from './helpers';

const FUNCTIONS = { RequestApprovalFnArn: 'requestApproval', ExecuteActionFnArn: 'executeAction', RecordOutcomeFnArn: 'recordOutcome' };

/** Fake task functions: the approval request hands its token to the test, as a Slack message would to a person. */
function approvalFunctions() {
  const requests: { actionId: string; taskToken: string }[] = [];
  const calls: { fn: string; payload: unknown }[] = [];
  const invokeFunction = async (fn: string, payload: unknown) => {
    calls.push({ fn, payload });
    if (fn === 'requestApproval') {
      const p = payload as { actionId: string; taskToken: string };
      requests.push(p);
      return { sent: true };
    }
    if (fn === 'executeAction') return { executed: (payload as { actionId: string }).actionId };
    if (fn === 'recordOutcome') return { recorded: payload };
    throw new Error(`unknown function ${fn}`);
  };
  const tokenFor = (actionId: string) => eventually(() => requests.find((r) => r.actionId === actionId)?.taskToken, 10_000, `approval request for ${actionId}`);
  return { invokeFunction, requests, calls, tokenFor };
}

describe('LocalWorkflows: callback tasks (waitForTaskToken)', () => {
  let handle: DbHandle;
  const runners: LocalWorkflows[] = [];

  beforeAll(async () => {
    handle = await testDb();
  });
  afterAll(async () => {
    await Promise.all(runners.map((r) => r.stop(100)));
    await handle.close();
  });

  function runner(fns: ReturnType<typeof approvalFunctions>, patch?: Parameters<typeof fixture>[2]) {
    const log = recordingLogger();
    const workflows = new LocalWorkflows({
      db: handle.db,
      logger: log.logger,
      definitions: { approval: fixture('approval.asl.json', FUNCTIONS, patch) },
      invokeFunction: fns.invokeFunction,
      tokenPollMs: 20,
    });
    runners.push(workflows);
    return { workflows, log };
  }

  it('persists the token before invoking the task, then continues with the output sent for it', async () => {
    const fns = approvalFunctions();
    const seenAtInvoke: (string | undefined)[] = [];
    const invokeFunction = fns.invokeFunction;
    fns.invokeFunction = async (fn, payload) => {
      if (fn === 'requestApproval') {
        const [row] = await handle.db.select().from(taskToken).where(eq(taskToken.token, (payload as { taskToken: string }).taskToken));
        seenAtInvoke.push(row?.status);
      }
      return invokeFunction(fn, payload);
    };
    const { workflows, log } = runner(fns);

    const { executionId } = await workflows.start('approval', { actionId: 'a1' }, { name: 'approve-a1' });
    const token = await fns.tokenFor('a1');
    const [row] = await handle.db.select().from(taskToken).where(eq(taskToken.token, token));
    const [execution] = await handle.db.select().from(workflowExecution).where(eq(workflowExecution.id, executionId));
    await workflows.sendTaskSuccess(token, { approvedBy: 'ada' });
    const view = await workflows.waitForExecution(executionId);

    expect(seenAtInvoke).toEqual(['pending']);
    expect(row).toMatchObject({ executionId, stateName: 'RequestApproval', status: 'pending' });
    expect(row.timeoutAt!.getTime() - row.createdAt.getTime()).toBe(3600 * 1000);
    expect(execution).toMatchObject({ status: 'RUNNING', currentState: 'RequestApproval', currentInput: { actionId: 'a1' } });
    expect(view).toMatchObject({ status: 'SUCCEEDED', stateMachine: 'approval' });
    expect(view.output).toEqual({
      actionId: 'a1',
      decision: { approvedBy: 'ada' },
      execution: { result: { executed: 'a1' } },
    });
    expect(fns.calls.find((c) => c.fn === 'executeAction')?.payload).toEqual({ actionId: 'a1', approvedBy: 'ada' });
    const [answered] = await handle.db.select().from(taskToken).where(eq(taskToken.token, token));
    expect(answered.status).toBe('succeeded');
    expect(log.errors()).toEqual([]);
  });

  it('routes a failure sent for the token to the Catch on its error name', async () => {
    const fns = approvalFunctions();
    const { workflows } = runner(fns);

    const { executionId } = await workflows.start('approval', { actionId: 'a2' });
    await workflows.sendTaskFailure(await fns.tokenFor('a2'), 'Rejected', 'not during the freeze');
    const view = await workflows.waitForExecution(executionId);

    expect(view.status).toBe('SUCCEEDED');
    expect(view.output).toEqual({ recorded: { actionId: 'a2', outcome: 'denied', reason: 'not during the freeze' } });
    expect(fns.calls.some((c) => c.fn === 'executeAction')).toBe(false);
  });

  it('fails the execution with the sent error when no Catch matches it', async () => {
    const fns = approvalFunctions();
    const { workflows } = runner(fns);

    const { executionId } = await workflows.start('approval', { actionId: 'a3' });
    await workflows.sendTaskFailure(await fns.tokenFor('a3'), 'Broken', 'the approver service is down');
    const view = await workflows.waitForExecution(executionId);

    expect(view).toMatchObject({ status: 'FAILED', error: 'Broken', cause: 'the approver service is down' });
  });

  it('times out after TimeoutSeconds with a States.Timeout that States.TaskFailed does not catch, and refuses a late answer', async () => {
    const fns = approvalFunctions();
    const { workflows } = runner(fns, (d) => {
      const state = d.States.RequestApproval;
      state.TimeoutSeconds = 1;
      // As on AWS, States.TaskFailed matches every task error except a timeout: the second catcher must get it.
      state.Catch = [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'RecordDenied' }, ...(state.Catch as object[])];
    });

    const { executionId } = await workflows.start('approval', { actionId: 'a4' });
    const token = await fns.tokenFor('a4');
    const view = await workflows.waitForExecution(executionId);
    const late = workflows.sendTaskSuccess(token, { approvedBy: 'too-late' });

    expect(view.status).toBe('SUCCEEDED');
    expect(view.output).toEqual({ recorded: { actionId: 'a4', outcome: 'expired', error: 'States.Timeout' } });
    await expect(late).rejects.toMatchObject({ name: 'TaskTimedOut', code: 'TaskTimedOut' });
    const [row] = await handle.db.select().from(taskToken).where(eq(taskToken.token, token));
    expect(row.status).toBe('timed_out');
  });

  it('times the whole execution out after the definition’s TimeoutSeconds and retires its open token', async () => {
    const fns = approvalFunctions();
    const log = recordingLogger();
    const definition = JSON.parse(fixture('approval.asl.json', FUNCTIONS));
    definition.TimeoutSeconds = 1;
    const workflows = new LocalWorkflows({ db: handle.db, logger: log.logger, definitions: { approval: JSON.stringify(definition) }, invokeFunction: fns.invokeFunction, tokenPollMs: 20 });
    runners.push(workflows);

    const { executionId } = await workflows.start('approval', { actionId: 'a7' });
    const token = await fns.tokenFor('a7');
    const view = await workflows.waitForExecution(executionId);
    const late = await workflows.sendTaskSuccess(token, {}).catch((e: unknown) => e);

    expect(view).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(late).toMatchObject({ code: 'TaskDoesNotExist' });
    expect(fns.calls.some((c) => c.fn === 'recordOutcome')).toBe(false);
  });

  it('is answered by another instance on the same database (found by the poll)', async () => {
    const fns = approvalFunctions();
    const { workflows } = runner(fns);
    const other = runner(approvalFunctions()).workflows;

    const { executionId } = await workflows.start('approval', { actionId: 'a5' });
    await other.sendTaskSuccess(await fns.tokenFor('a5'), { approvedBy: 'grace' });
    const view = await workflows.waitForExecution(executionId);

    expect(view.status).toBe('SUCCEEDED');
    expect((view.output as { decision: unknown }).decision).toEqual({ approvedBy: 'grace' });
  });

  it('refuses unknown and already used tokens with TaskTokenError', async () => {
    const fns = approvalFunctions();
    const { workflows } = runner(fns);

    const { executionId } = await workflows.start('approval', { actionId: 'a6' });
    const token = await fns.tokenFor('a6');
    await workflows.sendTaskSuccess(token, { approvedBy: 'ada' });
    await workflows.waitForExecution(executionId);

    const unknown = await workflows.sendTaskSuccess('no-such-token', {}).catch((e: unknown) => e);
    const reused = await workflows.sendTaskFailure(token, 'Rejected').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(TaskTokenError);
    expect(unknown).toMatchObject({ code: 'InvalidToken' });
    expect(reused).toBeInstanceOf(TaskTokenError);
    expect(reused).toMatchObject({ code: 'TaskTimedOut' });
  });

  it('gives each Map iteration its own token, the same wherever $$.Task.Token appears in its Parameters', async () => {
    const asked: { reviewer: string; token: string; sameToken: string }[] = [];
    const log = recordingLogger();
    const workflows = new LocalWorkflows({
      db: handle.db,
      logger: log.logger,
      definitions: { review: fixture('map-callbacks.asl.json', { AskFnArn: 'ask' }) },
      invokeFunction: async (_fn, payload) => void asked.push(payload as (typeof asked)[number]),
      tokenPollMs: 20,
    });
    runners.push(workflows);

    const { executionId } = await workflows.start('review', { reviewers: ['ada', 'grace', 'linus'] });
    await eventually(() => (asked.length === 3 ? true : undefined), 10_000, 'three review requests');
    for (const a of asked) await workflows.sendTaskSuccess(a.token, { reviewer: a.reviewer, ok: true });
    const view = await workflows.waitForExecution(executionId);

    expect(new Set(asked.map((a) => a.token)).size).toBe(3);
    expect(asked.every((a) => a.token === a.sameToken)).toBe(true);
    expect(view.status).toBe('SUCCEEDED');
    expect(view.output).toEqual([
      { reviewer: 'ada', ok: true },
      { reviewer: 'grace', ok: true },
      { reviewer: 'linus', ok: true },
    ]);
    expect(log.errors()).toEqual([]);
  });
});
