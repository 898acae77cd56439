import { Construct } from 'constructs';
import type { FunctionSpec } from '../manifest';
import { grantManifestAccess, type AccessResources } from './function-access';
import { NodeFunction, type FunctionNetwork } from './node-function';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { REPO_ROOT } from './repo';

export interface ManifestFunctionProps {
  name: string;
  spec: FunctionSpec;
  resources: AccessResources;
  /** Where functions that reach the database run. */
  network?: FunctionNetwork;
  logRetention?: RetentionDays;
}

/**
 * One function of infra/manifest.ts: its entry bundled, its memory and timeout, inside the VPC when it reaches the
 * database, and granted exactly what its `access` list names.
 */
export class ManifestFunction extends NodeFunction {
  readonly name: string;
  readonly spec: FunctionSpec;

  constructor(scope: Construct, id: string, props: ManifestFunctionProps) {
    if (props.spec.localOnly) throw new Error(`function ${props.name} is local-only and is never deployed`);
    const inVpc = props.spec.access.includes('db');
    if (inVpc && !props.network) throw new Error(`function ${props.name} reaches the database but has no network`);
    super(scope, id, {
      entry: props.spec.entry,
      description: props.spec.description,
      memoryMb: props.spec.memoryMb,
      timeoutSeconds: props.spec.timeoutSeconds,
      network: inVpc ? props.network : undefined,
      logRetention: props.logRetention,
      commandHooks: props.spec.carriesDaemon ? withDaemonBundle() : undefined,
    });
    this.name = props.name;
    this.spec = props.spec;
    const env = grantManifestAccess(props.name, this, props.spec, props.resources);
    for (const [key, value] of Object.entries(env)) this.fn.addEnvironment(key, value);
  }
}

/**
 * The functions that create sandboxes (`carriesDaemon`) carry the daemon next to their handler (providers copy it into
 * each sandbox): it is built from this checkout as the function is bundled. Other functions with sandbox access (they
 * read sandboxes' state or reach their ports) do without its 1.7 MB.
 */
function withDaemonBundle(): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) => [
      `cd "${REPO_ROOT}" && npx tsx scripts/build-sandbox.ts > /dev/null && cp dist/sandbox/daemon.js "${outputDir}/daemon.js"`,
    ],
  };
}
