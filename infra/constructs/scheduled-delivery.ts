import { Aws, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface ScheduledDeliveryProps {
  /** The group the functions' one-off schedules are made in (at run time, by SchedulerPort.at). */
  groupName: string;
  /** The queues those schedules may deliver to, by manifest name (the manifest's `scheduled` queues). */
  queues: Record<string, IQueue>;
}

/**
 * Where functions' one-off schedules live and how they are delivered: their own schedule group (apart from the
 * deployment's schedules, which functions may not touch), and the role EventBridge Scheduler assumes to deliver them,
 * which only schedules of that group can use and which may only send messages to the scheduled queues.
 */
export class ScheduledDelivery extends Construct {
  readonly group: ScheduleGroup;
  readonly role: Role;
  readonly groupName: string;
  readonly queues: Record<string, IQueue>;

  constructor(scope: Construct, id: string, props: ScheduledDeliveryProps) {
    super(scope, id);
    if (Object.keys(props.queues).length === 0) throw new Error('scheduled delivery needs at least one queue to deliver to');
    this.groupName = props.groupName;
    this.queues = props.queues;
    this.group = new ScheduleGroup(this, 'Group', { scheduleGroupName: props.groupName });
    const stack = Stack.of(this);
    const groupArn = stack.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: props.groupName });
    const schedulesArn = stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${props.groupName}/*` });
    this.role = new Role(this, 'Role', {
      description: `EventBridge Scheduler delivers the one-off schedules of group ${props.groupName} to their queues`,
      // Confused-deputy guard: only Scheduler acting for this group (the source it names) or its schedules, in this account.
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID }, ArnLike: { 'aws:SourceArn': [groupArn, schedulesArn] } },
      }),
    });
    const queues = Object.values(props.queues);
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: queues.map((q) => q.queueArn) }));
    for (const queue of queues) {
      // A queue encrypted with a customer key needs the key too (SQS-managed encryption needs nothing more).
      if (queue.encryptionMasterKey) {
        this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [queue.encryptionMasterKey.keyArn] }));
      }
    }
  }
}
