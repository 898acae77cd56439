import { Aws } from 'aws-cdk-lib';

/**
 * Names fixed by the deployment's prefix. Resources that other stacks grant access to by wildcard (objects, state
 * machine executions, schedules) get fixed names, so both sides build the same ARN without a cross-stack reference.
 */
export class DeploymentNames {
  constructor(readonly prefix: string) {
    if (!/^[a-z][a-z0-9-]{1,19}$/.test(prefix)) {
      throw new Error(`prefix '${prefix}' must be 2–20 lowercase letters, digits or hyphens, starting with a letter`);
    }
  }

  stack(concern: 'data' | 'messaging' | 'api' | 'workflows' | 'frontend'): string {
    return `${this.prefix}-${concern}`;
  }

  /** S3 names are global: the account and region keep two deployments apart. */
  get objectsBucket(): string {
    return `${this.prefix}-objects-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
  }

  get databaseCluster(): string {
    return `${this.prefix}-db`;
  }

  /** The deployment's own schedules (the manifest's), made by CloudFormation. */
  get scheduleGroup(): string {
    return this.prefix;
  }

  /** The one-off schedules functions make at run time; functions may change only these. */
  get runtimeScheduleGroup(): string {
    return `${this.prefix}-runtime`;
  }

  get eventBus(): string {
    return `${this.prefix}-events`;
  }

  /** `runLifecycle` → `proliferate-run-lifecycle`. */
  stateMachine(workflow: string): string {
    return `${this.prefix}-${workflow.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
  }
}
