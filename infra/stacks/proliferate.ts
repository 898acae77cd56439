import { Annotations, type App, type Environment } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as manifest from '../manifest';
import type { FunctionSpec, QueueSpec, StateMachineSpec } from '../manifest';
import { ApiStack } from './api-stack';
import { DATABASE_USER, DataStack, type DatabaseSettings } from './data-stack';
import { FrontendStack, type CustomDomain } from './frontend-stack';
import { MessagingStack } from './messaging-stack';
import { DeploymentNames } from './names';
import { WorkflowsStack } from './workflows-stack';

export interface ProliferateSettings {
  prefix: string;
  /** Leave unset for environment-agnostic stacks (synth needs no credentials). */
  env?: Environment;
  /** Where users reach the product; defaults to the custom domain. Without either, see the README (two deploys). */
  publicUrl?: string;
  domain?: CustomDomain;
  /** Where session previews get their origins (`p-<token>.<domainName>`). */
  preview?: CustomDomain;
  mailFrom: string;
  /** The SES identity mail is sent from: a domain (default: MAIL_FROM's) or an address. */
  mailIdentity?: string;
  webAclArn?: string;
  database?: DatabaseSettings;
  siteDir?: string;
  logRetention?: RetentionDays;
}

/** The manifest's parts the stacks are built from; tests pass their own. */
export interface ManifestInput {
  functions: [string, FunctionSpec][];
  queues: Record<string, QueueSpec>;
  stateMachines: Record<string, StateMachineSpec>;
}

export const projectManifest = (): ManifestInput => ({
  functions: manifest.functionSpecs(),
  queues: manifest.queues,
  stateMachines: manifest.stateMachines,
});

export interface ProliferateStacks {
  data: DataStack;
  messaging: MessagingStack;
  api: ApiStack;
  workflows: WorkflowsStack;
  frontend: FrontendStack;
}

/**
 * The whole deployment, split by concern so references run one way: data ← messaging ← api ← workflows, and
 * api ← frontend. Names that must be known on both sides of a reference that would run back (state machines, the
 * objects bucket, the schedule group) are fixed from the prefix instead.
 */
export function createProliferate(app: App, settings: ProliferateSettings, input: ManifestInput = projectManifest()): ProliferateStacks {
  const names = new DeploymentNames(settings.prefix);
  const common = { env: settings.env, names, logRetention: settings.logRetention ?? RetentionDays.ONE_MONTH };

  const data = new DataStack(app, names.stack('data'), { ...common, database: settings.database });
  const messaging = new MessagingStack(app, names.stack('messaging'), { ...common, queues: input.queues });
  const publicUrl = settings.publicUrl ?? (settings.domain ? `https://${settings.domain.domainName}` : undefined);

  const api = new ApiStack(app, names.stack('api'), {
    ...common,
    functions: input.functions,
    queueSpecs: input.queues,
    workflows: Object.keys(input.stateMachines),
    network: data.functionNetwork,
    database: { ...data.databaseEndpoint, secret: data.databaseSecret, proxy: data.proxy, username: DATABASE_USER },
    authSecret: data.authSecret,
    providerSecret: data.providerSecret,
    queues: messaging.queueByName,
    objectsBucketName: names.objectsBucket,
    envelopeKey: data.envelopeKey,
    scheduleGroup: messaging.scheduleGroup,
    scheduledDelivery: messaging.scheduledDelivery,
    mail: { from: settings.mailFrom, identity: settings.mailIdentity ?? mailDomain(settings.mailFrom) },
    publicUrl,
    previewDomain: settings.preview?.domainName,
  });
  const workflows = new WorkflowsStack(app, names.stack('workflows'), {
    ...common,
    stateMachines: input.stateMachines,
    functions: Object.fromEntries(Object.entries(api.functions).map(([n, f]) => [n, f.fn])),
    queues: messaging.queueByName,
  });
  const frontend = new FrontendStack(app, names.stack('frontend'), {
    ...common,
    httpApi: api.httpApi,
    webSocketApi: api.webSocketApi,
    webSocketStage: api.webSocketStage.stageName,
    logsBucket: data.logsBucket,
    siteDir: settings.siteDir,
    domain: settings.domain,
    preview: settings.preview,
    webAclArn: settings.webAclArn,
  });
  if (!publicUrl) {
    Annotations.of(api).addWarningV2(
      'proliferate:publicUrl',
      'PUBLIC_URL is unset: auth callbacks and mail links need it. Deploy once, then pass -c publicUrl=<the frontend Url output> (or use -c domainName/-c certificateArn).',
    );
  }
  return { data, messaging, api, workflows, frontend };
}

/** `Proliferate <no-reply@example.com>` → `example.com`. */
export function mailDomain(mailFrom: string): string {
  const address = /<([^>]+)>/.exec(mailFrom)?.[1] ?? mailFrom;
  const domain = address.split('@')[1]?.trim();
  if (!domain) throw new Error(`MAIL_FROM '${mailFrom}' has no domain`);
  return domain;
}
