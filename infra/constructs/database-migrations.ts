import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CustomResource } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IDependable } from 'constructs';
import { NodeFunction, type FunctionNetwork } from './node-function';
import { REPO_ROOT } from './repo';

export interface DatabaseMigrationsProps {
  /** The cluster's credentials; the function connects to the host they name. */
  secret: ISecret;
  network: FunctionNetwork;
  /** What must exist before migrating: the cluster and its instances, the security group rules. */
  dependsOn: IDependable[];
  /** Relative to the repository root. */
  migrationsDir?: string;
}

export const MIGRATIONS_DIR = 'shared/db/migrations';

/** A digest of every file under a folder (paths and contents), so any change to the migrations changes it. */
export function hashFolder(dir: string): string {
  const hash = createHash('sha256');
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) hash.update(path.relative(dir, full)).update('\0').update(readFileSync(full)).update('\0');
    }
  };
  walk(dir);
  return hash.digest('hex');
}

/**
 * Applies the repository's SQL migrations on deploy: a custom resource backed by functions/custom/migrate.ts (bundled
 * with the migrations folder), whose properties carry the folder's hash so that CloudFormation calls it again exactly
 * when the migrations change.
 */
export class DatabaseMigrations extends Construct {
  readonly handler: NodeFunction;
  readonly resource: CustomResource;
  readonly hash: string;

  constructor(scope: Construct, id: string, props: DatabaseMigrationsProps) {
    super(scope, id);
    const relativeDir = props.migrationsDir ?? MIGRATIONS_DIR;
    this.hash = hashFolder(path.join(REPO_ROOT, relativeDir));

    this.handler = new NodeFunction(this, 'Handler', {
      entry: 'functions/custom/migrate.ts',
      description: 'Applies the database migrations on deploy (CloudFormation custom resource)',
      timeoutSeconds: 300,
      memoryMb: 512,
      network: props.network,
      environment: { DATABASE_SECRET_ARN: props.secret.secretArn },
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (inputDir: string, outputDir: string) => [
          `cp -R "${path.posix.join(inputDir, relativeDir)}" "${path.posix.join(outputDir, 'migrations')}"`,
        ],
      },
    });
    this.handler.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.secret.secretArn] }),
    );

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.handler.fn.functionArn,
      resourceType: 'Custom::DatabaseMigrations',
      properties: { MigrationsHash: this.hash },
    });
    // The role's policy too: without it the first call could not read the secret.
    this.resource.node.addDependency(this.handler, ...props.dependsOn);
  }
}
