import { ArnFormat, CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  WebSocketApi,
  WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { AccessResources } from '../constructs/function-access';
import { FunctionSchedules } from '../constructs/function-schedules';
import { ManifestFunction } from '../constructs/manifest-function';
import { acknowledge } from '../constructs/nag';
import { DEFAULT_TIMEOUT_SECONDS, type FunctionNetwork } from '../constructs/node-function';
import type { FunctionSpec, QueueSpec } from '../manifest';
import { pascal } from './messaging-stack';
import type { DeploymentNames } from './names';

export interface ApiStackProps extends StackProps {
  names: DeploymentNames;
  /** The manifest's functions; local-only ones are skipped. */
  functions: [string, FunctionSpec][];
  queueSpecs: Record<string, QueueSpec>;
  /** The manifest's workflow names: their state machines get fixed names, granted here before they exist. */
  workflows: string[];
  network: FunctionNetwork;
  database: NonNullable<AccessResources['database']>;
  authSecret: ISecret;
  /** Sandbox provider and model credentials, read by functions with sandboxes access. */
  providerSecret?: ISecret;
  queues: Record<string, IQueue>;
  objectsBucketName: string;
  envelopeKey: IKey;
  scheduleGroup: IScheduleGroup;
  /** The one-off schedules' group, the role Scheduler delivers them with, and the queues they may target. */
  scheduledDelivery: { groupName: string; role: IRole; queues: Record<string, IQueue> };
  /** MAIL_FROM, and the SES identity (domain or address) it is sent as. */
  mail: { from: string; identity: string };
  publicUrl?: string;
  /** Session previews' domain (PREVIEW_DOMAIN of the functions that make preview links). */
  previewDomain?: string;
  logRetention?: RetentionDays;
}

/** The WebSocket stage's name; CloudFront routes `/ws` to it, so the path and the stage are the same word. */
export const WEBSOCKET_STAGE = 'ws';

const HTTP_ACCESS_LOG = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  time: '$context.requestTime',
  method: '$context.httpMethod',
  route: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  bytes: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  userAgent: '$context.identity.userAgent',
};

const WEBSOCKET_ACCESS_LOG = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  time: '$context.requestTime',
  eventType: '$context.eventType',
  route: '$context.routeKey',
  connectionId: '$context.connectionId',
  status: '$context.status',
  integrationLatencyMs: '$context.integrationLatency',
  error: '$context.error.message',
};

const AUTH_IN_FUNCTIONS =
  'Authentication is the product’s own (better-auth session cookies, API keys, sandbox tokens), checked in every function by the shared middleware before any work; public routes (health, sign-in, invitations) must stay reachable, and a Lambda authorizer would duplicate the session logic and add an invocation per uncached request.';

/**
 * The functions of the manifest and the two APIs that front them: one Lambda per manifest function, a route per
 * manifest HTTP route and WebSocket route key, queue consumers and schedules, each function granted its access list.
 */
export class ApiStack extends Stack {
  readonly functions: Record<string, ManifestFunction>;
  readonly httpApi: HttpApi;
  readonly webSocketApi: WebSocketApi;
  readonly webSocketStage: WebSocketStage;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    this.webSocketApi = new WebSocketApi(this, 'WebSocketApi', { apiName: `${props.names.prefix}-realtime` });
    this.webSocketStage = new WebSocketStage(this, 'WebSocketStage', {
      webSocketApi: this.webSocketApi,
      stageName: WEBSOCKET_STAGE,
      autoDeploy: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup('WebSocketAccessLogs', logRetention)),
        format: AccessLogFormat.custom(JSON.stringify(WEBSOCKET_ACCESS_LOG)),
      },
    });
    this.httpApi = new HttpApi(this, 'HttpApi', { apiName: `${props.names.prefix}-http`, createDefaultStage: false });
    new HttpStage(this, 'HttpStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup('HttpAccessLogs', logRetention)),
        format: AccessLogFormat.custom(JSON.stringify(HTTP_ACCESS_LOG)),
      },
    });

    const resources: AccessResources = {
      database: props.database,
      authSecret: props.authSecret,
      providerSecret: props.providerSecret,
      queues: props.queues,
      stateMachines: Object.fromEntries(
        props.workflows.map((w) => {
          const name = props.names.stateMachine(w);
          const arn = this.formatArn({
            service: 'states',
            resource: 'stateMachine',
            resourceName: name,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          });
          return [w, { name, arn }];
        }),
      ),
      sockets: this.webSocketStage,
      objectsBucketName: props.objectsBucketName,
      mail: {
        from: props.mail.from,
        identityArn: this.formatArn({ service: 'ses', resource: 'identity', resourceName: props.mail.identity }),
      },
      envelopeKey: props.envelopeKey,
      scheduler: { groupName: props.scheduledDelivery.groupName, deliveryRole: props.scheduledDelivery.role, queues: props.scheduledDelivery.queues },
      publicUrl: props.publicUrl,
      previewDomain: props.previewDomain,
    };

    this.functions = {};
    for (const [name, spec] of props.functions) {
      if (spec.localOnly) continue;
      const fn = new ManifestFunction(this, pascal(name), { name, spec, resources, network: props.network, logRetention });
      this.functions[name] = fn;
      this.addHttpRoutes(fn);
      this.addWebSocketRoutes(fn);
      if (spec.queue) this.consume(fn, spec.queue, props);
      if (spec.schedules?.length) {
        new FunctionSchedules(this, `${pascal(name)}Schedules`, { fn: fn.fn, schedules: spec.schedules, group: props.scheduleGroup });
      }
    }

    new CfnOutput(this, 'HttpApiUrl', { value: this.httpApi.apiEndpoint });
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketStage.url });
  }

  private addHttpRoutes(fn: ManifestFunction): void {
    if (!fn.spec.http?.length) return;
    const integration = new HttpLambdaIntegration(`${pascal(fn.name)}Integration`, fn.fn);
    for (const route of fn.spec.http) {
      const routes = this.httpApi.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration });
      for (const r of routes) acknowledge(r, 'AwsSolutions-APIG4', AUTH_IN_FUNCTIONS);
    }
  }

  private addWebSocketRoutes(fn: ManifestFunction): void {
    if (!fn.spec.ws?.length) return;
    const integration = new WebSocketLambdaIntegration(`${pascal(fn.name)}WsIntegration`, fn.fn);
    for (const routeKey of fn.spec.ws) {
      const route = this.webSocketApi.addRoute(routeKey, { integration });
      acknowledge(route, 'AwsSolutions-APIG4', AUTH_IN_FUNCTIONS);
    }
  }

  private consume(fn: ManifestFunction, queueName: string, props: ApiStackProps): void {
    const queue = props.queues[queueName];
    const spec = props.queueSpecs[queueName];
    if (!queue || !spec) throw new Error(`function ${fn.name} consumes '${queueName}', which is not a manifest queue`);
    const timeout = fn.spec.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    if (timeout > spec.visibilityTimeoutSeconds) {
      // A message would become visible again while its first consumer still works on it.
      throw new Error(
        `queue ${queueName}: visibility timeout ${spec.visibilityTimeoutSeconds}s is shorter than ${fn.name}'s timeout ${timeout}s`,
      );
    }
    fn.fn.addEventSource(new SqsEventSource(queue, { batchSize: spec.batchSize, reportBatchItemFailures: true }));
  }

  private accessLogGroup(id: string, retention: RetentionDays): LogGroup {
    return new LogGroup(this, id, { retention, removalPolicy: RemovalPolicy.DESTROY });
  }
}
