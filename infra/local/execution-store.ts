import { and, eq } from 'drizzle-orm';
import type { Db } from '../../shared/db/client';
import { workflowExecution } from '../../shared/db/schema';
import type { Clock, WorkflowExecutionView } from '../../shared/ports';
import type { JsonValue } from './json-value';

export type ExecutionRow = typeof workflowExecution.$inferSelect;
export type ExecutionStatus = WorkflowExecutionView['status'];

export type ExecutionOutcome =
  | { status: 'SUCCEEDED'; output: JsonValue }
  | { status: Exclude<ExecutionStatus, 'RUNNING' | 'SUCCEEDED'>; error: string; cause: string };

/** The workflow_execution rows: an execution's identity, status, and the checkpoint a restart resumes from. */
export class ExecutionStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Inserts a RUNNING execution, or returns the row that already holds (state machine, name). */
  async insert(values: { id: string; stateMachine: string; name: string; input: JsonValue }): Promise<{ row: ExecutionRow; created: boolean }> {
    const now = this.clock.now();
    const [created] = await this.db
      .insert(workflowExecution)
      .values({ ...values, status: 'RUNNING', startedAt: now, updatedAt: now })
      .onConflictDoNothing()
      .returning();
    if (created) return { row: created, created: true };
    const [existing] = await this.db
      .select()
      .from(workflowExecution)
      .where(and(eq(workflowExecution.stateMachine, values.stateMachine), eq(workflowExecution.name, values.name)));
    if (!existing) throw new Error(`execution ${values.id} conflicted but cannot be read`);
    return { row: existing, created: false };
  }

  async get(id: string): Promise<ExecutionRow | undefined> {
    const [row] = await this.db.select().from(workflowExecution).where(eq(workflowExecution.id, id));
    return row;
  }

  async running(): Promise<ExecutionRow[]> {
    return this.db.select().from(workflowExecution).where(eq(workflowExecution.status, 'RUNNING')).orderBy(workflowExecution.startedAt);
  }

  /** Records the top-level state the execution just entered and its input. */
  async checkpoint(id: string, state: string, input: JsonValue, enteredAt: Date): Promise<void> {
    await this.db
      .update(workflowExecution)
      .set({ currentState: state, currentInput: input, stateEnteredAt: enteredAt, updatedAt: enteredAt })
      .where(and(eq(workflowExecution.id, id), eq(workflowExecution.status, 'RUNNING')));
  }

  async finish(id: string, outcome: ExecutionOutcome): Promise<void> {
    const now = this.clock.now();
    const fields =
      outcome.status === 'SUCCEEDED'
        ? { output: outcome.output, error: null, cause: null }
        : { output: null, error: outcome.error, cause: outcome.cause };
    await this.db
      .update(workflowExecution)
      .set({ status: outcome.status, ...fields, stoppedAt: now, updatedAt: now })
      .where(and(eq(workflowExecution.id, id), eq(workflowExecution.status, 'RUNNING')));
  }
}
