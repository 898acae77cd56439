import { ConfigError, loadConfig, type Config } from '../../config';
import { createDb, type DbHandle } from '../../db/client';
import { enqueue } from '../../domain/outbox/outbox';
import { conflict } from '../../domain/errors';
import { dispatchOutbox } from '../../domain/outbox/dispatch';
import { systemClock, type Clock } from '../../ports';
import { hkdfSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SandboxProvider, SandboxProviderKind } from '../../sandbox/provider';
import { bundleVersion } from '../../sandbox/daemon/bundle-info';
import type { AuthFactory, Container, SandboxesRuntime, SandboxProviderFactory } from '../../runtime/container';
import { createLogger, type Logger } from '../../runtime/logger';
import { ApiGatewaySockets } from './api-gateway-sockets';
import { databaseUrlFromSecret } from './database-url';
import { EventBridgeScheduler } from './eventbridge-scheduler';
import { parseNameMap } from './env';
import { NotWiredError } from './errors';
import { KmsKeys } from './kms-keys';
import { S3Objects } from './s3-objects';
import { SecretsManagerSecrets } from './secrets';
import { SesMailer } from './ses-mailer';
import { SfnWorkflows } from './sfn-workflows';
import { SqsQueue } from './sqs-queue';

/**
 * Variables only the AWS runtime reads, set by the CDK next to those of shared/config.ts:
 * where to reach the database (the RDS Proxy endpoint rather than the cluster the secret names), and the secret
 * that signs auth sessions (given to functions that serve HTTP or WebSocket routes).
 */
export const AWS_ONLY_VARIABLES = [
  'DATABASE_HOST',
  'DATABASE_PORT',
  'AUTH_SECRET_ARN',
  'SCHEDULE_GROUP',
  'SCHEDULER_ROLE_ARN',
  'SCHEDULE_QUEUE_ARNS',
] as const;

/** Connections per Lambda instance: one request at a time, plus room for a query beside an open transaction. */
const POOL_SIZE = 3;

export interface AwsContainerOptions {
  env?: NodeJS.ProcessEnv;
  secrets?: SecretsManagerSecrets;
  logger?: Logger;
  clock?: Clock;
  /** Builds better-auth; only functions that authenticate callers pass it (see getContainer). */
  createAuth?: AuthFactory;
  /** Builds sandbox providers; only functions that run sandboxes pass it. */
  createSandboxProvider?: SandboxProviderFactory;
  /** Opens the database at a URL; by default postgres.js with a small pool. */
  openDatabase?: (url: string) => Promise<DbHandle>;
}

/**
 * The container of a Lambda function, built once per cold start: configuration from the environment, the database
 * through its Secrets Manager credentials, and the ports on the AWS services the function was granted.
 */
