import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../bin/cdk';
import { functionSpecs, queues, stateMachines } from '../../infra/manifest';
import { pascal } from '../../infra/stacks/messaging-stack';
import type { ProliferateStacks } from '../../infra/stacks/proliferate';
import { actionsOf, fastApp, isWildcardAction, statementsOf } from './support/cdk';

/**
 * The whole app as `cdk synth` builds it (bin/cdk.ts, cdk-nag included), synthesised once: every route, queue and
 * schedule of the manifest must be in the templates, and no nag finding may go unacknowledged.
 */
const app = buildApp(
  fastApp({
    siteDir: 'test/infra/fixtures/site',
    publicUrl: 'https://app.example.com',
    previewDomain: 'preview.example.com',
    previewCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/previews',
  }),
);
const stacks = Object.fromEntries(
  app.node.children.filter((c) => 'templateOptions' in c).map((s) => [s.node.id.replace(/^proliferate-/, ''), s]),
) as unknown as ProliferateStacks;

let synthError: unknown;
try {
  app.synth();
} catch (err) {
  synthError = err;
}
const templates = Object.fromEntries(
  Object.entries(stacks).map(([name, stack]) => [name, Template.fromStack(stack)]),
) as Record<keyof ProliferateStacks, Template>;
const deployed = functionSpecs().filter(([, spec]) => !spec.localOnly);
const resourcesOf = (t: Template, type: string) => Object.entries(t.findResources(type)) as [string, { Properties: Record<string, unknown> }][];

describe('the app', () => {
  it('synthesises with cdk-nag AwsSolutions and no unacknowledged finding', () => {
    expect(synthError).toBeUndefined();
  });

  it('has one stack per concern', () => {
    expect(Object.keys(stacks).sort()).toEqual(['api', 'data', 'frontend', 'messaging', 'workflows']);
  });

  it('grants no action `*` or `service:*` in any Allow statement of any stack', () => {
    const offending = Object.entries(templates).flatMap(([name, t]) =>
      statementsOf(t)
        .filter((s) => s.statement.Effect === 'Allow' && actionsOf(s.statement).some(isWildcardAction))
        .map((s) => `${name}/${s.resource}`),
    );
    expect(offending).toEqual([]);
  });
});

