import path from 'node:path';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { databaseUrlFromSecret } from '../../shared/adapters/aws/database-url';
import { SecretsManagerSecrets } from '../../shared/adapters/aws/secrets';
import { createDb, migrate } from '../../shared/db/client';
import { createLogger } from '../../shared/runtime/logger';

/**
 * The database migrations custom resource. CloudFormation calls it on Create and on every Update (the CDK puts a hash
 * of the migrations folder in its properties, so an Update means the migrations changed); it applies the checked-in
 * SQL migrations (drizzle records which ran, so a rerun applies only the new ones) and answers on the response URL.
 * Delete does nothing: the data outlives the stack's custom resource.
 */

const CloudFormationEvent = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.url(),
  StackId: z.string(),
  RequestId: z.string(),
  LogicalResourceId: z.string(),
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: z.looseObject({ MigrationsHash: z.string().optional() }).optional(),
});
type CloudFormationEvent = z.infer<typeof CloudFormationEvent>;

const SslMode = z.enum(['require', 'verify-full', 'disable']);

export interface MigrationResult {
  status: 'SUCCESS' | 'FAILED';
  reason?: string;
}

export interface MigrationDeps {
  /** Applies the migrations; by default: the database from DATABASE_SECRET_ARN, the folder bundled next to this file. */
  runMigrations(): Promise<void>;
  /** PUTs the answer to CloudFormation's pre-signed response URL. */
  respond(url: string, body: CloudFormationResponse): Promise<void>;
  log(message: string, fields?: Record<string, unknown>): void;
}

const logger = createLogger({ name: 'migrations' });

export interface CloudFormationResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}

/** One resource, whatever the migrations: an Update never replaces it, so CloudFormation never sends a Delete for it. */
export const PHYSICAL_RESOURCE_ID = 'proliferate-database-migrations';

/** Answer before Lambda's own timeout would leave CloudFormation waiting an hour for a reply that never comes. */
const ANSWER_MARGIN_MS = 10_000;

export async function handleMigrationEvent(
  raw: unknown,
  deps: MigrationDeps,
  remainingMs: () => number = () => Number.POSITIVE_INFINITY,
): Promise<MigrationResult> {
  const parsed = CloudFormationEvent.safeParse(raw);
  if (!parsed.success) {
    // Without a valid response URL there is no one to answer; fail the invocation loudly.
    throw new Error(`not a CloudFormation custom resource event: ${parsed.error.message}`);
  }
  const event = parsed.data;
  const result = await withDeadline(runFor(event, deps), remainingMs() - ANSWER_MARGIN_MS);
  await deps.respond(event.ResponseURL, {
    Status: result.status,
    Reason: result.reason ?? `${event.RequestType} done`,
    PhysicalResourceId: event.PhysicalResourceId ?? PHYSICAL_RESOURCE_ID,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  return result;
}

async function runFor(event: CloudFormationEvent, deps: MigrationDeps): Promise<MigrationResult> {
  if (event.RequestType === 'Delete') return { status: 'SUCCESS', reason: 'migrations are never rolled back' };
  try {
    deps.log('applying migrations', { requestType: event.RequestType, hash: event.ResourceProperties?.MigrationsHash });
    await deps.runMigrations();
    deps.log('migrations applied');
    return { status: 'SUCCESS', reason: 'migrations applied' };
  } catch (err) {
    const message = describeError(err);
    deps.log('migrations failed', { error: message });
    return { status: 'FAILED', reason: `migrations failed: ${message}`.slice(0, 1000) };
  }
}

/** The message and its causes: drizzle wraps the driver's error ("Failed query: …") around the one that says why. */
function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e !== undefined && parts.length < 5; e = e instanceof Error ? e.cause : undefined) {
    parts.push(e instanceof Error ? `${e.message}${'code' in e && e.code ? ` (${String(e.code)})` : ''}` : String(e));
  }
  return parts.join(' ← ').replace(/\s+/g, ' ');
}

async function withDeadline(work: Promise<MigrationResult>, ms: number): Promise<MigrationResult> {
  if (!Number.isFinite(ms)) return work;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<MigrationResult>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'FAILED', reason: 'migrations did not finish in time' }), Math.max(0, ms));
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The pre-signed S3 URL takes a PUT with no content type (it is not part of the signature). */
export async function putResponse(url: string, body: CloudFormationResponse): Promise<void> {
  const text = JSON.stringify(body);
  const res = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(text)) },
    body: text,
  });
  if (!res.ok) throw new Error(`CloudFormation response was refused: HTTP ${res.status}`);
}

/** Reads the credentials, connects to the cluster (not the proxy: DDL needs no pooling) and migrates. */
export async function migrateFromSecret(env: NodeJS.ProcessEnv = process.env, secrets = new SecretsManagerSecrets()) {
  const secretArn = env.DATABASE_SECRET_ARN;
  if (!secretArn) throw new Error('DATABASE_SECRET_ARN is not set');
  // The CDK never sets DATABASE_SSLMODE; it lets the bundle run against a development server without TLS.
  const sslmode = SslMode.parse(env.DATABASE_SSLMODE ?? 'require');
  const url = databaseUrlFromSecret(await secrets.getString(secretArn), { sslmode });
  const handle = await createDb({ url, maxConnections: 1 });
  try {
    await migrate(handle, migrationsFolder(env));
  } finally {
    await handle.close();
  }
}

/** The bundle carries the migrations in `migrations/` next to its entry file (copied by the CDK's bundling hook). */
export function migrationsFolder(env: NodeJS.ProcessEnv = process.env): string {
  return env.MIGRATIONS_FOLDER ?? path.join(env.LAMBDA_TASK_ROOT ?? process.cwd(), 'migrations');
}

export const handler = async (event: unknown, context: Context): Promise<MigrationResult> =>
  handleMigrationEvent(
    event,
    {
      runMigrations: () => migrateFromSecret(),
      respond: putResponse,
      log: (message, fields) => logger.info(fields ?? {}, message),
    },
    () => context.getRemainingTimeInMillis(),
  );
