import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { DatabaseMigrations, hashFolder, MIGRATIONS_DIR } from '../../../infra/constructs/database-migrations';
import { REPO_ROOT } from '../../../infra/constructs/repo';
import { actionsOf, fastApp, statementsOf } from '../support/cdk';

describe('hashFolder', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('changes when a file, its name or a nested file changes, and only then', () => {
    writeFileSync(path.join(dir, '0000_a.sql'), 'create table a ();');
    mkdirSync(path.join(dir, 'meta'));
    writeFileSync(path.join(dir, 'meta', '_journal.json'), '{}');
    const first = hashFolder(dir);
    expect(hashFolder(dir)).toBe(first);

    writeFileSync(path.join(dir, 'meta', '_journal.json'), '{"entries":[]}');
    const second = hashFolder(dir);
    writeFileSync(path.join(dir, '0001_b.sql'), 'create table b ();');
    const third = hashFolder(dir);

    expect(new Set([first, second, third]).size).toBe(3);
  });
});

describe('DatabaseMigrations', () => {
  const stack = new Stack(fastApp(), 'Data');
  const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'p', subnetType: SubnetType.PRIVATE_ISOLATED }] });
  const secret = new Secret(stack, 'DbSecret');
  const database = new SecurityGroup(stack, 'DatabaseSg', { vpc });
  const migrations = new DatabaseMigrations(stack, 'Migrations', {
    secret,
    network: { vpc, subnets: { subnetType: SubnetType.PRIVATE_ISOLATED }, securityGroups: [new SecurityGroup(stack, 'Sg', { vpc })] },
    dependsOn: [database],
  });
  const template = Template.fromStack(stack);

  it('calls its function with the hash of the repository’s migrations', () => {
    template.hasResource('Custom::DatabaseMigrations', {
      Properties: {
        ServiceToken: { 'Fn::GetAtt': [stack.getLogicalId(migrations.handler.fn.node.defaultChild as never), 'Arn'] },
        MigrationsHash: hashFolder(path.join(REPO_ROOT, MIGRATIONS_DIR)),
      },
    });
  });

  it('waits for what it needs: the database’s security group and its own role policy', () => {
    const resource = Object.values(template.findResources('Custom::DatabaseMigrations'))[0] as { DependsOn: string[] };
    expect(resource.DependsOn).toEqual(expect.arrayContaining([stack.getLogicalId(database.node.defaultChild as never)]));
    expect(resource.DependsOn.some((d) => d.startsWith('MigrationsHandlerRoleDefaultPolicy'))).toBe(true);
  });

  it('runs in the VPC with 5 minutes and may read only the database secret', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 300,
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
      Environment: { Variables: { DATABASE_SECRET_ARN: { Ref: stack.getLogicalId(secret.node.defaultChild as never) } } },
    });
    const reads = statementsOf(template).filter((s) => actionsOf(s.statement).includes('secretsmanager:GetSecretValue'));
    expect(reads.map((s) => s.statement.Resource)).toEqual([{ Ref: stack.getLogicalId(secret.node.defaultChild as never) }]);
  });
});
