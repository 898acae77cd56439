import { Queue } from 'aws-cdk-lib/aws-sqs';
import { buildApp } from '../../bin/cdk';
import { fastApp } from './support/cdk';

describe('cdk-nag in the app', () => {
  it('fails the synth on a finding nobody acknowledged', () => {
    const app = buildApp(fastApp({ siteDir: 'test/infra/fixtures/no-site' }));
    const messaging = app.node.findChild('proliferate-messaging');
    new Queue(messaging, 'Careless'); // no dead-letter queue, no TLS enforcement
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3[\s\S]*AwsSolutions-SQS4|AwsSolutions-SQS4[\s\S]*AwsSolutions-SQS3/);
  });
});
