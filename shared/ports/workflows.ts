/** Step Functions on AWS, the in-process ASL runner locally. */
export interface WorkflowsPort {
  start(stateMachine: string, input: unknown, options?: { name?: string }): Promise<{ executionId: string }>;
  sendTaskSuccess(token: string, output: unknown): Promise<void>;
  sendTaskFailure(token: string, error: string, cause?: string): Promise<void>;
  describe(executionId: string): Promise<WorkflowExecutionView | null>;
}

export interface WorkflowExecutionView {
  executionId: string;
  stateMachine: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  output?: unknown;
  error?: string | null;
  cause?: string | null;
}

/** Raised by sendTaskSuccess/Failure for a token that is unknown, already used, or timed out (AWS: TaskTimedOut / InvalidToken). */
export class TaskTokenError extends Error {
  constructor(
    readonly code: 'InvalidToken' | 'TaskTimedOut' | 'TaskDoesNotExist',
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}
