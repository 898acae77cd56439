import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from './nag';
import { REPO_ROOT, repoPath } from './repo';

export interface FunctionNetwork {
  vpc: IVpc;
  subnets: SubnetSelection;
  securityGroups: ISecurityGroup[];
}

export interface NodeFunctionProps {
  /** Source file relative to the repository root, exporting `handler`. */
  entry: string;
  description: string;
  memoryMb?: number;
  timeoutSeconds?: number;
  environment?: Record<string, string>;
  /** Runs the function in these subnets (to reach the database); without it the function is outside any VPC. */
  network?: FunctionNetwork;
  logRetention?: RetentionDays;
  /** Extra shell steps around esbuild, e.g. copying files into the bundle. */
  commandHooks?: ICommandHooks;
}

export const DEFAULT_MEMORY_MB = 512;
export const DEFAULT_TIMEOUT_SECONDS = 10;

/**
 * esbuild's ESM output has no `require`, `__filename` or `__dirname`; bundled CommonJS dependencies (pino) and our own
 * code (shared/db/client.ts resolves the migrations folder from `__dirname`) need them.
 */
export const ESM_COMPAT_BANNER = [
  "import { createRequire as __prlCreateRequire } from 'node:module';",
  "import { fileURLToPath as __prlFileURLToPath } from 'node:url';",
  "import { dirname as __prlDirname } from 'node:path';",
  'const require = __prlCreateRequire(import.meta.url);',
  'const __filename = __prlFileURLToPath(import.meta.url);',
  'const __dirname = __prlDirname(__filename);',
].join(' ');

/**
 * Never bundled: the AWS SDK v3 is in the Lambda runtime; PGlite (the embedded database) is only imported when there
 * is no DATABASE_URL, which never happens on Lambda, and would add megabytes to every function.
 */
export const EXTERNAL_MODULES = ['@aws-sdk/*', '@electric-sql/pglite'];

/**
 * A Lambda function from a TypeScript entry: Node 22 on arm64, an ESM bundle (minified, with source maps) built by
 * the local esbuild, its own log group with a retention, and its own role that starts with nothing but its log group
 * (and, in a VPC, the network interfaces Lambda manages for it). Grants are added by the caller.
 */
export class NodeFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.entry}: ${props.description}`.slice(0, 1000),
    });
    // Instead of AWSLambdaBasicExecutionRole, which may write to any log group.
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    if (props.network) {
      // What AWSLambdaVPCAccessExecutionRole grants: Lambda creates and removes the function's network interfaces.
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
      acknowledge(
        this.role,
        'AwsSolutions-IAM5[Resource::*]',
        'Lambda manages the VPC network interfaces of the function with these EC2 actions; the Describe actions have no resource-level permissions, and the interfaces do not exist before Lambda creates them.',
      );
    }

    this.fn = new NodejsFunction(this, 'Function', {
      entry: repoPath(props.entry),
      handler: 'handler',
      description: props.description.slice(0, 256),
      projectRoot: REPO_ROOT,
      depsLockFilePath: repoPath('package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb ?? DEFAULT_MEMORY_MB,
      timeout: Duration.seconds(props.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS),
      role: this.role,
      logGroup: this.logGroup,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      vpc: props.network?.vpc,
      vpcSubnets: props.network?.subnets,
      securityGroups: props.network?.securityGroups,
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        banner: ESM_COMPAT_BANNER,
        externalModules: EXTERNAL_MODULES,
        forceDockerBundling: false,
        commandHooks: props.commandHooks,
      },
    });
    acknowledge(
      this.fn,
      'AwsSolutions-L1',
      'The project runs on Node 22 everywhere (package.json engines, the node@22 devDependency, the local runtime), so Lambda runs nodejs22.x, which AWS supports until 2027; moving to a newer runtime is a project-wide upgrade.',
    );
  }
}
