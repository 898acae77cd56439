import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { ScheduledDelivery } from '../../../infra/constructs/scheduled-delivery';
import { fastApp, statementsOf } from '../support/cdk';

describe('ScheduledDelivery', () => {
  const stack = new Stack(fastApp(), 'Messaging', { env: { account: '123456789012', region: 'eu-west-1' } });
  const sessions = new Queue(stack, 'Sessions', { encryption: QueueEncryption.SQS_MANAGED });
  const mail = new Queue(stack, 'Mail', { encryption: QueueEncryption.SQS_MANAGED });
  const sealed = new Queue(stack, 'Sealed', { encryption: QueueEncryption.KMS, encryptionMasterKey: new Key(stack, 'QueueKey') });
  const delivery = new ScheduledDelivery(stack, 'OneOff', { groupName: 'p-runtime', queues: { sessions, sealed } });
  const template = Template.fromStack(stack);
  const arnOf = (c: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [stack.getLogicalId(c.node.defaultChild as never), 'Arn'] });
  const roleGrants = () => {
    const role = stack.getLogicalId(delivery.role.node.defaultChild as never);
    return statementsOf(template)
      .filter((s) => JSON.stringify(template.toJSON().Resources[s.resource].Properties.Roles ?? []).includes(role))
      .map((s) => s.statement);
  };

  it('makes the group the one-off schedules live in', () => {
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'p-runtime' });
  });

  it('is a role only Scheduler, for this account and this group, can assume', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': [
                  { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:eu-west-1:123456789012:schedule-group/p-runtime']] },
                  { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:eu-west-1:123456789012:schedule/p-runtime/*']] },
                ],
              },
            },
          },
        ],
      },
    });
  });

  it('may send messages to the scheduled queues and nothing else (their customer key where they have one)', () => {
    const grants = roleGrants();
    expect(grants).toEqual([
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: [arnOf(sessions), arnOf(sealed)] },
      { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: arnOf(sealed.encryptionMasterKey as Key) },
    ]);
    expect(JSON.stringify(grants)).not.toContain(stack.getLogicalId(mail.node.defaultChild as never));
    template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('refuses to be made with no queue to deliver to', () => {
    expect(() => new ScheduledDelivery(new Stack(fastApp(), 'Empty'), 'OneOff', { groupName: 'x', queues: {} })).toThrow(/at least one queue/);
  });
});
