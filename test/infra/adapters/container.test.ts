import { ConfigError } from '../../../shared/config';
import { createDb, type DbHandle } from '../../../shared/db/client';
import { ApiGatewaySockets } from '../../../shared/adapters/aws/api-gateway-sockets';
import { awsPreviewUrl, createAwsContainer, withProviderCredentials } from '../../../shared/adapters/aws/container';
import { createAuth } from '../../../shared/auth/auth';
import { KmsKeys } from '../../../shared/adapters/aws/kms-keys';
import { S3Objects } from '../../../shared/adapters/aws/s3-objects';
import { SecretsManagerSecrets } from '../../../shared/adapters/aws/secrets';
import { SesMailer } from '../../../shared/adapters/aws/ses-mailer';
import { SfnWorkflows } from '../../../shared/adapters/aws/sfn-workflows';
import { SqsQueue } from '../../../shared/adapters/aws/sqs-queue';
import { createLogger } from '../../../shared/runtime/logger';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerClientLike } from '../../../shared/adapters/aws/secrets';
import { fakeClient } from '../support/fake-client';

const DB_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf';
const AUTH_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:auth-AbCdEf';

/** What the CDK sets on a function that serves HTTP routes and has every access. */
const lambdaEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PROLIFERATE_RUNTIME: 'aws',
  NODE_ENV: 'production',
  LOG_LEVEL: 'silent',
  PUBLIC_URL: 'https://app.example.com',
  DATABASE_SECRET_ARN: DB_SECRET,
  DATABASE_HOST: 'proxy.proxy-abc.eu-west-1.rds.amazonaws.com',
  DATABASE_PORT: '5432',
  AUTH_SECRET_ARN: AUTH_SECRET,
  QUEUE_URLS: JSON.stringify({ mail: 'https://sqs.eu-west-1.amazonaws.com/123456789012/mail' }),
  STATE_MACHINE_ARNS: '{}',
  WS_ENDPOINT: 'https://abc.execute-api.eu-west-1.amazonaws.com/ws',
  OBJECTS_BUCKET: 'proliferate-objects',
  KMS_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/k',
  MAIL_FROM: 'Proliferate <no-reply@example.com>',
  ...extra,
});

function fakeSecrets() {
  const { client, sent } = fakeClient<SecretsManagerClientLike>((command, input) => {
    expect(command).toBeInstanceOf(GetSecretValueCommand);
    if (input.SecretId === DB_SECRET) {
      return {
        SecretString: JSON.stringify({
          username: 'proliferate',
          password: 'p@ss/w:rd',
          host: 'cluster.cluster-abc.eu-west-1.rds.amazonaws.com',
          port: 5433,
          dbname: 'proliferate',
          engine: 'postgres',
        }),
      };
    }
    if (input.SecretId === AUTH_SECRET) return { SecretString: 'a'.repeat(64) };
    throw new Error(`no secret ${String(input.SecretId)}`);
  });
  return { secrets: new SecretsManagerSecrets(client), sent };
}

