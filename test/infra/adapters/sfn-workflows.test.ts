import {
  DescribeExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { SfnWorkflows, type SfnClientLike } from '../../../shared/adapters/aws/sfn-workflows';
import { TaskTokenError } from '../../../shared/ports';
import { fakeClient, serviceError } from '../support/fake-client';

const ARNS = { runLifecycle: 'arn:aws:states:eu-west-1:123456789012:stateMachine:proliferate-run-lifecycle' };
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:proliferate-run-lifecycle:outbox-42';

describe('SfnWorkflows', () => {
  it('starts the named workflow with JSON input; the execution id is its ARN', async () => {
    const { client, sent } = fakeClient<SfnClientLike>((command) => {
      expect(command).toBeInstanceOf(StartExecutionCommand);
      return { executionArn: EXECUTION };
    });
    const result = await new SfnWorkflows(ARNS, client).start('runLifecycle', { runId: 'r1' }, { name: 'outbox-42' });
    expect(result).toEqual({ executionId: EXECUTION });
    expect(sent[0].input).toEqual({ stateMachineArn: ARNS.runLifecycle, input: '{"runId":"r1"}', name: 'outbox-42' });
  });

  it('refuses a workflow that is not wired to the function', async () => {
    const { client } = fakeClient<SfnClientLike>(() => ({}));
    await expect(new SfnWorkflows(ARNS, client).start('snapshotBuild', {})).rejects.toThrow(/'workflows'/);
  });

  it('sends task success with JSON output and task failure with Step Functions’ length limits', async () => {
    const { client, sent } = fakeClient<SfnClientLike>(() => ({}));
    const workflows = new SfnWorkflows(ARNS, client);
    await workflows.sendTaskSuccess('tok-1', { approved: true });
    await workflows.sendTaskFailure('tok-2', 'E'.repeat(300), 'c'.repeat(40_000));
    expect(sent[0].command).toBeInstanceOf(SendTaskSuccessCommand);
    expect(sent[0].input).toEqual({ taskToken: 'tok-1', output: '{"approved":true}' });
    expect(sent[1].command).toBeInstanceOf(SendTaskFailureCommand);
    expect((sent[1].input.error as string).length).toBe(256);
    expect((sent[1].input.cause as string).length).toBe(32_768);
  });

  it.each(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'])('maps %s to TaskTokenError', async (code) => {
    const { client } = fakeClient<SfnClientLike>(() => {
      throw serviceError(code);
    });
    const error = await new SfnWorkflows(ARNS, client).sendTaskSuccess('tok', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskTokenError);
    expect((error as TaskTokenError).code).toBe(code);
  });

  it('lets other errors through unchanged', async () => {
    const { client } = fakeClient<SfnClientLike>(() => {
      throw serviceError('ThrottlingException');
    });
    await expect(new SfnWorkflows(ARNS, client).sendTaskFailure('tok', 'Rejected')).rejects.toThrow(/ThrottlingException/);
  });

  it('describes an execution by its ARN, naming the workflow, and returns null for an unknown one', async () => {
    const { client } = fakeClient<SfnClientLike>((command, input) => {
      expect(command).toBeInstanceOf(DescribeExecutionCommand);
      if (input.executionArn !== EXECUTION) throw serviceError('ExecutionDoesNotExist');
      return { stateMachineArn: ARNS.runLifecycle, status: 'SUCCEEDED', output: '{"ok":true}' };
    });
    const workflows = new SfnWorkflows(ARNS, client);
    expect(await workflows.describe(EXECUTION)).toEqual({
      executionId: EXECUTION,
      stateMachine: 'runLifecycle',
      status: 'SUCCEEDED',
      output: { ok: true },
      error: null,
      cause: null,
    });
    expect(await workflows.describe(`${EXECUTION}-nope`)).toBeNull();
  });
});
