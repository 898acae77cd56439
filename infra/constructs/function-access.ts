import { ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import type { WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IDatabaseProxy } from 'aws-cdk-lib/aws-rds';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { FunctionSpec } from '../manifest';
import { acknowledgeWildcardResource } from './nag';
import type { NodeFunction } from './node-function';

/** Everything a manifest function may be granted; a function gets only what its `access` list names. */
export interface AccessResources {
  database?: {
    secret: ISecret;
    /** Where functions connect (the RDS Proxy, or the cluster when there is none). */
    host: string;
    port: string;
    proxy?: IDatabaseProxy;
    username: string;
  };
  /** Signs auth sessions; given to functions that serve HTTP or WebSocket routes. */
  authSecret?: ISecret;
  /** Sandbox provider and model credentials (JSON), given to functions with sandboxes access. */
  providerSecret?: ISecret;
  queues: Record<string, IQueue>;
  /** Workflow name → state machine ARN (built from the state machines' fixed names, not from the workflows stack). */
  stateMachines: Record<string, { arn: string; name: string }>;
  sockets?: WebSocketStage;
  /** The objects bucket by name: its ARN is built here, so wildcard grants read the same in every stack. */
  objectsBucketName?: string;
  mail?: { from: string; identityArn: string };
  envelopeKey?: IKey;
  /** Where functions' one-off schedules live, the role Scheduler delivers them with, and the queues they may target. */
  scheduler?: { groupName: string; deliveryRole: IRole; queues: Record<string, IQueue> };
  publicUrl?: string;
  previewDomain?: string;
  logLevel?: string;
}

/**
 * Turns a function's manifest `access` list into IAM statements on exactly those resources and the environment
 * variables shared/config.ts reads. Nothing here grants an action with a wildcard.
 */
export function grantManifestAccess(
  name: string,
  target: NodeFunction,
  spec: FunctionSpec,
  resources: AccessResources,
): Record<string, string> {
  const env: Record<string, string> = {
    PROLIFERATE_RUNTIME: 'aws',
    NODE_ENV: 'production',
    LOG_LEVEL: resources.logLevel ?? 'info',
  };
  if (resources.publicUrl) env.PUBLIC_URL = resources.publicUrl;
  if (resources.previewDomain && spec.access.includes('sandboxes')) env.PREVIEW_DOMAIN = resources.previewDomain;
  const allow = (actions: string[], arns: string[]) => {
    if (arns.length) target.role.addToPrincipalPolicy(new PolicyStatement({ actions, resources: arns }));
  };
  const need = <T>(value: T | undefined, access: string): T => {
    if (value === undefined) throw new Error(`function ${name} asks for '${access}' but the stack provides none`);
    return value;
  };

  if (spec.http?.length || spec.ws?.length) {
    const secret = need(resources.authSecret, 'auth secret');
    env.AUTH_SECRET_ARN = secret.secretArn;
    allow(['secretsmanager:GetSecretValue'], [secret.secretArn]);
  }

  for (const access of new Set(spec.access)) {
    switch (access) {
      case 'db': {
        const db = need(resources.database, access);
        env.DATABASE_SECRET_ARN = db.secret.secretArn;
        env.DATABASE_HOST = db.host;
        env.DATABASE_PORT = db.port;
        allow(['secretsmanager:GetSecretValue'], [db.secret.secretArn]);
        // Password auth today; with this grant the functions can move to IAM auth tokens without an infra change.
        db.proxy?.grantConnect(target.role, db.username);
        break;
      }
      case 'queues': {
        const queues = Object.entries(resources.queues);
        env.QUEUE_URLS = Stack.of(target).toJsonString(Object.fromEntries(queues.map(([n, q]) => [n, q.queueUrl])));
        allow(['sqs:SendMessage'], queues.map(([, q]) => q.queueArn));
        break;
      }
      case 'workflows': {
        const machines = Object.entries(resources.stateMachines);
        env.STATE_MACHINE_ARNS = Stack.of(target).toJsonString(Object.fromEntries(machines.map(([n, m]) => [n, m.arn])));
        const arns = machines.map(([, m]) => m.arn);
        allow(['states:StartExecution', 'states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'], arns);
        const executions = machines.map(([, m]) => executionsArn(target, m.name));
        allow(['states:DescribeExecution'], executions);
        for (const arn of executions) {
          acknowledgeWildcardResource(
            target.role,
            arn,
            'Executions of this one state machine: their names are chosen at run time (one per outbox row).',
          );
        }
        break;
      }
      case 'sockets': {
        const stage = need(resources.sockets, access);
        env.WS_ENDPOINT = stage.callbackUrl;
        stage.grantManagementApiAccess(target.role);
        acknowledgeWildcardResource(
          target.role,
          `${Stack.of(stage).formatArn({ service: 'execute-api', resource: stage.api.apiId })}/${stage.stageName}/*/@connections/*`,
          'Connections of this one WebSocket stage: connection ids exist only at run time.',
        );
        break;
      }
      case 'objects': {
        const bucket = need(resources.objectsBucketName, access);
        env.OBJECTS_BUCKET = bucket;
        const bucketArn = `arn:${Aws.PARTITION}:s3:::${bucket}`;
        allow(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [`${bucketArn}/*`]);
        allow(['s3:ListBucket'], [bucketArn]);
        acknowledgeWildcardResource(
          target.role,
          `${bucketArn}/*`,
          'Objects of the one objects bucket: keys (per organisation, session and artifact) exist only at run time.',
        );
        break;
      }
      case 'mail': {
        const mail = need(resources.mail, access);
        env.MAIL_FROM = mail.from;
        allow(['ses:SendEmail'], [mail.identityArn]);
        break;
      }
      case 'keys': {
        const key = need(resources.envelopeKey, access);
        env.KMS_KEY_ID = key.keyArn;
        // Envelope encryption needs only these two: a data key to seal with, and unsealing it again.
        allow(['kms:GenerateDataKey', 'kms:Decrypt'], [key.keyArn]);
        break;
      }
      case 'sandboxes': {
        // Sandbox tokens are signed with a key derived from the auth secret; providers' credentials come as settings.
        const secret = need(resources.authSecret, access);
        env.AUTH_SECRET_ARN = secret.secretArn;
        allow(['secretsmanager:GetSecretValue'], [secret.secretArn]);
        if (resources.providerSecret) {
          env.PROVIDER_SECRET_ARN = resources.providerSecret.secretArn;
          allow(['secretsmanager:GetSecretValue'], [resources.providerSecret.secretArn]);
        }
        break;
      }
      case 'scheduler': {
        const scheduler = need(resources.scheduler, access);
        const queues = Object.entries(scheduler.queues);
        env.SCHEDULE_GROUP = scheduler.groupName;
        env.SCHEDULER_ROLE_ARN = scheduler.deliveryRole.roleArn;
        env.SCHEDULE_QUEUE_ARNS = Stack.of(target).toJsonString(Object.fromEntries(queues.map(([n, q]) => [n, q.queueArn])));
        const schedules = Stack.of(target).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${scheduler.groupName}/*` });
        allow(['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'], [schedules]);
        acknowledgeWildcardResource(
          target.role,
          schedules,
          'Schedules of the one run-time schedule group: their names (one per session) exist only at run time.',
        );
        // A schedule names the role Scheduler delivers with: this one, and only to Scheduler.
        target.role.addToPrincipalPolicy(
          new PolicyStatement({
            actions: ['iam:PassRole'],
            resources: [scheduler.deliveryRole.roleArn],
            conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
          }),
        );
        break;
      }
    }
  }
  return env;
}

function executionsArn(scope: NodeFunction, stateMachineName: string): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${stateMachineName}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
