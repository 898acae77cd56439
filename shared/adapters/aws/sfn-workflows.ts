import type { SFNClient } from '@aws-sdk/client-sfn';
import { TaskTokenError, type WorkflowExecutionView, type WorkflowsPort } from '../../ports';
import { errorName, NotWiredError } from './errors';
import { clientOf } from './lazy';

export type SfnClientLike = Pick<SFNClient, 'send'>;

/** Step Functions' limits on a task failure's error and cause. */
const MAX_ERROR_LENGTH = 256;
const MAX_CAUSE_LENGTH = 32_768;

const TOKEN_ERRORS = new Set(['InvalidToken', 'TaskTimedOut', 'TaskDoesNotExist']);

/**
 * WorkflowsPort on Step Functions. A workflow's name (from the manifest) maps to its state machine through
 * STATE_MACHINE_ARNS; an execution id is the execution's ARN.
 */
export class SfnWorkflows implements WorkflowsPort {
  private readonly client: () => Promise<SfnClientLike>;

  constructor(
    private readonly stateMachineArns: Record<string, string>,
    client?: SfnClientLike,
  ) {
    this.client = clientOf(client, async () => new (await import('@aws-sdk/client-sfn')).SFNClient({}));
  }

  async start(stateMachine: string, input: unknown, options: { name?: string } = {}): Promise<{ executionId: string }> {
    const arn = this.stateMachineArns[stateMachine];
    if (!arn) throw NotWiredError.missingAccess(`workflow '${stateMachine}'`, 'workflows');
    const { StartExecutionCommand } = await import('@aws-sdk/client-sfn');
    const out = await (await this.client()).send(
      new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify(input ?? {}), name: options.name }),
    );
    if (!out.executionArn) throw new Error('StartExecution returned no execution ARN');
    return { executionId: out.executionArn };
  }

  async sendTaskSuccess(token: string, output: unknown): Promise<void> {
    const { SendTaskSuccessCommand } = await import('@aws-sdk/client-sfn');
    const command = new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output ?? {}) });
    await this.respond((client) => client.send(command));
  }

  async sendTaskFailure(token: string, error: string, cause?: string): Promise<void> {
    const { SendTaskFailureCommand } = await import('@aws-sdk/client-sfn');
    const command = new SendTaskFailureCommand({
      taskToken: token,
      error: error.slice(0, MAX_ERROR_LENGTH),
      cause: cause?.slice(0, MAX_CAUSE_LENGTH),
    });
    await this.respond((client) => client.send(command));
  }

  async describe(executionId: string): Promise<WorkflowExecutionView | null> {
    const { DescribeExecutionCommand } = await import('@aws-sdk/client-sfn');
    try {
      const out = await (await this.client()).send(new DescribeExecutionCommand({ executionArn: executionId }));
      return {
        executionId,
        stateMachine: this.nameOf(out.stateMachineArn),
        // PENDING_REDRIVE is a failed execution that may be redriven by hand.
        status: out.status === 'PENDING_REDRIVE' || !out.status ? 'FAILED' : out.status,
        output: out.output === undefined ? undefined : JSON.parse(out.output),
        error: out.error ?? null,
        cause: out.cause ?? null,
      };
    } catch (err) {
      if (errorName(err) === 'ExecutionDoesNotExist' || errorName(err) === 'InvalidArn') return null;
      throw err;
    }
  }

  /** Sends a task response, turning Step Functions' token errors into the port's TaskTokenError. */
  private async respond(send: (client: SfnClientLike) => Promise<unknown>): Promise<void> {
    try {
      await send(await this.client());
    } catch (err) {
      const name = errorName(err);
      if (name && TOKEN_ERRORS.has(name)) {
        throw new TaskTokenError(name as TaskTokenError['code'], (err as Error).message);
      }
      throw err;
    }
  }

  private nameOf(stateMachineArn: string | undefined): string {
    const entry = Object.entries(this.stateMachineArns).find(([, arn]) => arn === stateMachineArn);
    return entry?.[0] ?? stateMachineArn?.split(':').pop() ?? 'unknown';
  }
}
