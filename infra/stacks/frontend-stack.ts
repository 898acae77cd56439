import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Annotations, CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { IHttpApi, IWebSocketApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  FunctionEventType,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
  type BehaviorOptions,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, CfnBucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { contentSecurityPolicy, inlineScriptHashes } from '../constructs/content-security-policy';
import { PreviewOrigins } from '../constructs/preview-origins';
import { acknowledge, acknowledgeWildcardResource } from '../constructs/nag';
import { REPO_ROOT } from '../constructs/repo';
import { SpaRouting } from '../constructs/spa-routing';
import type { DeploymentNames } from './names';

export interface CustomDomain {
  /** e.g. `app.example.com`; PUBLIC_URL becomes `https://app.example.com`. */
  domainName: string;
  /** An ACM certificate in us-east-1 covering the domain. */
  certificateArn: string;
}

export interface FrontendStackProps extends StackProps {
  names: DeploymentNames;
  httpApi: IHttpApi;
  webSocketApi: IWebSocketApi;
  webSocketStage: string;
  /** Receives CloudFront's and the site bucket's access logs (its policy admits S3 log delivery under `s3/`). */
  logsBucket: IBucket;
  /** The built dashboard; deployed only when it exists at synth time. Relative to the repository root. */
  siteDir?: string;
  domain?: CustomDomain;
  /** Session previews at `p-<token>.<domainName>` (a certificate for `*.<domainName>`); without it, AWS has no previews. */
  preview?: CustomDomain;
  /** A WAF web ACL (CloudFront scope, us-east-1) to attach. */
  webAclArn?: string;
  logRetention?: RetentionDays;
}

export const SITE_DIR = 'dist/frontend/browser';

/**
 * The dashboard on one origin: CloudFront serves the built app from a private bucket (origin access control), routes
 * `/api/*` to the HTTP API and `/ws` to the WebSocket API uncached, answers client-side routes with index.html, and
 * adds security headers.
 */
export class FrontendStack extends Stack {
  readonly distribution: Distribution;
  readonly siteBucket: Bucket;
  readonly deployment?: BucketDeployment;
  readonly publicUrl: string;
  readonly previews?: PreviewOrigins;

  constructor(scope: Construct, id: string, props: FrontendStackProps) {
    super(scope, id, props);
    const siteDir = path.resolve(REPO_ROOT, props.siteDir ?? SITE_DIR);
    const indexFile = path.join(siteDir, 'index.html');
    const built = existsSync(indexFile);

    this.siteBucket = new Bucket(this, 'Site', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Set on the resource: the L2 option would add this stack's bucket to the logs bucket's policy in the data stack,
    // a reference back to this stack. The data stack admits S3 log delivery under `s3/` instead.
    (this.siteBucket.node.defaultChild as CfnBucket).loggingConfiguration = {
      destinationBucketName: props.logsBucket.bucketName,
      logFilePrefix: 's3/site/',
    };

    const scriptHashes = built ? inlineScriptHashes(readFileSync(indexFile, 'utf8')) : [];
    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: `${props.names.prefix}: security headers`,
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: contentSecurityPolicy({
            scriptHashes,
            socketOrigins: props.domain ? [`wss://${props.domain.domainName}`] : [],
            frameOrigins: props.preview ? [`https://*.${props.preview.domainName}`] : [],
          }),
          override: true,
        },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
        xssProtection: { protection: true, modeBlock: true, override: true },
      },
    });

    const uncached = (origin: HttpOrigin, allowedMethods: AllowedMethods): BehaviorOptions => ({
      origin,
      allowedMethods,
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      cachePolicy: CachePolicy.CACHING_DISABLED,
      // Cookies, query strings and headers reach the API; Host does not (API Gateway answers only to its own).
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: headers,
      compress: true,
    });
    const apiDomain = (endpoint: string) => Fn.select(2, Fn.split('/', endpoint));
    const apiOrigin = new HttpOrigin(apiDomain(props.httpApi.apiEndpoint), {
      protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
    });
    // `/ws` on the distribution is `/ws` on the API: the stage has the same name, so no origin path is needed.
    const socketOrigin = new HttpOrigin(apiDomain(props.webSocketApi.apiEndpoint), {
      protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
    });
    if (props.webSocketStage !== 'ws') throw new Error(`the WebSocket stage must be named 'ws' to be served at /ws`);

    const spa = new SpaRouting(this, 'SpaRouting');
    this.distribution = new Distribution(this, 'Cdn', {
      comment: `${props.names.prefix}: dashboard, /api and /ws`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.siteBucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        functionAssociations: [{ function: spa.function, eventType: FunctionEventType.VIEWER_REQUEST }],
        compress: true,
      },
      additionalBehaviors: {
        '/api/*': uncached(apiOrigin, AllowedMethods.ALLOW_ALL),
        '/ws': uncached(socketOrigin, AllowedMethods.ALLOW_GET_HEAD),
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: props.logsBucket,
      logFilePrefix: 'cloudfront/',
      domainNames: props.domain ? [props.domain.domainName] : undefined,
      certificate: props.domain
        ? Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn)
        : undefined,
      minimumProtocolVersion: props.domain ? SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      webAclId: props.webAclArn,
    });
    if (props.preview) {
      this.previews = new PreviewOrigins(this, 'Previews', {
        ...props.preview,
        apiOrigin,
        logsBucket: props.logsBucket,
        prefix: props.names.prefix,
        webAclArn: props.webAclArn,
      });
    }
    this.publicUrl = props.domain
      ? `https://${props.domain.domainName}`
      : `https://${this.distribution.distributionDomainName}`;

    acknowledge(this.distribution, 'AwsSolutions-CFR1', 'The product is used worldwide; there is no country to exclude.');
    if (!props.webAclArn) {
      acknowledge(
        this.distribution,
        'AwsSolutions-CFR2',
        'No WAF by default (about $5 a month plus $1 per rule and per million requests); the API enforces its own rate limits. Pass -c webAclArn=… to attach one.',
      );
    }
    if (!props.domain) {
      acknowledge(
        this.distribution,
        'AwsSolutions-CFR4',
        'Without a custom domain CloudFront serves its own *.cloudfront.net certificate, whose TLS policy cannot be chosen. With -c domainName=… -c certificateArn=… the minimum is TLS 1.2 (2021).',
      );
    }

    if (built) {
      const deployLogs = new LogGroup(this, 'DeployLogs', {
        retention: props.logRetention ?? RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      // Our own role, so the deployment function writes to its log group only (not AWSLambdaBasicExecutionRole).
      const deployRole = new Role(this, 'DeployRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
      deployRole.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [deployLogs.logGroupArn] }),
      );
      this.deployment = new BucketDeployment(this, 'Deploy', {
        sources: [Source.asset(siteDir)],
        destinationBucket: this.siteBucket,
        distribution: this.distribution,
        distributionPaths: ['/*'],
        prune: true,
        memoryLimit: 512,
        logGroup: deployLogs,
        role: deployRole,
      });
      acknowledgeBucketDeployment(this, deployRole, this.siteBucket);
    } else {
      Annotations.of(this).addInfo(`${path.relative(REPO_ROOT, siteDir)} does not exist: the dashboard is not deployed (npm run build first).`);
    }

    new CfnOutput(this, 'Url', { value: this.publicUrl });
  }
}

/**
 * The CDK's deployment function copies the built site from the asset bucket into the site bucket and invalidates
 * the distribution; its grants are the CDK's own (prefix wildcards on those two buckets) and cannot be narrowed.
 */
function acknowledgeBucketDeployment(stack: Stack, role: Role, site: IBucket): void {
  const copy = 'The CDK deployment function lists, reads, writes and prunes the site files; its grants are the CDK\'s own, limited to the asset bucket and the site bucket.';
  for (const action of ['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*']) {
    acknowledge(role, `AwsSolutions-IAM5[Action::${action}]`, copy);
  }
  acknowledgeWildcardResource(role, `${site.bucketArn}/*`, copy);
  acknowledge(
    role,
    'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
    'The built site is read from the CDK bootstrap asset bucket, where `cdk deploy` uploaded it.',
  );
  acknowledge(
    role,
    'AwsSolutions-IAM5[Resource::*]',
    'CloudFront invalidations (cloudfront:CreateInvalidation/GetInvalidation) are granted by the CDK on every distribution.',
  );
  const handler = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
  if (handler) {
    acknowledge(
      handler,
      'AwsSolutions-L1',
      'The CDK chooses and updates the runtime of its own deployment function; it runs only during deploys.',
    );
  }
}