describe('api stack', () => {
  const t = () => templates.api;
  const integrationOf = (routeKey: string, api: 'HttpApi' | 'WebSocketApi') => {
    const route = resourcesOf(t(), 'AWS::ApiGatewayV2::Route').find(
      ([, r]) => r.Properties.RouteKey === routeKey && JSON.stringify(r.Properties.ApiId).includes(api),
    );
    if (!route) return undefined;
    const target = JSON.stringify(route[1].Properties.Target);
    const integration = resourcesOf(t(), 'AWS::ApiGatewayV2::Integration').find(([id]) => target.includes(id));
    return JSON.stringify(integration?.[1].Properties.IntegrationUri);
  };

  it.each(deployed.flatMap(([name, spec]) => (spec.http ?? []).map((r) => [`${r.method} ${r.path}`, name] as const)))(
    'routes %s to %s',
    (routeKey, name) => {
      expect(integrationOf(routeKey, 'HttpApi')).toContain(`${pascal(name)}Function`);
    },
  );

  it.each(deployed.flatMap(([name, spec]) => (spec.ws ?? []).map((key) => [key, name] as const)))(
    'routes WebSocket %s to %s',
    (routeKey, name) => {
      expect(integrationOf(routeKey, 'WebSocketApi')).toContain(`${pascal(name)}Function`);
    },
  );

  it('deploys one function per manifest function, none of the local-only ones', () => {
    const lambdas = resourcesOf(t(), 'AWS::Lambda::Function').map(([id]) => id);
    for (const [name] of deployed) expect(lambdas.some((id) => id.startsWith(`${pascal(name)}Function`))).toBe(true);
    expect(lambdas).toHaveLength(deployed.length);
    for (const [name, spec] of functionSpecs().filter(([, s]) => s.localOnly)) {
      expect(lambdas.some((id) => id.startsWith(pascal(name)))).toBe(false);
      for (const r of spec.http ?? []) {
        t().resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { RouteKey: `${r.method} ${r.path}` }, 0);
      }
    }
  });

  it.each(deployed.filter(([, s]) => s.queue).map(([name, s]) => [name, s.queue!] as const))(
    '%s consumes %s, reporting partial batch failures',
    (name, queue) => {
      const mapping = resourcesOf(t(), 'AWS::Lambda::EventSourceMapping').find(([, m]) =>
        JSON.stringify(m.Properties.FunctionName).includes(`${pascal(name)}Function`),
      );
      expect(mapping?.[1].Properties).toMatchObject({
        BatchSize: queues[queue as keyof typeof queues].batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      expect(JSON.stringify(mapping?.[1].Properties.EventSourceArn)).toContain(`${pascal(queue)}Queue`);
    },
  );

  it.each(deployed.flatMap(([name, s]) => (s.schedules ?? []).map((sch) => [sch.name, sch.expression, name] as const)))(
    'schedule %s runs %s on %s',
    (scheduleName, expression, name) => {
      const schedule = resourcesOf(t(), 'AWS::Scheduler::Schedule').find(([, s]) => s.Properties.Name === scheduleName);
      expect(schedule?.[1].Properties).toMatchObject({ ScheduleExpression: expression, GroupName: 'proliferate' });
      expect(JSON.stringify((schedule?.[1].Properties.Target as { Arn: unknown }).Arn)).toContain(`${pascal(name)}Function`);
    },
  );

  it('lets only functions with sockets access manage WebSocket connections', () => {
    const managers = statementsOf(t())
      .filter((s) => actionsOf(s.statement).includes('execute-api:ManageConnections'))
      .map((s) => s.resource.replace(/RoleDefaultPolicy.*/, ''));
    const expected = deployed.filter(([, s]) => s.access.includes('sockets')).map(([n]) => pascal(n));
    expect(managers.sort()).toEqual(expected.sort());
  });

  it('gives the sandbox credentials secret to exactly the functions with sandboxes access, never as plain values', () => {
    const withSecret = resourcesOf(t(), 'AWS::Lambda::Function')
      .filter(([, fn]) => 'PROVIDER_SECRET_ARN' in ((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables ?? {}))
      .map(([id]) => id.replace(/Function[0-9A-F]{8}$/, '').replace(/Function.*$/, ''));
    const expected = deployed.filter(([, s]) => s.access.includes('sandboxes')).map(([n]) => pascal(n));
    expect(withSecret.sort()).toEqual(expected.sort());
    for (const [, fn] of resourcesOf(t(), 'AWS::Lambda::Function')) {
      const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables ?? {};
      for (const key of ['E2B_API_KEY', 'MODAL_TOKEN_SECRET', 'LLM_API_KEY']) expect(vars).not.toHaveProperty(key);
    }
  });

  it('lets exactly the functions with scheduler access make one-off schedules, in the run-time group, passing only the delivery role', () => {
    const statements = statementsOf(t());
    const owner = (s: { resource: string }) => s.resource.replace(/RoleDefaultPolicy.*/, '');
    const schedulers = statements.filter((s) => actionsOf(s.statement).some((a) => a.startsWith('scheduler:')));
    const passers = statements.filter((s) => actionsOf(s.statement).includes('iam:PassRole'));
    const expected = deployed.filter(([, s]) => s.access.includes('scheduler')).map(([n]) => pascal(n));
    expect(expected.sort()).toEqual(['EventFanout', 'Realtime', 'SessionWorker']);
    expect(schedulers.map(owner).sort()).toEqual(expected);
    expect(passers.map(owner).sort()).toEqual(expected);
    for (const { statement } of schedulers) {
      expect(actionsOf(statement).sort()).toEqual(['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:UpdateSchedule']);
      expect(JSON.stringify(statement.Resource)).toMatch(/:schedule\/proliferate-runtime\/\*"/);
    }
    for (const { statement } of passers) {
      expect(statement.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
      expect(JSON.stringify(statement.Resource)).toMatch(/OneOffSchedulesRole/);
    }
  });

  it('logs access to both APIs', () => {
    for (const [, stage] of resourcesOf(t(), 'AWS::ApiGatewayV2::Stage')) {
      expect((stage.Properties.AccessLogSettings as { Format: string }).Format).toContain('$context.requestId');
    }
    expect(resourcesOf(t(), 'AWS::ApiGatewayV2::Stage').map(([, s]) => s.Properties.StageName).sort()).toEqual(['$default', 'ws']);
  });

  it('tells exactly the functions that make or serve preview links where previews live', () => {
    const withPreviews = resourcesOf(t(), 'AWS::Lambda::Function')
      .filter(([, fn]) => (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.PREVIEW_DOMAIN === 'preview.example.com')
      .map(([id]) => id);
    const expected = deployed.filter(([, spec]) => spec.access.includes('sandboxes')).map(([name]) => pascal(name));
    expect(withPreviews.map((id) => expected.find((e) => id.startsWith(e)) ?? id).sort()).toEqual(expected.sort());
    expect(expected).toEqual(expect.arrayContaining(['Sessions', 'PreviewProxy']));
  });

  it('passes PUBLIC_URL and the runtime to every function', () => {
    for (const [, fn] of resourcesOf(t(), 'AWS::Lambda::Function')) {
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        PROLIFERATE_RUNTIME: 'aws',
        PUBLIC_URL: 'https://app.example.com',
      });
    }
  });
});

describe('messaging stack', () => {
  it.each(Object.entries(queues))('queue %s has its own dead-letter queue after %o receives', (name, spec) => {
    const all = resourcesOf(templates.messaging, 'AWS::SQS::Queue');
    const queue = all.find(([id]) => id.startsWith(`${pascal(name)}Queue`));
    const dlq = all.find(([id]) => id.startsWith(`${pascal(name)}DeadLetters`));
    expect(queue?.[1].Properties).toMatchObject({
      VisibilityTimeout: spec.visibilityTimeoutSeconds,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { maxReceiveCount: spec.maxReceiveCount, deadLetterTargetArn: { 'Fn::GetAtt': [dlq?.[0], 'Arn'] } },
    });
  });

  it('holds the event bus and the schedule groups: the deployment’s, and the one for schedules made at run time', () => {
    templates.messaging.hasResourceProperties('AWS::Events::EventBus', { Name: 'proliferate-events' });
    templates.messaging.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'proliferate' });
    templates.messaging.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'proliferate-runtime' });
  });

  it('lets Scheduler deliver one-off schedules only to the scheduled queues (sessions)', () => {
    const delivery = statementsOf(templates.messaging).filter((s) => s.resource.startsWith('OneOffSchedulesRole'));
    expect(delivery.map((s) => s.statement)).toEqual([
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SessionsQueue/), 'Arn'] } },
    ]);
    expect(Object.entries(queues).filter(([, q]) => 'scheduled' in q && q.scheduled).map(([n]) => n)).toEqual(['sessions']);
  });
});

