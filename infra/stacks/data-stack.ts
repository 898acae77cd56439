import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  AuroraPostgresEngineVersion,
  ClusterInstance,
  Credentials,
  DatabaseCluster,
  DatabaseClusterEngine,
  DatabaseProxy,
  ProxyTarget,
} from 'aws-cdk-lib/aws-rds';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { DatabaseMigrations } from '../constructs/database-migrations';
import { accountKeyPolicy } from '../constructs/key-policy';
import { acknowledge } from '../constructs/nag';
import type { FunctionNetwork } from '../constructs/node-function';
import type { DeploymentNames } from './names';

export interface DatabaseSettings {
  /** Aurora capacity units the writer never goes below; 0.5 keeps it warm (0 would pause it, see the README). */
  minCapacity?: number;
  maxCapacity?: number;
  /** Connect functions through RDS Proxy (the default) or straight to the cluster. */
  proxy?: boolean;
  /** Keeps the cluster from being deleted with the stack. */
  deletionProtection?: boolean;
}

export interface DataStackProps extends StackProps {
  names: DeploymentNames;
  database?: DatabaseSettings;
  logRetention?: RetentionDays;
}

export const DATABASE_USER = 'proliferate';
export const DATABASE_NAME = 'proliferate';
/** RDS Proxy serves PostgreSQL on 5432; the cluster listens elsewhere (cdk-nag RDS11), reached only by the proxy. */
const PROXY_PORT = 5432;
const CLUSTER_PORT = 5433;

/**
 * State: the network, Aurora PostgreSQL (Serverless v2) behind RDS Proxy with its migrations applied on deploy, the
 * objects bucket, the access-log bucket, the keys and the secrets.
 */
export class DataStack extends Stack {
  readonly vpc: Vpc;
  /** Where functions that reach the database run, and the security group the database admits. */
  readonly functionNetwork: FunctionNetwork;
  readonly cluster: DatabaseCluster;
  readonly databaseSecret: ISecret;
  readonly proxy?: DatabaseProxy;
  /** Where functions connect: the proxy's endpoint, or the cluster's writer without a proxy. */
  readonly databaseEndpoint: { host: string; port: string };
  readonly authSecret: Secret;
  /** Sandbox provider and model credentials (JSON), filled in by the operator after the first deploy. */
  readonly providerSecret: Secret;
  readonly objectsBucket: Bucket;
  readonly logsBucket: Bucket;
  /** For envelope encryption of secrets the product stores (KeysPort). */
  readonly envelopeKey: Key;
  readonly migrations: DatabaseMigrations;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { names } = props;
    const settings = {
      minCapacity: props.database?.minCapacity ?? 0.5,
      maxCapacity: props.database?.maxCapacity ?? 4,
      proxy: props.database?.proxy ?? true,
      deletionProtection: props.database?.deletionProtection ?? true,
    };
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    this.logsBucket = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // CloudFront's standard logs are delivered with an ACL.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // S3 server access logs of buckets in other stacks (the site), without naming them here.
    this.logsBucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'S3ServerAccessLogsFromThisAccount',
        principals: [new ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.logsBucket.arnForObjects('s3/*')],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    acknowledge(this.logsBucket, 'AwsSolutions-S1', 'This bucket receives the access logs of the other buckets and CloudFront; logging it into itself would loop.');

