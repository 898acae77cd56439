import { functionSpecs } from '../../infra/manifest';
import { Template } from 'aws-cdk-lib/assertions';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createProliferate, projectManifest } from '../../infra/stacks/proliferate';
import { actionsOf, fastApp, statementsOf } from './support/cdk';

/**
 * The manifest has no workflow yet: this adds the fixture one to the real manifest and checks the wiring across
 * stacks, i.e. that the name the functions are granted is the name the state machine gets.
 */
const app = fastApp();
const manifest = projectManifest();
const stacks = createProliferate(
  app,
  { prefix: 'proliferate', mailFrom: 'Proliferate <no-reply@example.com>', siteDir: 'test/infra/fixtures/no-site' },
  {
    ...manifest,
    stateMachines: {
      approvalFlow: {
        file: 'test/infra/fixtures/approval.asl.json',
        functions: { RecordFunction: 'invitationSweeper' },
        queues: { ApprovalQueue: 'mail' },
      },
    },
  },
);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
const workflows = Template.fromStack(stacks.workflows);
const api = Template.fromStack(stacks.api);

/** A Fn::Join of strings and pseudo parameters, as text: `{ Ref: 'AWS::Region' }` reads `<AWS::Region>`. */
function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { 'Fn::Join'?: [string, unknown[]]; Ref?: string };
  if (v.Ref) return `<${v.Ref}>`;
  if (v['Fn::Join']) return v['Fn::Join'][1].map(joined).join(v['Fn::Join'][0]);
  throw new Error(`cannot read ${JSON.stringify(value)}`);
}

describe('a manifest workflow', () => {
  it('passes cdk-nag in the whole app', () => {
    expect(() => app.synth()).not.toThrow();
  });

  it('becomes a state machine under its fixed name', () => {
    workflows.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'proliferate-approval-flow' });
  });

  it('is what functions with workflows access may start and answer, by the same ARN', () => {
    const dispatcher = stacks.api.functions.outboxDispatcher;
    const env = api.toJSON().Resources[stacks.api.getLogicalId(dispatcher.fn.node.defaultChild as never)].Properties.Environment.Variables;
    // {"approvalFlow":"arn:<partition>:states:<region>:<account>:stateMachine:proliferate-approval-flow"}
    const json = JSON.parse(joined(env.STATE_MACHINE_ARNS)) as Record<string, string>;
    expect(json).toEqual({ approvalFlow: 'arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:proliferate-approval-flow' });

    const grants = statementsOf(api).filter((s) => actionsOf(s.statement).includes('states:StartExecution'));
    // Exactly the functions whose manifest access names workflows (the dispatcher, and writers that publish inline).
    const expected = functionSpecs()
      .filter(([, spec]) => !spec.localOnly && spec.access.includes('workflows'))
      .map(([name]) => name[0].toUpperCase() + name.slice(1))
      .sort();
    expect(grants.map((g) => g.resource.replace(/RoleDefaultPolicy.*/, '')).sort()).toEqual(expected);
    expect(expected).toContain('OutboxDispatcher');
    for (const g of grants) expect(joined(g.statement.Resource)).toBe(json.approvalFlow);
  });

  it('may invoke the function and send to the queue its placeholders name', () => {
    const actions = statementsOf(workflows).flatMap((s) => actionsOf(s.statement));
    expect(actions).toEqual(expect.arrayContaining(['lambda:InvokeFunction', 'sqs:SendMessage']));
  });

  it('refuses a placeholder naming a function that is not deployed', () => {
    expect(() =>
      createProliferate(
        fastApp(),
        { prefix: 'other', mailFrom: 'a@example.com', siteDir: 'test/infra/fixtures/no-site' },
        {
          ...manifest,
          stateMachines: { x: { file: 'test/infra/fixtures/approval.asl.json', functions: { RecordFunction: 'devMail' }, queues: { ApprovalQueue: 'mail' } } },
        },
      ),
    ).toThrow(/names function 'devMail', which is not deployed/);
  });
});