export async function createAwsContainer(options: AwsContainerOptions = {}): Promise<Container> {
  const secrets = options.secrets ?? new SecretsManagerSecrets();
  const baseEnv = options.env ?? process.env;
  // The provider secret holds no database or auth setting: all three secrets are fetched at once on a cold start.
  const early = loadConfig(baseEnv);
  const [env, databaseUrl, authSecret] = await Promise.all([
    withProviderCredentials(baseEnv, secrets),
    resolveDatabaseUrl(early, baseEnv, secrets),
    early.BETTER_AUTH_SECRET ?? (baseEnv.AUTH_SECRET_ARN ? secrets.getString(baseEnv.AUTH_SECRET_ARN) : undefined),
  ]);
  const config = env === baseEnv ? early : loadConfig(env);
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL, name: env.AWS_LAMBDA_FUNCTION_NAME });
  const clock = options.clock ?? systemClock;

  const openDatabase = options.openDatabase ?? ((url: string) => createDb({ url, maxConnections: POOL_SIZE }));
  const dbHandle = await openDatabase(databaseUrl);
  const db = dbHandle.db;

  const container: Container = {
    config,
    db,
    dbHandle,
    logger,
    clock,
    queue: new SqsQueue(parseNameMap('QUEUE_URLS', config.QUEUE_URLS)),
    workflows: new SfnWorkflows(parseNameMap('STATE_MACHINE_ARNS', config.STATE_MACHINE_ARNS)),
    sockets: new ApiGatewaySockets(config.WS_ENDPOINT),
    objects: new S3Objects(config.OBJECTS_BUCKET),
    mailer: new SesMailer(config.MAIL_FROM),
    keys: new KmsKeys(config.KMS_KEY_ID),
    // Functions without scheduler access get none of these and fail on use, naming the access.
    scheduler: new EventBridgeScheduler({
      groupName: env.SCHEDULE_GROUP,
      roleArn: env.SCHEDULER_ROLE_ARN,
      queueArns: parseNameMap('SCHEDULE_QUEUE_ARNS', env.SCHEDULE_QUEUE_ARNS),
    }),
    // Publish what this request wrote before replying (bounded, best effort); the scheduled dispatcher is the backstop.
    outboxWritten: async () => {
      if (!container.queue) return;
      try {
        await dispatchOutbox({ db, queue: container.queue, workflows: container.workflows, clock, logger }, { maxBatches: 1, batchSize: 20, leaseMs: 15_000 });
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'inline outbox dispatch failed; the schedule will publish');
      }
    },
    auth: undefined as never,
    sandboxSecret: undefined as never,
    sandboxes: undefined as never,
  };
  if (authSecret) {
    container.sandboxSecret = deriveKey(authSecret, 'proliferate sandbox tokens');
  } else {
    notWired(container, 'sandboxSecret', 'only functions with sandboxes access get the signing secret');
  }
  container.sandboxes = awsSandboxes(config, env, logger, options.createSandboxProvider);

  if (authSecret && options.createAuth) {
    container.auth = options.createAuth({
      db,
      config,
      logger,
      clock,
      secret: authSecret,
      enqueueMail: async (mail) => {
        await enqueue(db, 'mail.send', mail);
        await container.outboxWritten();
      },
    });
  } else {
    // Queue consumers and schedules neither get the signing secret nor bundle better-auth; a clear error if one asks.
    notWired(container, 'auth', 'only functions with http or ws routes get the session signing secret');
  }
  return container;
}

async function resolveDatabaseUrl(config: Config, env: NodeJS.ProcessEnv, secrets: SecretsManagerSecrets): Promise<string> {
  if (config.DATABASE_URL) return config.DATABASE_URL;
  if (!config.DATABASE_SECRET_ARN) {
    throw new ConfigError([{ variable: 'DATABASE_SECRET_ARN', message: 'required on AWS when DATABASE_URL is unset' }]);
  }
  const secret = await secrets.getString(config.DATABASE_SECRET_ARN);
  return databaseUrlFromSecret(secret, { host: env.DATABASE_HOST, port: env.DATABASE_PORT });
}

function notWired(container: Container, key: keyof Container, why: string): void {
  Object.defineProperty(container, key, {
    enumerable: true,
    configurable: true,
    get: () => {
      throw new NotWiredError(key, why);
    },
  });
}

/** A key for one purpose derived from a shared secret, so no two purposes share a key. */
export function deriveKey(secret: string, purpose: string): string {
  return Buffer.from(hkdfSync('sha256', secret, '', purpose, 32)).toString('base64url');
}

/**
 * Sandboxes on AWS run on E2B or Modal (the local provider needs the machine's own processes). The daemon bundle
 * ships inside the function's bundle, next to index.mjs.
 */