describe('createAwsContainer', () => {
  const opened: DbHandle[] = [];
  const urls: string[] = [];
  // postgres.js connects on the first query, which these tests never make.
  const openDatabase = async (url: string) => {
    urls.push(url);
    const handle = await createDb({ url, maxConnections: 1 });
    opened.push(handle);
    return handle;
  };
  const logger = createLogger({ level: 'silent' });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((h) => h.close()));
    urls.splice(0);
  });

  it('connects through the proxy with the secret’s credentials, over TLS', async () => {
    const { secrets, sent } = fakeSecrets();
    const c = await createAwsContainer({ env: lambdaEnv(), secrets, logger, openDatabase, createAuth });
    expect(urls).toEqual([
      'postgres://proliferate:p%40ss%2Fw%3Ard@proxy.proxy-abc.eu-west-1.rds.amazonaws.com:5432/proliferate?sslmode=require',
    ]);
    expect(c.dbHandle.kind).toBe('postgres');
    expect(sent.map((s) => s.input.SecretId).sort()).toEqual([AUTH_SECRET, DB_SECRET].sort());
  });

  it('wires every port on its AWS adapter, and auth with the signing secret', async () => {
    const { secrets } = fakeSecrets();
    const c = await createAwsContainer({ env: lambdaEnv(), secrets, logger, openDatabase, createAuth });
    expect(c.config.PROLIFERATE_RUNTIME).toBe('aws');
    expect(c.config.publicUrl).toBe('https://app.example.com');
    expect(c.queue).toBeInstanceOf(SqsQueue);
    expect(c.workflows).toBeInstanceOf(SfnWorkflows);
    expect(c.sockets).toBeInstanceOf(ApiGatewaySockets);
    expect(c.objects).toBeInstanceOf(S3Objects);
    expect(c.mailer).toBeInstanceOf(SesMailer);
    expect(c.keys).toBeInstanceOf(KmsKeys);
    expect(typeof c.auth.handler).toBe('function');
    expect(() => c.outboxWritten()).not.toThrow();
  });

  it('uses DATABASE_URL as it is when set, and gives functions without the signing secret no auth', async () => {
    const { secrets, sent } = fakeSecrets();
    const env = lambdaEnv({ DATABASE_URL: 'postgres://u:p@db.internal:5432/app', AUTH_SECRET_ARN: undefined });
    const c = await createAwsContainer({ env, secrets, logger, openDatabase });
    expect(urls).toEqual(['postgres://u:p@db.internal:5432/app']);
    expect(sent).toHaveLength(0);
    expect(() => c.auth).toThrow(/http or ws routes/);
  });

  it('names the missing variable when neither DATABASE_URL nor DATABASE_SECRET_ARN is set', async () => {
    const { secrets } = fakeSecrets();
    const env = lambdaEnv({ DATABASE_SECRET_ARN: undefined });
    await expect(createAwsContainer({ env, secrets, logger, openDatabase })).rejects.toThrow(ConfigError);
    await expect(createAwsContainer({ env, secrets, logger, openDatabase })).rejects.toThrow(/DATABASE_SECRET_ARN/);
  });

  it('rejects a QUEUE_URLS that is not a name → URL object', async () => {
    const { secrets } = fakeSecrets();
    const env = lambdaEnv({ QUEUE_URLS: '["mail"]' });
    await expect(createAwsContainer({ env, secrets, logger, openDatabase })).rejects.toThrow(/QUEUE_URLS/);
  });
});

describe('provider credentials from Secrets Manager', () => {
  const PROVIDER_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:providers-AbCdEf';
  const secretsWith = (value: string) =>
    new SecretsManagerSecrets(
      fakeClient<SecretsManagerClientLike>((_command, input) => {
        if (input.SecretId === PROVIDER_SECRET) return { SecretString: value };
        throw new Error(`no secret ${String(input.SecretId)}`);
      }).client,
    );

  it('lays the known keys of the secret over the environment (and nothing else)', async () => {
    const env = await withProviderCredentials(
      { PROVIDER_SECRET_ARN: PROVIDER_SECRET, LLM_MODEL: 'from-env', E2B_TEMPLATE: 'keep' },
      secretsWith(JSON.stringify({ SANDBOX_PROVIDER: 'e2b', E2B_API_KEY: 'e2b_key', LLM_MODEL: 'from-secret', LLM_API_KEY: '', LLM_CONTEXT_TOKENS: 200000, PATH: '/evil', placeholder: 'x' })),
    );
    expect(env).toMatchObject({ SANDBOX_PROVIDER: 'e2b', E2B_API_KEY: 'e2b_key', LLM_MODEL: 'from-secret', E2B_TEMPLATE: 'keep', LLM_CONTEXT_TOKENS: '200000' });
    expect(env.PATH).toBeUndefined();
    expect(env.LLM_API_KEY).toBeUndefined();
    expect(env.placeholder).toBeUndefined();
  });

  it('leaves the environment alone without a secret, and names the variable when the secret is not JSON', async () => {
    const env = { LLM_MODEL: 'x' };
    expect(await withProviderCredentials(env, secretsWith('{}'))).toBe(env);
    await expect(withProviderCredentials({ PROVIDER_SECRET_ARN: PROVIDER_SECRET }, secretsWith('not json'))).rejects.toThrow(/PROVIDER_SECRET_ARN/);
  });
});

describe('preview origins on AWS', () => {
  it('gives each preview its own origin under the preview domain, and says how to get one without it', () => {
    expect(awsPreviewUrl('preview.example.com', 'ab'.repeat(16))).toBe(`https://p-${'ab'.repeat(16)}.preview.example.com/`);
    expect(() => awsPreviewUrl(undefined, 'ab'.repeat(16))).toThrow(expect.objectContaining({ kind: 'conflict', code: 'previews_unavailable', message: expect.stringContaining('-c previewDomain=') }));
  });
});
