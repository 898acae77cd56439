import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import aslValidator from 'asl-validator';
import { AslStateMachine, placeholdersOf } from '../../../infra/constructs/asl-state-machine';
import { actionsOf, fastApp, statementsOf } from '../support/cdk';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'approval.asl.json');

function fixtureStack() {
  const stack = new Stack(fastApp(), 'Workflows');
  const record = new LambdaFunction(stack, 'Record', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => ({})'),
  });
  const approvals = new Queue(stack, 'Approvals', { enforceSSL: true });
  return { stack, record, approvals };
}

describe('AslStateMachine', () => {
  const { stack, record, approvals } = fixtureStack();
  const machine = new AslStateMachine(stack, 'Approval', {
    stateMachineName: 'proliferate-approval',
    definitionFile: FIXTURE,
    functions: { RecordFunction: record },
    queues: { ApprovalQueue: approvals },
  });
  const template = Template.fromStack(stack);
  const definition = () => {
    const sm = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0] as {
      Properties: { DefinitionString: unknown; DefinitionSubstitutions: Record<string, unknown> };
    };
    return sm.Properties;
  };

  it('is a valid ASL file whose placeholders are the ones mapped', () => {
    const text = readFileSync(FIXTURE, 'utf8');
    expect([...placeholdersOf(text)].sort()).toEqual(['ApprovalQueue', 'RecordFunction']);
    const substituted = text
      .replace('${ApprovalQueue}', 'https://sqs.eu-west-1.amazonaws.com/123456789012/approvals')
      .replace('${RecordFunction}', 'arn:aws:lambda:eu-west-1:123456789012:function:record');
    const result = aslValidator(JSON.parse(substituted), { checkArn: true, checkPaths: true });
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('inlines the definition under its fixed name and substitutes ARNs and URLs', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'proliferate-approval',
      StateMachineType: 'STANDARD',
    });
    const { DefinitionString, DefinitionSubstitutions } = definition();
    expect(JSON.parse(DefinitionString as string).StartAt).toBe('RequestApproval');
    expect(DefinitionSubstitutions).toEqual({
      RecordFunction: { 'Fn::GetAtt': [stack.getLogicalId(record.node.defaultChild as never), 'Arn'] },
      ApprovalQueue: { Ref: stack.getLogicalId(approvals.node.defaultChild as never) },
    });
  });

  it('logs every event (without execution data) and is traced', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      TracingConfiguration: { Enabled: true },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });
  });

  it('may invoke exactly its functions and send to exactly its queues', () => {
    const role = stack.getLogicalId(machine.stateMachine.role.node.defaultChild as never);
    const statements = statementsOf(template).filter((s) => JSON.stringify(template.toJSON().Resources[s.resource]).includes(role));
    const invoke = statements.find((s) => actionsOf(s.statement).includes('lambda:InvokeFunction'));
    const send = statements.find((s) => actionsOf(s.statement).includes('sqs:SendMessage'));
    expect(invoke?.statement.Resource).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(record.node.defaultChild as never), 'Arn'] });
    expect(send?.statement.Resource).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(approvals.node.defaultChild as never), 'Arn'] });
  });

  it('refuses a definition whose placeholders and mappings differ', () => {
    const other = fixtureStack();
    expect(
      () =>
        new AslStateMachine(other.stack, 'Missing', {
          stateMachineName: 'x',
          definitionFile: FIXTURE,
          functions: { RecordFunction: other.record },
        }),
    ).toThrow(/no function or queue for \$\{ApprovalQueue\}/);
    expect(
      () =>
        new AslStateMachine(other.stack, 'Extra', {
          stateMachineName: 'y',
          definitionFile: FIXTURE,
          functions: { RecordFunction: other.record, Unused: other.record },
          queues: { ApprovalQueue: other.approvals },
        }),
    ).toThrow(/not in the file: Unused/);
  });
});
