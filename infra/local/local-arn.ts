/** The region and account the embedded runtime puts in the ARNs it makes up (the same as in state-machines.ts). */
export const LOCAL_REGION = 'local';
export const LOCAL_ACCOUNT = '000000000000';

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[^:]*:\d{12}:function:([^:]+)(:[^:]+)?$/;

/** `arn:aws:lambda:…:function:name[:qualifier]`, `name:qualifier` or `name` → `name` (Lambda accepts all three). */
export function functionNameOf(nameOrArn: string): string {
  const arn = LAMBDA_ARN.exec(nameOrArn);
  if (arn) return arn[1];
  if (nameOrArn.startsWith('arn:')) throw new Error(`'${nameOrArn}' is not a Lambda function ARN`);
  return nameOrArn.split(':')[0];
}

export function isLambdaFunctionArn(resource: string): boolean {
  return LAMBDA_ARN.test(resource);
}

export const stateMachineArn = (name: string) => `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;

export const executionArn = (stateMachine: string, name: string) =>
  `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${stateMachine}:${name}`;

export const queueArn = (queue: string) => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${queue}`;

/** The queue an SQS ARN names, or undefined when `target` is not a queue ARN (e.g. a function's name). */
export function queueNameOf(target: string): string | undefined {
  return /^arn:aws[a-z-]*:sqs:[^:]*:\d{12}:([^:]+)$/.exec(target)?.[1];
}

export const ruleArn = (name: string) => `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${name}`;

export const scheduleArn = (group: string, name: string) =>
  `arn:aws:scheduler:${LOCAL_REGION}:${LOCAL_ACCOUNT}:schedule/${group}/${name}`;
