import { Aws, TimeZone } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
  type IScheduleGroup,
  type IScheduleTarget,
  type ScheduleTargetConfig,
} from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import type { ScheduleSpec } from '../manifest';

export interface FunctionSchedulesProps {
  fn: IFunction;
  schedules: ScheduleSpec[];
  group: IScheduleGroup;
}

/** What a scheduled function receives; the embedded runtime's scheduler sends the same shape. */
export interface ScheduledEvent {
  source: 'aws.scheduler';
  schedule: string;
}

/**
 * The EventBridge Scheduler schedules of one manifest function (rate or cron, with an optional time zone), in the
 * deployment's schedule group, invoking the function through a role that may invoke only that function.
 */
export class FunctionSchedules extends Construct {
  readonly role: Role;
  readonly schedules: Schedule[];

  constructor(scope: Construct, id: string, props: FunctionSchedulesProps) {
    super(scope, id);
    this.role = new Role(this, 'InvokeRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    });
    // Exactly the function: the L2 target's grantInvoke would add every version and alias (`arn:*`) too.
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.fn.functionArn] }));

    // The schedules name their group (no reference), so the order is stated.
    this.node.addDependency(props.group);
    this.schedules = props.schedules.map((spec) => {
      if (!/^(rate|cron)\(.+\)$/.test(spec.expression)) {
        throw new Error(`schedule ${spec.name}: '${spec.expression}' is neither rate(...) nor cron(...)`);
      }
      const event: ScheduledEvent = { source: 'aws.scheduler', schedule: spec.name };
      return new Schedule(this, spec.name, {
        scheduleName: spec.name,
        scheduleGroup: props.group,
        description: `${spec.name}: ${spec.expression}${spec.timezone ? ` (${spec.timezone})` : ''}`,
        schedule: ScheduleExpression.expression(spec.expression, spec.timezone ? TimeZone.of(spec.timezone) : undefined),
        target: new InvokeFunction(props.fn, this.role, ScheduleTargetInput.fromObject(event)),
      });
    });
  }
}

/** A schedule target that invokes a function with a given role, adding no grants of its own. */
class InvokeFunction implements IScheduleTarget {
  constructor(
    private readonly fn: IFunction,
    private readonly role: IRole,
    private readonly input: ScheduleTargetInput,
  ) {}

  bind(): ScheduleTargetConfig {
    return {
      arn: this.fn.functionArn,
      role: this.role,
      input: this.input,
      // A periodic job's next run covers a missed one; retry briefly, then let it go.
      retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 300 },
    };
  }
}
