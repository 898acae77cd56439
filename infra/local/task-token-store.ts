import { and, asc, eq, gt, gte, inArray, isNull, lt, ne, or } from 'drizzle-orm';
import type { Db } from '../../shared/db/client';
import { taskToken } from '../../shared/db/schema';
import { TaskTokenError, type Clock } from '../../shared/ports';
import type { JsonValue } from './json-value';

export type TokenRow = typeof taskToken.$inferSelect;

export type TokenAnswer =
  | { status: 'succeeded'; output: JsonValue }
  | { status: 'failed'; error: string; cause: string | null };

/** The error a token carries once nobody waits on it any more (its execution ended or left the state). */
export const ABANDONED = 'TaskAbandoned';

/** Step Functions rejects task tokens longer than this. */
const MAX_TOKEN_LENGTH = 1024;

/** The task_token rows: a callback task's token, its deadline, and the answer sent for it. */
export class TaskTokenStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** `createdAt` is the instant the timeout was counted from, so the two never disagree by the time between them. */
  async create(values: { token: string; executionId: string; stateName: string; timeoutAt: Date | null; createdAt?: Date }): Promise<void> {
    await this.db.insert(taskToken).values({ ...values, status: 'pending', createdAt: values.createdAt ?? this.clock.now() });
  }

  async get(token: string): Promise<TokenRow | undefined> {
    const [row] = await this.db.select().from(taskToken).where(eq(taskToken.token, token));
    return row;
  }

  /** Records the answer to a pending token that has not timed out; otherwise says why not, as Step Functions does. */
  async answer(token: string, answer: TokenAnswer): Promise<TokenRow> {
    if (!token || token.length > MAX_TOKEN_LENGTH) throw new TaskTokenError('InvalidToken', 'Invalid token');
    const now = this.clock.now();
    const fields = answer.status === 'succeeded' ? { output: answer.output } : { error: answer.error, cause: answer.cause };
    const [row] = await this.db
      .update(taskToken)
      .set({ status: answer.status, ...fields, resolvedAt: now })
      .where(and(eq(taskToken.token, token), eq(taskToken.status, 'pending'), or(isNull(taskToken.timeoutAt), gt(taskToken.timeoutAt, now))))
      .returning();
    if (row) return row;
    const existing = await this.get(token);
    if (!existing) throw new TaskTokenError('InvalidToken', 'Invalid token: no task waits on it');
    if (existing.status === 'failed' && existing.error === ABANDONED) {
      throw new TaskTokenError('TaskDoesNotExist', 'Task does not exist anymore: its execution left the state or ended');
    }
    if (existing.status === 'pending' || existing.status === 'timed_out') throw new TaskTokenError('TaskTimedOut', 'Task timed out');
    throw new TaskTokenError('TaskTimedOut', `Task already ${existing.status}: a token is answered once`);
  }

  /** Marks a pending token timed out; false when an answer got there first. */
  async timeOut(token: string): Promise<boolean> {
    const rows = await this.db
      .update(taskToken)
      .set({ status: 'timed_out', resolvedAt: this.clock.now() })
      .where(and(eq(taskToken.token, token), eq(taskToken.status, 'pending')))
      .returning({ token: taskToken.token });
    return rows.length > 0;
  }

  /** Which of these tokens are no longer pending. */
  async settledAmong(tokens: string[]): Promise<string[]> {
    if (tokens.length === 0) return [];
    const rows = await this.db
      .select({ token: taskToken.token })
      .from(taskToken)
      .where(and(inArray(taskToken.token, tokens), ne(taskToken.status, 'pending')));
    return rows.map((r) => r.token);
  }

  /** The execution's tokens created since `since` (the current state's visit), oldest first: what a resume carries over. */
  async createdSince(executionId: string, since: Date): Promise<TokenRow[]> {
    return this.db
      .select()
      .from(taskToken)
      .where(and(eq(taskToken.executionId, executionId), gte(taskToken.createdAt, since)))
      .orderBy(asc(taskToken.createdAt));
  }

  /** Marks pending tokens nobody waits on any more; returns those it marked. */
  async abandon(where: { tokens: string[] } | { executionId: string; before?: Date }, cause: string): Promise<string[]> {
    if ('tokens' in where && where.tokens.length === 0) return [];
    const scope =
      'tokens' in where
        ? inArray(taskToken.token, where.tokens)
        : and(eq(taskToken.executionId, where.executionId), where.before ? lt(taskToken.createdAt, where.before) : undefined);
    const rows = await this.db
      .update(taskToken)
      .set({ status: 'failed', error: ABANDONED, cause, resolvedAt: this.clock.now() })
      .where(and(scope, eq(taskToken.status, 'pending')))
      .returning({ token: taskToken.token });
    return rows.map((r) => r.token);
  }
}
