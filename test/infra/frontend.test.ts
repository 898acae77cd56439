import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HttpApi, WebSocketApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Bucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { FrontendStack } from '../../infra/stacks/frontend-stack';
import { DeploymentNames } from '../../infra/stacks/names';
import { fastApp } from './support/cdk';

function frontend(app: App, options: { siteDir: string; domain?: { domainName: string; certificateArn: string }; preview?: { domainName: string; certificateArn: string } }) {
  const apis = new Stack(app, 'Apis');
  const logs = new Bucket(apis, 'Logs', { objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED });
  return new FrontendStack(app, 'Frontend', {
    names: new DeploymentNames('proliferate'),
    httpApi: new HttpApi(apis, 'Http'),
    webSocketApi: new WebSocketApi(apis, 'Ws'),
    webSocketStage: 'ws',
    logsBucket: logs,
    ...options,
  });
}

describe('FrontendStack', () => {
  it('skips the deployment when the site is not built, and says so', () => {
    const stack = frontend(fastApp(), { siteDir: 'test/infra/fixtures/no-site' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::CDKBucketDeployment', 0);
    template.resourceCountIs('AWS::CloudFront::Distribution', 1);
    const info = stack.node.metadata.filter((m) => m.type === 'aws:cdk:info').map((m) => String(m.data));
    expect(info.join()).toMatch(/does not exist/);
  });

  it('serves a custom domain with its certificate and TLS 1.2 at least, and that is the public URL', () => {
    const stack = frontend(fastApp(), {
      siteDir: 'test/infra/fixtures/no-site',
      domain: { domainName: 'app.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: {
        Aliases: ['app.example.com'],
        ViewerCertificate: { MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
      },
    });
    expect(stack.publicUrl).toBe('https://app.example.com');
  });

  it('serves session previews on their own origins under the preview domain, through the API, uncached; the dashboard may frame them', () => {
    const stack = frontend(fastApp(), {
      siteDir: 'test/infra/fixtures/no-site',
      preview: { domainName: 'preview.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/prv' },
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudFront::Distribution', 2);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: {
        Aliases: ['*.preview.example.com'],
        ViewerCertificate: { AcmCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/prv', MinimumProtocolVersion: 'TLSv1.2_2021' },
        DefaultCacheBehavior: {
          AllowedMethods: Match.arrayWith(['PUT', 'POST', 'DELETE']),
          CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // CachingDisabled
          FunctionAssociations: [{ EventType: 'viewer-request', FunctionARN: Match.anyValue() }],
        },
      },
    });
    template.hasResourceProperties('AWS::CloudFront::Function', { FunctionCode: Match.stringLikeRegexp('x-preview-host') });
    const policies = template.findResources('AWS::CloudFront::ResponseHeadersPolicy');
    const csp = JSON.stringify(policies);
    expect(csp).toContain('frame-src \'self\' https://*.preview.example.com');
  });

  it('refuses a WebSocket stage whose name is not the /ws path', () => {
    const app = fastApp();
    const apis = new Stack(app, 'Apis');
    expect(
      () =>
        new FrontendStack(app, 'Frontend', {
          names: new DeploymentNames('proliferate'),
          httpApi: new HttpApi(apis, 'Http'),
          webSocketApi: new WebSocketApi(apis, 'Ws'),
          webSocketStage: 'prod',
          logsBucket: new Bucket(apis, 'Logs'),
          siteDir: 'test/infra/fixtures/no-site',
        }),
    ).toThrow(/'ws'/);
  });
});
