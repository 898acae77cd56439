import { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';

/** An app that skips esbuild: templates are asserted, not bundles (one test bundles for real). */
export const fastApp = (context: Record<string, unknown> = {}) =>
  new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });

export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

/** Every policy statement a template holds: IAM policies, roles' inline policies, bucket, queue and key policies. */
export function statementsOf(template: Template): { resource: string; statement: Statement }[] {
  const found: { resource: string; statement: Statement }[] = [];
  for (const [id, r] of Object.entries((template.toJSON().Resources ?? {}) as Record<string, { Type: string; Properties?: Record<string, unknown> }>)) {
    const p = r.Properties ?? {};
    const documents: unknown[] = [];
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') documents.push(p.PolicyDocument);
    if (r.Type === 'AWS::IAM::Role') documents.push(...((p.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map((x) => x.PolicyDocument));
    if (r.Type === 'AWS::S3::BucketPolicy' || r.Type === 'AWS::SQS::QueuePolicy' || r.Type === 'AWS::SNS::TopicPolicy') documents.push(p.PolicyDocument);
    if (r.Type === 'AWS::KMS::Key') documents.push(p.KeyPolicy);
    for (const doc of documents) {
      for (const statement of (doc as { Statement: Statement[] }).Statement) found.push({ resource: id, statement });
    }
  }
  return found;
}

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** `*` or `service:*`: what no Allow statement may grant. */
export const isWildcardAction = (action: string) => action === '*' || /^[a-z0-9-]+:\*$/i.test(action);
