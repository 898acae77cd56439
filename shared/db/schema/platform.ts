/**
 * Tables the runtime itself needs: the outbox, the local queue and its dead letters, workflow executions and task
 * tokens, schedules, idempotent-consumer receipts, WebSocket connections, super-admins and the dev mailbox.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  boolean,
} from 'drizzle-orm/pg-core';
import { user } from './auth';

const tz = { withTimezone: true } as const;

export const superAdmin = pgTable('super_admin', {
  userId: text('user_id')
    .primaryKey()
    .references(() => user.id, { onDelete: 'cascade' }),
  /** `first-user` or `config` (SUPER_ADMIN_EMAILS) or the id of the super-admin who granted it. */
  grantedBy: text('granted_by').notNull(),
  createdAt: timestamp('created_at', tz).defaultNow().notNull(),
});

/** status: pending → done, or dead after too many failed publishes. */
export const outbox = pgTable(
  'outbox',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    topic: text('topic').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    organizationId: text('organization_id'),
    status: text('status').default('pending').notNull(),
    attempts: integer('attempts').default(0).notNull(),
    availableAt: timestamp('available_at', tz).defaultNow().notNull(),
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', tz),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', tz).defaultNow().notNull(),
    publishedAt: timestamp('published_at', tz),
  },
  (t) => [index('outbox_pending_idx').on(t.availableAt).where(sql`status = 'pending'`)],
);

export const queueMessage = pgTable(
  'queue_message',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    queue: text('queue').notNull(),
    messageId: text('message_id').notNull().unique(),
    body: text('body').notNull(),
    /** Like an SQS FIFO deduplication id: a second send with the same id is dropped. */
    dedupId: text('dedup_id'),
    receiveCount: integer('receive_count').default(0).notNull(),
    visibleAt: timestamp('visible_at', tz).defaultNow().notNull(),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', tz).defaultNow().notNull(),
  },
  (t) => [
    index('queue_message_visible_idx').on(t.queue, t.visibleAt),
    uniqueIndex('queue_message_dedup_uidx').on(t.queue, t.dedupId),
  ],
);

export const deadLetter = pgTable(
  'dead_letter',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    queue: text('queue').notNull(),
    messageId: text('message_id').notNull(),
    body: text('body').notNull(),
    receiveCount: integer('receive_count').notNull(),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', tz).notNull(),
    deadAt: timestamp('dead_at', tz).defaultNow().notNull(),
  },
  (t) => [index('dead_letter_queue_idx').on(t.queue, t.deadAt)],
);

/** status: RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED (the Step Functions names). */
export const workflowExecution = pgTable(
  'workflow_execution',
  {
    id: text('id').primaryKey(),
    stateMachine: text('state_machine').notNull(),
    name: text('name').notNull(),
    status: text('status').notNull(),
    input: jsonb('input'),
    output: jsonb('output'),
    error: text('error'),
    cause: text('cause'),
    /** The top-level state the execution is in and the input it entered with: where a restart resumes. */
    currentState: text('current_state'),
    currentInput: jsonb('current_input'),
    stateEnteredAt: timestamp('state_entered_at', tz),
    startedAt: timestamp('started_at', tz).defaultNow().notNull(),
    stoppedAt: timestamp('stopped_at', tz),
    updatedAt: timestamp('updated_at', tz).defaultNow().notNull(),
  },
  (t) => [
    uniqueIndex('workflow_execution_name_uidx').on(t.stateMachine, t.name),
    index('workflow_execution_running_idx').on(t.status),
  ],
);

/** status: pending | succeeded | failed | timed_out */
export const taskToken = pgTable(
  'task_token',
  {
    token: text('token').primaryKey(),
    executionId: text('execution_id')
      .notNull()
      .references(() => workflowExecution.id, { onDelete: 'cascade' }),
    stateName: text('state_name').notNull(),
    status: text('status').default('pending').notNull(),
    output: jsonb('output'),
    error: text('error'),
    cause: text('cause'),
    timeoutAt: timestamp('timeout_at', tz),
    createdAt: timestamp('created_at', tz).defaultNow().notNull(),
    resolvedAt: timestamp('resolved_at', tz),
  },
  (t) => [index('task_token_execution_idx').on(t.executionId)],
);

/** Expression is EventBridge Scheduler syntax: `cron(...)`, `rate(...)` or `at(...)`. */
export const schedule = pgTable('schedule', {
  name: text('name').primaryKey(),
  groupName: text('group_name').default('default').notNull(),
  expression: text('expression').notNull(),
  timezone: text('timezone').default('UTC').notNull(),
  target: text('target').notNull(),
  payload: jsonb('payload').$type<Record<string, unknown>>(),
  enabled: boolean('enabled').default(true).notNull(),
  lastRunAt: timestamp('last_run_at', tz),
  nextRunAt: timestamp('next_run_at', tz),
  createdAt: timestamp('created_at', tz).defaultNow().notNull(),
  updatedAt: timestamp('updated_at', tz).defaultNow().notNull(),
});

/** Receipts of an idempotent consumer: a message id seen twice is acknowledged without being processed again. */
export const processedMessage = pgTable(
  'processed_message',
  {
    consumer: text('consumer').notNull(),
    messageId: text('message_id').notNull(),
    processedAt: timestamp('processed_at', tz).defaultNow().notNull(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.messageId] })],
);

/** kind: user | sandbox */
export const wsConnection = pgTable(
  'ws_connection',
  {
    connectionId: text('connection_id').primaryKey(),
    kind: text('kind').notNull(),
    userId: text('user_id').references(() => user.id, { onDelete: 'cascade' }),
    organizationId: text('organization_id'),
    /** For a user's connection: `session` (a browser) or `apiKey` (the CLI). */
    via: text('via'),
    sessionId: text('session_id'),
    /** For daemon connections: the sandbox the token named (an old sandbox's daemon is told apart from the new one's). */
    sandboxId: text('sandbox_id'),
    connectedAt: timestamp('connected_at', tz).defaultNow().notNull(),
  },
  (t) => [
    index('ws_connection_org_idx').on(t.organizationId),
    index('ws_connection_user_idx').on(t.userId),
    index('ws_connection_session_idx').on(t.sessionId),
  ],
);

/** Outgoing mail kept on this machine when no mail service is configured (`/dev/mail` in the dashboard). */
export const devMail = pgTable(
  'dev_mail',
  {
    id: text('id').primaryKey(),
    to: text('to').notNull(),
    from: text('from').notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    html: text('html'),
    createdAt: timestamp('created_at', tz).defaultNow().notNull(),
  },
  (t) => [index('dev_mail_to_idx').on(t.to, t.createdAt)],
);
