import { Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { QueueWithDlq } from '../constructs/queue-with-dlq';
import { ScheduledDelivery } from '../constructs/scheduled-delivery';
import type { QueueSpec } from '../manifest';
import type { DeploymentNames } from './names';

export interface MessagingStackProps extends StackProps {
  names: DeploymentNames;
  /** The manifest's queues, by name. */
  queues: Record<string, QueueSpec>;
}

/**
 * Asynchronous plumbing: an SQS queue (with its dead-letter queue) per manifest queue, the event bus, the schedule
 * group the functions' schedules live in (the schedules themselves sit with their functions), and the group and
 * delivery role of the one-off schedules functions make at run time (to the manifest's `scheduled` queues).
 */
export class MessagingStack extends Stack {
  readonly queues: Record<string, QueueWithDlq>;
  readonly eventBus: EventBus;
  readonly scheduleGroup: ScheduleGroup;
  readonly scheduledDelivery: ScheduledDelivery;

  constructor(scope: Construct, id: string, props: MessagingStackProps) {
    super(scope, id, props);
    this.queues = Object.fromEntries(
      Object.entries(props.queues).map(([name, spec]) => [name, new QueueWithDlq(this, pascal(name), { spec })]),
    );
    this.eventBus = new EventBus(this, 'Bus', { eventBusName: props.names.eventBus });
    this.scheduleGroup = new ScheduleGroup(this, 'Schedules', { scheduleGroupName: props.names.scheduleGroup });
    this.scheduledDelivery = new ScheduledDelivery(this, 'OneOffSchedules', {
      groupName: props.names.runtimeScheduleGroup,
      queues: Object.fromEntries(Object.entries(this.queues).filter(([name]) => props.queues[name].scheduled).map(([name, q]) => [name, q.queue])),
    });
  }

  /** The queues themselves, by manifest name. */
  get queueByName(): Record<string, Queue> {
    return Object.fromEntries(Object.entries(this.queues).map(([name, q]) => [name, q.queue]));
  }
}

export function pascal(name: string): string {
  return name.replace(/(^|[-_\s])([a-z0-9])/g, (_, __, c: string) => c.toUpperCase()).replace(/^[a-z]/, (c) => c.toUpperCase());
}