    // One NAT gateway: functions reach AWS APIs and the sandbox providers through it. Two would survive an AZ outage
    // for another ~$33 a month.
    this.vpc = new Vpc(this, 'Network', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'functions', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'data', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      // Free, and keeps S3 traffic off the NAT gateway's per-GB charge.
      gatewayEndpoints: { s3: { service: GatewayVpcEndpointAwsService.S3 } },
    });
    this.vpc.addFlowLog('FlowLogs', {
      destination: FlowLogDestination.toS3(this.logsBucket, 'vpc-flow-logs/'),
      trafficType: FlowLogTrafficType.ALL,
    });

    const functionsSg = new SecurityGroup(this, 'FunctionsSecurityGroup', {
      vpc: this.vpc,
      description: 'Lambda functions that reach the database',
      allowAllOutbound: true,
    });
    const migrationsSg = new SecurityGroup(this, 'MigrationsSecurityGroup', {
      vpc: this.vpc,
      description: 'The migrations custom resource',
      allowAllOutbound: true,
    });
    const databaseSg = new SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc: this.vpc,
      description: 'Aurora PostgreSQL',
      allowAllOutbound: false,
    });
    this.functionNetwork = {
      vpc: this.vpc,
      subnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [functionsSg],
    };

    const storageKey = new Key(this, 'DatabaseKey', {
      description: `${names.prefix}: Aurora storage encryption`,
      enableKeyRotation: true,
      policy: accountKeyPolicy(),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.envelopeKey = new Key(this, 'EnvelopeKey', {
      description: `${names.prefix}: envelope encryption of stored secrets`,
      alias: `alias/${names.prefix}/envelope`,
      enableKeyRotation: true,
      policy: accountKeyPolicy(),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Created here with a retention, rather than by RDS with none.
    const databaseLogs = new LogGroup(this, 'DatabaseLogs', {
      logGroupName: `/aws/rds/cluster/${names.databaseCluster}/postgresql`,
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.cluster = new DatabaseCluster(this, 'Database', {
      engine: DatabaseClusterEngine.auroraPostgres({ version: AuroraPostgresEngineVersion.VER_16_6 }),
      clusterIdentifier: names.databaseCluster,
      writer: ClusterInstance.serverlessV2('Writer', { publiclyAccessible: false, autoMinorVersionUpgrade: true }),
      serverlessV2MinCapacity: settings.minCapacity,
      serverlessV2MaxCapacity: settings.maxCapacity,
      vpc: this.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
      securityGroups: [databaseSg],
      credentials: Credentials.fromGeneratedSecret(DATABASE_USER),
      defaultDatabaseName: DATABASE_NAME,
      port: CLUSTER_PORT,
      storageEncrypted: true,
      storageEncryptionKey: storageKey,
      iamAuthentication: true,
      deletionProtection: settings.deletionProtection,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      backup: { retention: Duration.days(7) },
      cloudwatchLogsExports: ['postgresql'],
      copyTagsToSnapshot: true,
    });
    this.cluster.node.addDependency(databaseLogs);
    if (!settings.deletionProtection) {
      acknowledge(
        this.cluster,
        'AwsSolutions-RDS10',
        'Deletion protection was turned off on purpose (deletionProtection=false) for a disposable environment; the default keeps it on.',
      );
    }
    this.databaseSecret = this.cluster.secret!;
    acknowledge(
      this.cluster.node.findChild('Secret'),
      'AwsSolutions-SMG4',
      'Functions read these credentials once per cold start and connect with the password; a single-user rotation would lock warm functions out until they are recycled. Rotation comes with IAM authentication to the proxy (the grant is in place) or a password callback in shared/db/client.ts.',
    );

    if (settings.proxy) {
      const proxySg = new SecurityGroup(this, 'ProxySecurityGroup', {
        vpc: this.vpc,
        description: 'RDS Proxy in front of Aurora',
        allowAllOutbound: false,
      });
      this.proxy = new DatabaseProxy(this, 'Proxy', {
        proxyTarget: ProxyTarget.fromCluster(this.cluster),
        secrets: [this.databaseSecret],
        vpc: this.vpc,
        vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
        securityGroups: [proxySg],
        requireTLS: true,
        iamAuth: false,
        idleClientTimeout: Duration.minutes(15),
      });
      proxySg.addIngressRule(functionsSg, Port.tcp(PROXY_PORT), 'functions to the proxy');
      proxySg.addEgressRule(databaseSg, Port.tcp(CLUSTER_PORT), 'the proxy to the cluster');
      databaseSg.addIngressRule(proxySg, Port.tcp(CLUSTER_PORT), 'the proxy to the cluster');
      this.databaseEndpoint = { host: this.proxy.endpoint, port: String(PROXY_PORT) };
    } else {
      databaseSg.addIngressRule(functionsSg, Port.tcp(CLUSTER_PORT), 'functions to the cluster');
      this.databaseEndpoint = { host: this.cluster.clusterEndpoint.hostname, port: String(CLUSTER_PORT) };
    }
    databaseSg.addIngressRule(migrationsSg, Port.tcp(CLUSTER_PORT), 'migrations to the cluster');

    this.migrations = new DatabaseMigrations(this, 'Migrations', {
      secret: this.databaseSecret,
      network: { vpc: this.vpc, subnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS }, securityGroups: [migrationsSg] },
      dependsOn: [this.cluster, databaseSg],
    });

    this.authSecret = new Secret(this, 'AuthSecret', {
      description: `${names.prefix}: signs auth sessions (BETTER_AUTH_SECRET)`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    acknowledge(
      this.authSecret,
      'AwsSolutions-SMG4',
      'Rotating the session signing secret signs everyone out; it is rotated by hand, at a time chosen for it.',
    );

    this.providerSecret = new Secret(this, 'ProviderSecret', {
      description:
        `${names.prefix}: sandbox and model credentials, a JSON object with any of SANDBOX_PROVIDER, E2B_API_KEY, ` +
        'E2B_TEMPLATE, MODAL_TOKEN_ID, MODAL_TOKEN_SECRET, MODAL_APP_NAME, LLM_BASE_URL, LLM_API_KEY, LLM_MODEL',
      // Created as {"placeholder": …}: the operator puts the real credentials in after deploying.
      generateSecretString: { secretStringTemplate: '{}', generateStringKey: 'placeholder', passwordLength: 16 },
    });
    acknowledge(
      this.providerSecret,
      'AwsSolutions-SMG4',
      'Third-party API keys (E2B, Modal, the model endpoint) are rotated at their providers, then pasted here by hand.',
    );

    this.objectsBucket = new Bucket(this, 'Objects', {
      bucketName: names.objectsBucket,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      serverAccessLogsBucket: this.logsBucket,
      serverAccessLogsPrefix: 's3/objects/',
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(7) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
