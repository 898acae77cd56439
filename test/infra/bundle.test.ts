import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { DatabaseMigrations } from '../../infra/constructs/database-migrations';
import { REPO_ROOT } from '../../infra/constructs/repo';
import { withDatabase } from '../support/db';

/**
 * The one test that really bundles: the migrations function is built by the CDK with the local esbuild, then its
 * bundle runs in a separate Node process the way Lambda runs it (ESM, the AWS SDK from outside the bundle), talking
 * to a local stand-in for Secrets Manager and answering CloudFormation on a local response URL. With DATABASE_URL
 * set it migrates a fresh database on that server; without it, it must report the connection failure.
 */
let assetDir: string;
let server: Server;
let baseUrl: string;
const cfnResponses: Record<string, unknown>[] = [];
let secretString = '';

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => resolve(body));
  });

beforeAll(async () => {
  const app = new App();
  const stack = new Stack(app, 'Bundle');
  const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'p', subnetType: SubnetType.PRIVATE_ISOLATED }] });
  new DatabaseMigrations(stack, 'Migrations', {
    secret: new Secret(stack, 'Db'),
    network: { vpc, subnets: { subnetType: SubnetType.PRIVATE_ISOLATED }, securityGroups: [new SecurityGroup(stack, 'Sg', { vpc })] },
    dependsOn: [],
  });
  const assembly = app.synth();
  const dirs = readdirSync(assembly.directory).filter((d) => d.startsWith('asset.'));
  assetDir = path.join(assembly.directory, dirs.find((d) => existsSync(path.join(assembly.directory, d, 'migrations')))!);
  // Lambda's runtime provides the AWS SDK; here the repository's node_modules stands in for it.
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(assetDir, 'node_modules'));

  server = createServer(async (req, res) => {
    const body = await read(req);
    if (req.method === 'PUT' && req.url === '/cfn-response') {
      cfnResponses.push(JSON.parse(body));
      res.writeHead(200).end();
    } else if (req.headers['x-amz-target'] === 'secretsmanager.GetSecretValue') {
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ ARN: SecretId, Name: 'db', VersionId: 'v1', SecretString: secretString }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

function invoke(requestType: 'Create' | 'Delete', env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const event = {
    RequestType: requestType,
    ResponseURL: `${baseUrl}/cfn-response`,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/proliferate-data/1',
    RequestId: `req-${cfnResponses.length}`,
    LogicalResourceId: 'Migrations',
    PhysicalResourceId: requestType === 'Delete' ? 'proliferate-database-migrations' : undefined,
    ResourceProperties: { MigrationsHash: 'h' },
  };
  const script = [
    `const m = await import(${JSON.stringify(pathToFileURL(path.join(assetDir, 'index.mjs')).href)});`,
    `const out = await m.handler(${JSON.stringify(event)}, { getRemainingTimeInMillis: () => 60000 });`,
    'console.log(JSON.stringify(out));',
  ].join('\n');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
      cwd: assetDir,
      env: {
        PATH: process.env.PATH,
        LAMBDA_TASK_ROOT: assetDir,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL: baseUrl,
        DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf',
        LOG_LEVEL: 'silent',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the bundled migrations function', () => {
  it('is an ESM bundle with the migrations next to it and the AWS SDK left out', () => {
    const bundle = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
    expect(readdirSync(path.join(assetDir, 'migrations')).some((f) => f.endsWith('.sql'))).toBe(true);
    expect(existsSync(path.join(assetDir, 'migrations', 'meta', '_journal.json'))).toBe(true);
    expect(bundle).toContain('@aws-sdk/client-secrets-manager');
    expect(bundle).not.toContain('GetSecretValueCommand=class');
    expect(existsSync(path.join(assetDir, 'index.mjs.map'))).toBe(true);
  });

  it('loads as Lambda loads it and answers a Delete without touching the database', async () => {
    const run = await invoke('Delete');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ status: 'SUCCESS', reason: 'migrations are never rolled back' });
    expect(cfnResponses.at(-1)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'proliferate-database-migrations' });
  }, 30_000);

  const serverUrl = process.env.DATABASE_URL;
  (serverUrl ? it : it.skip)('migrates a real database on Create, from the secret it reads', async () => {
    const { default: postgres } = await import('postgres');
    const name = `bundle_${process.pid}`;
    const admin = postgres(serverUrl!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}"`);
    await admin.unsafe(`CREATE DATABASE "${name}"`);
    try {
      const url = new URL(withDatabase(serverUrl!, name));
      secretString = JSON.stringify({
        username: decodeURIComponent(url.username),
        // CI's server trusts local connections; Secrets Manager always holds a password, so send one it will ignore.
        password: decodeURIComponent(url.password) || 'trust-auth-ignores-this',
        host: url.hostname,
        port: Number(url.port || 5432),
        dbname: name,
      });
      // The development server here has no TLS; RDS Proxy and Aurora do, and the function requires it by default.
      const run = await invoke('Create', { DATABASE_SSLMODE: new URL(serverUrl!).searchParams.get('sslmode') ?? 'disable' });
      expect(cfnResponses.at(-1)).toMatchObject({ Status: 'SUCCESS', Reason: 'migrations applied' });
      expect(run.code).toBe(0);
      const db = postgres(withDatabase(serverUrl!, name), { max: 1, onnotice: () => {} });
      const tables = await db`select count(*)::int as n from information_schema.tables where table_schema = 'public'`;
      await db.end();
      expect(tables[0].n).toBeGreaterThan(5);
    } finally {
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  }, 60_000);

  it('answers FAILED with the reason when the database cannot be reached', async () => {
    secretString = JSON.stringify({ username: 'u', password: 'p', host: '127.0.0.1', port: 1, dbname: 'x' });
    const run = await invoke('Create');
    expect(run.code).toBe(0);
    expect(cfnResponses.at(-1)).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/migrations failed: .*ECONNREFUSED/) });
  }, 30_000);
});
