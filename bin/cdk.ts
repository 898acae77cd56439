import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createProliferate, type ProliferateSettings } from '../infra/stacks/proliferate';

/**
 * The CDK app. Stacks are environment-agnostic (no lookups), so `cdk synth` runs offline with no credentials.
 * Settings come from context: `-c prefix=… -c publicUrl=… -c domainName=… -c certificateArn=… -c previewDomain=…
 * -c previewCertificateArn=… -c mailFrom=…
 * -c mailIdentity=… -c webAclArn=… -c siteDir=… -c dbMinCapacity=… -c dbMaxCapacity=… -c rdsProxy=false -c deletionProtection=false`.
 */
export function settingsFrom(app: App): ProliferateSettings {
  const get = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const number = (key: string) => (get(key) === undefined ? undefined : Number(get(key)));
  const flag = (key: string) => (get(key) === undefined ? undefined : get(key) === 'true');
  const domainName = get('domainName');
  const certificateArn = get('certificateArn');
  if (Boolean(domainName) !== Boolean(certificateArn)) throw new Error('domainName and certificateArn go together');
  const previewDomain = get('previewDomain');
  const previewCertificateArn = get('previewCertificateArn');
  if (Boolean(previewDomain) !== Boolean(previewCertificateArn)) throw new Error('previewDomain and previewCertificateArn go together');
  return {
    prefix: get('prefix') ?? 'proliferate',
    publicUrl: get('publicUrl'),
    domain: domainName && certificateArn ? { domainName, certificateArn } : undefined,
    preview: previewDomain && previewCertificateArn ? { domainName: previewDomain, certificateArn: previewCertificateArn } : undefined,
    mailFrom: get('mailFrom') ?? 'Proliferate <no-reply@proliferate.local>',
    mailIdentity: get('mailIdentity'),
    webAclArn: get('webAclArn'),
    siteDir: get('siteDir'),
    database: {
      minCapacity: number('dbMinCapacity'),
      maxCapacity: number('dbMaxCapacity'),
      proxy: flag('rdsProxy'),
      deletionProtection: flag('deletionProtection'),
    },
  };
}

/** An app with every stack and cdk-nag's AWS Solutions checks: a finding without an acknowledgement fails the synth. */
export function buildApp(app = new App()): App {
  createProliferate(app, settingsFrom(app));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (require.main === module) buildApp().synth();
