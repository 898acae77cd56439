import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueSpec } from '../manifest';
import { acknowledge } from './nag';

export interface QueueWithDlqProps {
  spec: QueueSpec;
}

/** How long a dead letter waits for an operator: SQS's longest retention. */
export const DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * A manifest queue: encrypted (SQS-managed keys), TLS-only, with its own dead-letter queue that takes a message after
 * the manifest's `maxReceiveCount` receives.
 */
export class QueueWithDlq extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: QueueWithDlqProps) {
    super(scope, id);
    const { spec } = props;
    if (spec.maxReceiveCount < 1) throw new Error(`queue ${id}: maxReceiveCount must be at least 1`);
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    acknowledge(this.deadLetterQueue, 'AwsSolutions-SQS3', 'This is the dead-letter queue of its queue; a dead-letter queue has none of its own.');
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
      // A dead letter keeps its original enqueue time, so the dead-letter queue must retain longer than this.
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: spec.maxReceiveCount },
    });
  }
}
