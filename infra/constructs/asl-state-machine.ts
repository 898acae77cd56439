import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledge } from './nag';
import { REPO_ROOT } from './repo';

export interface AslStateMachineProps {
  /** A fixed name, so functions can be granted its ARN without a reference to the stack that holds it. */
  stateMachineName: string;
  /** The ASL (JSONPath) file, relative to the repository root or absolute. */
  definitionFile: string;
  /** `${Placeholder}` in the file → the function whose ARN replaces it. */
  functions: Record<string, IFunction>;
  /** `${Placeholder}` in the file → the queue whose URL replaces it. */
  queues?: Record<string, IQueue>;
  logRetention?: RetentionDays;
}

const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;

/** The `${Placeholder}` names an ASL definition uses. */
export function placeholdersOf(definition: string): Set<string> {
  return new Set([...definition.matchAll(PLACEHOLDER)].map((m) => m[1]));
}

/**
 * A Standard workflow from one of the repository's ASL files, inlined into the template (so it can be asserted) with
 * its placeholders substituted, logging every event and traced. Its role may invoke exactly the functions and send
 * to exactly the queues the definition names.
 */
export class AslStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: AslStateMachineProps) {
    super(scope, id);
    const file = path.isAbsolute(props.definitionFile) ? props.definitionFile : path.join(REPO_ROOT, props.definitionFile);
    const definition = readFileSync(file, 'utf8');
    JSON.parse(definition); // a broken file fails the synth here, with its name, rather than the deployment
    checkPlaceholders(props.definitionFile, placeholdersOf(definition), [
      ...Object.keys(props.functions),
      ...Object.keys(props.queues ?? {}),
    ]);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(definition),
      definitionSubstitutions: {
        ...Object.fromEntries(Object.entries(props.functions).map(([k, fn]) => [k, fn.functionArn])),
        ...Object.fromEntries(Object.entries(props.queues ?? {}).map(([k, q]) => [k, q.queueUrl])),
      },
      // Execution data carries task tokens and user content; events and errors are enough to follow a run.
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });

    const functionArns = Object.values(props.functions).map((fn) => fn.functionArn);
    if (functionArns.length) {
      this.stateMachine.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: functionArns }));
    }
    const queueArns = Object.values(props.queues ?? {}).map((q) => q.queueArn);
    if (queueArns.length) {
      this.stateMachine.addToRolePolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: queueArns }));
    }
    acknowledge(
      this.stateMachine,
      'AwsSolutions-IAM5[Resource::*]',
      'Step Functions delivers logs through CloudWatch Logs log-delivery APIs and traces through X-Ray, neither of which supports resource-level permissions.',
    );
  }
}

function checkPlaceholders(file: string, used: Set<string>, mapped: string[]): void {
  const unmapped = [...used].filter((p) => !mapped.includes(p));
  const unused = mapped.filter((p) => !used.has(p));
  if (unmapped.length || unused.length) {
    const parts = [
      unmapped.length ? `no function or queue for \${${unmapped.join('}, ${')}}` : '',
      unused.length ? `not in the file: ${unused.join(', ')}` : '',
    ].filter(Boolean);
    throw new Error(`${file}: ${parts.join('; ')}`);
  }
}
