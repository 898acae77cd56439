import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { QueueWithDlq } from '../../../infra/constructs/queue-with-dlq';
import { fastApp } from '../support/cdk';

describe('QueueWithDlq', () => {
  const stack = new Stack(fastApp(), 'Queues');
  const mail = new QueueWithDlq(stack, 'Mail', { spec: { visibilityTimeoutSeconds: 60, maxReceiveCount: 5, batchSize: 10 } });
  const template = Template.fromStack(stack);

  it('sends a message to its own dead-letter queue after maxReceiveCount receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 60,
      RedrivePolicy: {
        maxReceiveCount: 5,
        deadLetterTargetArn: { 'Fn::GetAtt': [stack.getLogicalId(mail.deadLetterQueue.node.defaultChild as never), 'Arn'] },
      },
    });
  });

  it('encrypts both queues and keeps dead letters for 14 days', () => {
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { SqsManagedSseEnabled: true }, 2);
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 24 * 3600, RedrivePolicy: Match.absent() });
  });

  it('refuses anything but TLS on both queues', () => {
    template.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
      2,
    );
  });

  it('refuses a maxReceiveCount below one', () => {
    const other = new Stack(fastApp(), 'Other');
    expect(() => new QueueWithDlq(other, 'Q', { spec: { visibilityTimeoutSeconds: 30, maxReceiveCount: 0, batchSize: 1 } })).toThrow(
      /maxReceiveCount/,
    );
  });
});
