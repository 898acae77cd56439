import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { AccessResources } from '../../../infra/constructs/function-access';
import { ManifestFunction } from '../../../infra/constructs/manifest-function';
import { REPO_ROOT } from '../../../infra/constructs/repo';
import { functionSpecs, type FunctionSpec } from '../../../infra/manifest';
import { actionsOf, fastApp, isWildcardAction, statementsOf, type Statement } from '../support/cdk';

function setup() {
  const stack = new Stack(fastApp(), 'Functions');
  const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'p', subnetType: SubnetType.PRIVATE_ISOLATED }] });
  const ws = new WebSocketApi(stack, 'Ws');
  const stage = new WebSocketStage(stack, 'Stage', { webSocketApi: ws, stageName: 'ws', autoDeploy: true });
  const resources: AccessResources = {
    database: { secret: new Secret(stack, 'Db'), host: 'proxy.example', port: '5432', username: 'proliferate' },
    authSecret: new Secret(stack, 'Auth'),
    queues: { mail: new Queue(stack, 'Mail'), events: new Queue(stack, 'Events') },
    stateMachines: { runLifecycle: { name: 'p-run-lifecycle', arn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:p-run-lifecycle' } },
    sockets: stage,
    objectsBucketName: 'p-objects',
    mail: { from: 'P <no-reply@example.com>', identityArn: 'arn:aws:ses:eu-west-1:123456789012:identity/example.com' },
    envelopeKey: new Key(stack, 'Key'),
    scheduler: {
      groupName: 'p-runtime',
      deliveryRole: new Role(stack, 'Delivery', { assumedBy: new ServicePrincipal('scheduler.amazonaws.com') }),
      queues: { sessions: new Queue(stack, 'Sessions') },
    },
    publicUrl: 'https://app.example.com',
  };
  const network = { vpc, subnets: { subnetType: SubnetType.PRIVATE_ISOLATED }, securityGroups: [new SecurityGroup(stack, 'Sg', { vpc })] };
  return { stack, resources, network };
}

const everything: FunctionSpec = {
  entry: 'functions/http/meta.ts',
  description: 'has every access',
  http: [{ method: 'GET', path: '/api/x' }],
  access: ['db', 'queues', 'workflows', 'sockets', 'objects', 'mail', 'keys', 'scheduler'],
  memoryMb: 1024,
  timeoutSeconds: 20,
};

describe('ManifestFunction', () => {
  const { stack, resources, network } = setup();
  const all = new ManifestFunction(stack, 'All', { name: 'all', spec: everything, resources, network });
  const plain = new ManifestFunction(stack, 'Plain', {
    name: 'plain',
    spec: { entry: 'functions/queues/mail-sender.ts', description: 'sends mail', access: ['mail'] },
    resources,
    network,
  });
  const template = Template.fromStack(stack);
  const policyOf = (fn: ManifestFunction): Statement[] => {
    const role = stack.getLogicalId(fn.role.node.defaultChild as never);
    return statementsOf(template)
      .filter((s) => JSON.stringify(template.toJSON().Resources[s.resource].Properties.Roles ?? []).includes(role))
      .map((s) => s.statement);
  };
  const envOf = (fn: ManifestFunction) =>
    (template.toJSON().Resources[stack.getLogicalId(fn.fn.node.defaultChild as never)].Properties.Environment.Variables ?? {}) as Record<
      string,
      unknown
    >;

  it('runs the entry on Node 22, arm64, with the manifest’s memory and timeout', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 20,
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: Match.anyValue() },
    });
  });

  it('sets the variables shared/config.ts reads for each access', () => {
    const env = envOf(all);
    expect(Object.keys(env).sort()).toEqual(
      [
        'AUTH_SECRET_ARN',
        'DATABASE_HOST',
        'DATABASE_PORT',
        'DATABASE_SECRET_ARN',
        'KMS_KEY_ID',
        'LOG_LEVEL',
        'MAIL_FROM',
        'NODE_ENV',
        'NODE_OPTIONS',
        'OBJECTS_BUCKET',
        'PROLIFERATE_RUNTIME',
        'PUBLIC_URL',
        'QUEUE_URLS',
        'SCHEDULE_GROUP',
        'SCHEDULE_QUEUE_ARNS',
        'SCHEDULER_ROLE_ARN',
        'STATE_MACHINE_ARNS',
        'WS_ENDPOINT',
      ].sort(),
    );
    expect(env.PROLIFERATE_RUNTIME).toBe('aws');
    expect(JSON.parse(env.STATE_MACHINE_ARNS as string)).toEqual({ runLifecycle: 'arn:aws:states:eu-west-1:123456789012:stateMachine:p-run-lifecycle' });
    expect(JSON.stringify(env.QUEUE_URLS)).toMatch(/\\"mail\\":.*\\"events\\":/);
  });

  it('grants each access on its resources, with no wildcard action', () => {
    const statements = policyOf(all);
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter(isWildcardAction)).toEqual([]);
    expect(actions).toEqual(
      expect.arrayContaining([
        'secretsmanager:GetSecretValue',
        'sqs:SendMessage',
        'states:StartExecution',
        'states:SendTaskSuccess',
        'states:SendTaskFailure',
        'states:DescribeExecution',
        'execute-api:ManageConnections',
        's3:GetObject',
        's3:PutObject',
        's3:ListBucket',
        'ses:SendEmail',
        'kms:GenerateDataKey',
        'kms:Decrypt',
        'scheduler:CreateSchedule',
        'iam:PassRole',
      ]),
    );
    const ses = statements.find((s) => actionsOf(s).includes('ses:SendEmail'));
    expect(ses?.Resource).toBe('arn:aws:ses:eu-west-1:123456789012:identity/example.com');
  });

  it('lets a function with scheduler access change only the run-time group’s schedules, and pass only the delivery role, to Scheduler', () => {
    const statements = policyOf(all);
    const schedules = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('scheduler:')));
    expect(schedules).toHaveLength(1);
    expect(actionsOf(schedules[0]).sort()).toEqual(['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:UpdateSchedule']);
    expect(JSON.stringify(schedules[0].Resource)).toMatch(/:schedule\/p-runtime\/\*"/);
    const passRole = statements.filter((s) => actionsOf(s).includes('iam:PassRole'));
    expect(passRole).toEqual([
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: { 'Fn::GetAtt': [stack.getLogicalId(resources.scheduler!.deliveryRole.node.defaultChild as never), 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
    const env = envOf(all);
    expect(env.SCHEDULE_GROUP).toBe('p-runtime');
    expect(JSON.stringify(env.SCHEDULE_QUEUE_ARNS)).toMatch(/\\"sessions\\":/);
    expect(JSON.stringify(env.SCHEDULE_QUEUE_ARNS)).not.toMatch(/mail|events/);
  });

  it('gives a function only what it asked for: outside the VPC without db, no auth secret without routes', () => {
    const actions = policyOf(plain).flatMap(actionsOf).sort();
    expect(actions).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'ses:SendEmail']);
    expect(Object.keys(envOf(plain)).sort()).toEqual(['LOG_LEVEL', 'MAIL_FROM', 'NODE_ENV', 'NODE_OPTIONS', 'PROLIFERATE_RUNTIME', 'PUBLIC_URL']);
    const props = template.toJSON().Resources[stack.getLogicalId(plain.fn.node.defaultChild as never)].Properties;
    expect(props.VpcConfig).toBeUndefined();
  });

  it('writes logs only to its own log group (no AWS managed policy)', () => {
    template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    const logs = policyOf(plain).find((s) => actionsOf(s).includes('logs:PutLogEvents'));
    expect(logs?.Resource).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(plain.logGroup.node.defaultChild as never), 'Arn'] });
  });

  it('ships the daemon bundle only with the functions that create sandboxes', () => {
    const specs = functionSpecs();
    const creates = specs
      .filter(([, spec]) => /sandboxRuntimeDeps\(|sandboxes\.daemon\(/.test(readFileSync(path.join(REPO_ROOT, spec.entry), 'utf8')))
      .map(([name]) => name);
    expect(creates.sort()).toEqual(['sessionWorker', 'snapshotBuild']);
    expect(specs.filter(([, spec]) => spec.carriesDaemon).map(([name]) => name).sort()).toEqual(creates);
    for (const [, spec] of specs.filter(([, s]) => s.carriesDaemon)) expect(spec.access).toContain('sandboxes');
  });

  it('refuses local-only functions and database functions without a network', () => {
    const other = setup();
    const local = { ...everything, localOnly: true };
    expect(() => new ManifestFunction(other.stack, 'L', { name: 'devMail', spec: local, resources: other.resources, network: other.network })).toThrow(
      /local-only/,
    );
    expect(() => new ManifestFunction(other.stack, 'N', { name: 'x', spec: everything, resources: other.resources })).toThrow(/no network/);
  });
});
