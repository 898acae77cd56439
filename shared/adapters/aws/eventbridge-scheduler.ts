import type { CreateScheduleCommandInput, SchedulerClient } from '@aws-sdk/client-scheduler';
import { atExpression, SCHEDULE_NAME, type ScheduledMessage, type SchedulerPort } from '../../ports';
import { errorName, NotWiredError } from './errors';
import { clientOf } from './lazy';

export type SchedulerClientLike = Pick<SchedulerClient, 'send'>;

export interface EventBridgeSchedulerSettings {
  /** The schedule group the functions' one-off schedules live in (SCHEDULE_GROUP). */
  groupName?: string;
  /** The role EventBridge Scheduler assumes to deliver: it may send to the scheduled queues only (SCHEDULER_ROLE_ARN). */
  roleArn?: string;
  /** Queue name → ARN of the queues schedules may deliver to (SCHEDULE_QUEUE_ARNS). */
  queueArns: Record<string, string>;
}

/** A late delivery is still useful (the check it carries re-reads the state); one a day late is not. */
const RETRY_POLICY = { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 };

/**
 * SchedulerPort on EventBridge Scheduler: each schedule is a one-time `at()` schedule in UTC with no flexible window,
 * sending its message to an SQS queue through the delivery role, and deleted by Scheduler once it has fired.
 */
export class EventBridgeScheduler implements SchedulerPort {
  /** Scheduler invokes targets within the minute after their time. */
  readonly precisionMs = 60_000;
  private readonly client: () => Promise<SchedulerClientLike>;

  constructor(
    private readonly settings: EventBridgeSchedulerSettings,
    client?: SchedulerClientLike,
  ) {
    this.client = clientOf(client, async () => new (await import('@aws-sdk/client-scheduler')).SchedulerClient({}));
  }

  async at(name: string, when: Date, message: ScheduledMessage): Promise<void> {
    const { groupName, roleArn } = this.wired();
    checkName(name);
    const queueArn = this.settings.queueArns[message.queue];
    if (!queueArn) throw new NotWiredError(`scheduled delivery to queue '${message.queue}'`, "mark the queue `scheduled` in infra/manifest.ts");
    const input: CreateScheduleCommandInput = {
      Name: name,
      GroupName: groupName,
      ScheduleExpression: atExpression(when),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Target: { Arn: queueArn, RoleArn: roleArn, Input: JSON.stringify(message.body), RetryPolicy: RETRY_POLICY },
    };
    const { CreateScheduleCommand, UpdateScheduleCommand } = await import('@aws-sdk/client-scheduler');
    const client = await this.client();
    // Create, or replace what is there. A schedule can vanish in between (it fired and was deleted), so go round again.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await client.send(new CreateScheduleCommand(input));
        return;
      } catch (err) {
        if (errorName(err) !== 'ConflictException') throw err;
      }
      try {
        await client.send(new UpdateScheduleCommand(input));
        return;
      } catch (err) {
        if (errorName(err) !== 'ResourceNotFoundException') throw err;
      }
    }
    throw new Error(`schedule ${name} kept changing while it was being replaced`);
  }

  async cancel(name: string): Promise<void> {
    const { groupName } = this.wired();
    checkName(name);
    const { DeleteScheduleCommand } = await import('@aws-sdk/client-scheduler');
    try {
      await (await this.client()).send(new DeleteScheduleCommand({ Name: name, GroupName: groupName }));
    } catch (err) {
      if (errorName(err) !== 'ResourceNotFoundException') throw err;
    }
  }

  private wired(): { groupName: string; roleArn: string } {
    const { groupName, roleArn } = this.settings;
    if (!groupName || !roleArn) throw NotWiredError.missingAccess('the scheduler', 'scheduler');
    return { groupName, roleArn };
  }
}

function checkName(name: string): void {
  if (!SCHEDULE_NAME.test(name)) throw new RangeError(`schedule name '${name}' is not 1–64 letters, digits, '-', '_' or '.'`);
}