describe('data stack', () => {
  const t = () => templates.data;

  it('runs Aurora PostgreSQL Serverless v2, encrypted with its own key, in isolated subnets', () => {
    t().hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EngineVersion: Match.stringLikeRegexp('^1[56]\\.'),
      StorageEncrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseKey'), 'Arn'] },
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
      DeletionProtection: true,
    });
    t().hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless', PubliclyAccessible: false });
  });

  it('puts RDS Proxy in front, TLS only', () => {
    t().hasResourceProperties('AWS::RDS::DBProxy', { EngineFamily: 'POSTGRESQL', RequireTLS: true });
  });

  it('has one NAT gateway and rotating customer keys', () => {
    t().resourceCountIs('AWS::EC2::NatGateway', 1);
    t().resourcePropertiesCountIs('AWS::KMS::Key', { EnableKeyRotation: true }, 2);
  });

  it('keeps objects encrypted, private, TLS-only and access-logged', () => {
    t().hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: { LogFilePrefix: 's3/objects/' },
    });
  });

  it('migrates the database on deploy', () => {
    t().resourceCountIs('Custom::DatabaseMigrations', 1);
  });
});

describe('workflows stack', () => {
  it('has a state machine per manifest workflow', () => {
    templates.workflows.resourceCountIs('AWS::StepFunctions::StateMachine', Object.keys(stateMachines).length);
  });
});

describe('frontend stack', () => {
  const distribution = () =>
    resourcesOf(templates.frontend, 'AWS::CloudFront::Distribution')[0][1].Properties.DistributionConfig as {
      DefaultCacheBehavior: Record<string, unknown>;
      CacheBehaviors: Record<string, unknown>[];
      CustomErrorResponses?: unknown;
      Logging?: unknown;
    };

  it('routes /api/* and /ws to the APIs, uncached, with every viewer value but Host', () => {
    const byPath = Object.fromEntries(distribution().CacheBehaviors.map((b) => [b.PathPattern, b]));
    expect(Object.keys(byPath).sort()).toEqual(['/api/*', '/ws']);
    for (const behaviour of Object.values(byPath)) {
      expect(behaviour).toMatchObject({
        CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // Managed-CachingDisabled
        OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac', // Managed-AllViewerExceptHostHeader
        ViewerProtocolPolicy: 'https-only',
      });
    }
    expect(byPath['/api/*'].AllowedMethods).toEqual(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']);
  });

  it('answers client-side routes with a viewer-request function, not error responses', () => {
    expect(distribution().CustomErrorResponses).toBeUndefined();
    expect(distribution().DefaultCacheBehavior.FunctionAssociations).toEqual([
      expect.objectContaining({ EventType: 'viewer-request' }),
    ]);
  });

  it('sends security headers with a CSP that admits the page’s inline script by hash', () => {
    const [, policy] = resourcesOf(templates.frontend, 'AWS::CloudFront::ResponseHeadersPolicy')[0];
    const config = policy.Properties.ResponseHeadersPolicyConfig as { SecurityHeadersConfig: Record<string, { ContentSecurityPolicy?: string }> };
    expect(config.SecurityHeadersConfig.ContentSecurityPolicy?.ContentSecurityPolicy).toMatch(
      /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/,
    );
    expect(Object.keys(config.SecurityHeadersConfig).sort()).toEqual(
      ['ContentSecurityPolicy', 'ContentTypeOptions', 'FrameOptions', 'ReferrerPolicy', 'StrictTransportSecurity', 'XSSProtection'],
    );
  });

  it('deploys the built site when there is one, and logs the distribution', () => {
    templates.frontend.resourceCountIs('Custom::CDKBucketDeployment', 1);
    expect(distribution().Logging).toBeDefined();
    templates.frontend.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always' },
    });
  });
});
