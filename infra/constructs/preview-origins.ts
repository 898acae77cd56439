import { Duration } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HttpVersion,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
  Function as ViewerFunction,
  type IOrigin,
} from 'aws-cdk-lib/aws-cloudfront';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

/**
 * Every preview is its own origin, `p-<token>.<preview domain>`, so dev servers that use absolute paths work as they
 * are. API Gateway answers only to its own host name, so this viewer-request function moves the viewer's host into
 * `x-preview-host` (the preview proxy reads the token from it) and the path under `/api/_preview`.
 */
export const PREVIEW_ROUTING_CODE = `function handler(event) {
  var request = event.request;
  var host = request.headers.host ? request.headers.host.value : '';
  request.headers['x-preview-host'] = { value: host };
  request.uri = request.uri === '/' ? '/api/_preview' : '/api/_preview' + request.uri;
  return request;
}`;

export interface PreviewOriginsProps {
  /** e.g. `preview.example.com`: previews are served at `p-<token>.preview.example.com`. */
  domainName: string;
  /** An ACM certificate in us-east-1 for `*.<domainName>`. */
  certificateArn: string;
  /** The HTTP API, where the preview proxy function answers `/api/_preview/*`. */
  apiOrigin: IOrigin;
  logsBucket: IBucket;
  prefix: string;
  webAclArn?: string;
}

/** A CloudFront distribution for `*.<preview domain>`, uncached, in front of the preview proxy. */
export class PreviewOrigins extends Construct {
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: PreviewOriginsProps) {
    super(scope, id);
    const routing = new ViewerFunction(this, 'Routing', {
      code: FunctionCode.fromInline(PREVIEW_ROUTING_CODE),
      runtime: FunctionRuntime.JS_2_0,
      comment: 'Preview origins: the viewer host into x-preview-host, the path under /api/_preview',
    });
    // The previewed app sets its own policies; only transport security is added.
    const headers = new ResponseHeadersPolicy(this, 'Headers', {
      comment: `${props.prefix}: preview origins`,
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: false },
      },
    });
    this.distribution = new Distribution(this, 'Cdn', {
      comment: `${props.prefix}: session previews (*.${props.domainName})`,
      defaultBehavior: {
        origin: props.apiOrigin,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        responseHeadersPolicy: headers,
        functionAssociations: [{ function: routing, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      domainNames: [`*.${props.domainName}`],
      certificate: Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: props.logsBucket,
      logFilePrefix: 'cloudfront-previews/',
      webAclId: props.webAclArn,
    });
    acknowledge(this.distribution, 'AwsSolutions-CFR1', 'Previews are opened worldwide; there is no country to exclude.');
    if (!props.webAclArn) {
      acknowledge(this.distribution, 'AwsSolutions-CFR2', 'No WAF by default (cost); every preview request carries an unguessable 128-bit token checked by the proxy.');
    }
  }
}
