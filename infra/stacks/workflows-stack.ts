import { Stack, type StackProps } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { AslStateMachine } from '../constructs/asl-state-machine';
import type { StateMachineSpec } from '../manifest';
import { pascal } from './messaging-stack';
import type { DeploymentNames } from './names';

export interface WorkflowsStackProps extends StackProps {
  names: DeploymentNames;
  stateMachines: Record<string, StateMachineSpec>;
  /** Deployed functions by manifest name (local-only ones are absent). */
  functions: Record<string, IFunction>;
  queues: Record<string, IQueue>;
  logRetention?: RetentionDays;
}

/** A Step Functions state machine per manifest workflow, from its ASL file, under its fixed name. */
export class WorkflowsStack extends Stack {
  readonly stateMachines: Record<string, AslStateMachine>;

  constructor(scope: Construct, id: string, props: WorkflowsStackProps) {
    super(scope, id, props);
    this.stateMachines = {};
    for (const [workflow, spec] of Object.entries(props.stateMachines)) {
      const pick = <T>(kind: string, from: Record<string, T>, placeholders: Record<string, string>) =>
        Object.fromEntries(
          Object.entries(placeholders).map(([placeholder, name]) => {
            const found = from[name];
            if (!found) throw new Error(`workflow ${workflow}: \${${placeholder}} names ${kind} '${name}', which is not deployed`);
            return [placeholder, found];
          }),
        );
      this.stateMachines[workflow] = new AslStateMachine(this, pascal(workflow), {
        stateMachineName: props.names.stateMachine(workflow),
        definitionFile: spec.file,
        functions: pick('function', props.functions, spec.functions),
        queues: pick('queue', props.queues, spec.queues ?? {}),
        logRetention: props.logRetention,
      });
    }
  }
}