function awsSandboxes(config: Config, env: NodeJS.ProcessEnv, logger: Logger, createSandboxProvider?: SandboxProviderFactory): SandboxesRuntime {
  const apiUrl = (config.SANDBOX_API_URL ?? config.publicUrl).replace(/\/$/, '');
  const providers = new Map<SandboxProviderKind, SandboxProvider>();
  let daemon: Promise<{ path: string; version: string }> | undefined;
  const defaultTimeoutMs = config.SANDBOX_LIFETIME_SECONDS === undefined ? undefined : config.SANDBOX_LIFETIME_SECONDS * 1000;
  return {
    defaultProvider: config.SANDBOX_PROVIDER === 'local' ? 'e2b' : config.SANDBOX_PROVIDER,
    provider: (kind) => {
      if (kind === 'local') throw new NotWiredError('sandboxes', 'the local provider runs only in the embedded runtime; use e2b or modal');
      if (!createSandboxProvider) throw new NotWiredError('sandboxes', 'this function does not run sandboxes');
      let provider = providers.get(kind);
      if (!provider) {
        provider = createSandboxProvider(kind, {
          logger: logger.child({ component: 'sandbox', provider: kind }),
          e2b: config.E2B_API_KEY ? { apiKey: config.E2B_API_KEY, template: config.E2B_TEMPLATE, defaultTimeoutMs } : undefined,
          modal:
            config.MODAL_TOKEN_ID && config.MODAL_TOKEN_SECRET
              ? { tokenId: config.MODAL_TOKEN_ID, tokenSecret: config.MODAL_TOKEN_SECRET, appName: config.MODAL_APP_NAME, defaultTimeoutMs }
              : undefined,
        });
        providers.set(kind, provider);
      }
      return provider;
    },
    // Shipped next to the handler (infra/constructs/manifest-function.ts); its version is the hash of its contents.
    daemon: () =>
      (daemon ??= readFile(env.DAEMON_BUNDLE_PATH ?? `${__dirname}/daemon.js`, 'utf8').then((code) => ({
        path: env.DAEMON_BUNDLE_PATH ?? `${__dirname}/daemon.js`,
        version: bundleVersion(code),
      }))),
    endpoints: { apiUrl, wsUrl: `${apiUrl.replace(/^http/, 'ws')}/ws` },
    previewUrl: (token) => awsPreviewUrl(env.PREVIEW_DOMAIN, token),
  };
}

/**
 * Each preview is its own origin under the deployment's preview domain (`-c previewDomain=…`), served by a CloudFront
 * distribution with a wildcard certificate in front of the preview proxy function. Without one there is no origin to
 * give a preview, and asking for one says how to get it.
 */
export function awsPreviewUrl(previewDomain: string | undefined, token: string): string {
  if (!previewDomain) {
    throw conflict('previews_unavailable', 'Previews need a preview domain on AWS: deploy with -c previewDomain=preview.example.com -c previewCertificateArn=<ACM certificate for *.preview.example.com in us-east-1>');
  }
  return `https://p-${token}.${previewDomain}/`;
}

/** The settings that may come from the provider secret instead of plain environment variables. */
export const PROVIDER_SECRET_KEYS = [
  'SANDBOX_PROVIDER',
  'E2B_API_KEY',
  'E2B_TEMPLATE',
  'MODAL_TOKEN_ID',
  'MODAL_TOKEN_SECRET',
  'MODAL_APP_NAME',
  'LLM_BASE_URL',
  'LLM_API_KEY',
  'LLM_MODEL',
  'LLM_CONTEXT_TOKENS',
] as const;

/**
 * Credentials for sandboxes and the model live in one Secrets Manager secret (never in plain Lambda environment
 * variables): its known keys are laid over the environment before the configuration is read and validated.
 */
export async function withProviderCredentials(env: NodeJS.ProcessEnv, secrets: SecretsManagerSecrets): Promise<NodeJS.ProcessEnv> {
  if (!env.PROVIDER_SECRET_ARN) return env;
  let values: Record<string, unknown>;
  try {
    values = JSON.parse(await secrets.getString(env.PROVIDER_SECRET_ARN)) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError([{ variable: 'PROVIDER_SECRET_ARN', message: `the provider secret is not a JSON object (${(err as Error).message})` }]);
  }
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const key of PROVIDER_SECRET_KEYS) {
    const value = values[key];
    // A JSON number (e.g. "LLM_CONTEXT_TOKENS": 200000) is as good as its string.
    if ((typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value))) merged[key] = String(value);
  }
  return merged;
}
