import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { FunctionSchedules } from '../../../infra/constructs/function-schedules';
import { fastApp, statementsOf } from '../support/cdk';

describe('FunctionSchedules', () => {
  const stack = new Stack(fastApp(), 'Schedules');
  const fn = new LambdaFunction(stack, 'Sweeper', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => ({})'),
  });
  const group = new ScheduleGroup(stack, 'Group', { scheduleGroupName: 'proliferate' });
  new FunctionSchedules(stack, 'SweeperSchedules', {
    fn,
    group,
    schedules: [
      { name: 'sweep', expression: 'rate(15 minutes)' },
      { name: 'nightly', expression: 'cron(0 3 * * ? *)', timezone: 'Europe/Paris' },
    ],
  });
  const template = Template.fromStack(stack);
  const fnArn = { 'Fn::GetAtt': [stack.getLogicalId(fn.node.defaultChild as never), 'Arn'] };

  it('creates one schedule per entry, in the group, with its time zone, invoking the function', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'sweep',
      ScheduleExpression: 'rate(15 minutes)',
      GroupName: 'proliferate',
      Target: { Arn: fnArn, Input: '{"source":"aws.scheduler","schedule":"sweep"}' },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'nightly',
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
    });
  });

  it('is created after its group, which it names rather than references', () => {
    const schedule = Object.values(template.findResources('AWS::Scheduler::Schedule'))[0] as { DependsOn?: string[] };
    expect(schedule.DependsOn).toContain(stack.getLogicalId(group.node.defaultChild as never));
  });

  it('invokes through a role the scheduler of this account assumes, allowed exactly that function', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
    const grants = statementsOf(template).map((s) => s.statement);
    expect(grants).toEqual([expect.objectContaining({ Action: 'lambda:InvokeFunction', Resource: fnArn })]);
  });

  it('refuses an expression that is neither rate nor cron', () => {
    const other = new Stack(fastApp(), 'Bad');
    const f = LambdaFunction.fromFunctionArn(other, 'F', 'arn:aws:lambda:eu-west-1:123456789012:function:f');
    const g = ScheduleGroup.fromScheduleGroupName(other, 'G', 'g');
    expect(() => new FunctionSchedules(other, 'S', { fn: f, group: g, schedules: [{ name: 'x', expression: 'every minute' }] })).toThrow(
      /neither rate/,
    );
  });
});
