/**
 * Repos, configurations and sessions: what a person works on, how its sandbox is prepared, and the live session with
 * its event log. Every row belongs to an organisation directly, so every query can be scoped by it.
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { organization, user } from './auth';

const tz = { withTimezone: true } as const;

/** source: `git` (a URL the sandbox clones) or `local` (a path on the machine running the embedded runtime). */
export const repo = pgTable(
  'repo',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organization.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    source: text('source').notNull(),
    url: text('url').notNull(),
    defaultBranch: text('default_branch').default('main').notNull(),
    addedBy: text('added_by').references(() => user.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', tz).defaultNow().notNull(),
    updatedAt: timestamp('updated_at', tz).defaultNow().notNull(),
  },
  (t) => [index('repo_org_idx').on(t.organizationId), uniqueIndex('repo_org_url_uidx').on(t.organizationId, t.url)],
);

export interface ServiceCommand {
  name: string;
  command: string;
  cwd?: string;
  workspacePath?: string;
}

export interface EnvFileSpec {
  path: string;
  workspacePath: string;
  format: 'dotenv';
  mode: 'secret';
  keys: { key: string; required: boolean }[];
}

/**
 * The base layer every sandbox of a provider can start from: a sandbox with the daemon's native helpers installed
 * (a real PTY for terminals), snapshotted once per provider and daemon version. Platform-wide, not per organisation:
 * it holds no repos and no secrets. status: building | ready | failed.
 */
export const sandboxBaseSnapshot = pgTable(
  'sandbox_base_snapshot',
  {
    provider: text('provider').notNull(),
    versionKey: text('version_key').notNull(),
    status: text('status').default('building').notNull(),
    /** The build that owns the row: a late task of an older build changes nothing. */
    buildId: text('build_id').notNull(),
    snapshotId: text('snapshot_id'),
    error: text('error'),
    createdAt: timestamp('created_at', tz).defaultNow().notNull(),
    updatedAt: timestamp('updated_at', tz).defaultNow().notNull(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.versionKey] })],
);

/** status: building | default | ready | failed (see digest: default = cloned only, ready = finalized after setup). */
export const configuration = pgTable(
  'configuration',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organization.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    notes: text('notes'),
    status: text('status').default('building').notNull(),
    error: text('error'),
    sandboxProvider: text('sandbox_provider').default('local').notNull(),
    /** The snapshot new sessions start from (an object-store key or a provider snapshot id). */
    snapshotId: text('snapshot_id'),
    snapshotVersionKey: text('snapshot_version_key'),
    /** An ACP agent command to run instead of the built-in agent, e.g. `npx @zed-industries/claude-code-acp`. */
    agentCommand: text('agent_command'),
    serviceCommands: jsonb('service_commands').$type<ServiceCommand[]>().default([]).notNull(),
    envFiles: jsonb('env_files').$type<EnvFileSpec[]>().default([]).notNull(),
    createdBy: text('created_by').references(() => user.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', tz).defaultNow().notNull(),
    updatedAt: timestamp('updated_at', tz).defaultNow().notNull(),
  },
  (t) => [index('configuration_org_idx').on(t.organizationId), uniqueIndex('configuration_org_name_uidx').on(t.organizationId, t.name)],
);

export const configurationRepo = pgTable(
  'configuration_repo',
  {
    configurationId: text('configuration_id')
      .notNull()
      .references(() => configuration.id, { onDelete: 'cascade' }),
    repoId: text('repo_id')
      .notNull()
      .references(() => repo.id, { onDelete: 'cascade' }),
    workspacePath: text('workspace_path').notNull(),
    createdAt: timestamp('created_at', tz).defaultNow().notNull(),
  },
  (t) => [primaryKey({ columns: [t.configurationId, t.repoId] }), uniqueIndex('configuration_repo_path_uidx').on(t.configurationId, t.workspacePath)],
);

export interface SessionMetrics {
  toolCalls: number;
  messagesExchanged: number;
  activeSeconds: number;
}

/**
 * status: pending | starting | running | migrating | paused | stopped | failed.
 * pause_reason: manual | inactivity | orphaned | automation_completed | snapshot_failed | credit_limit | ...
 * Writes that depend on a particular sandbox compare-and-set on sandbox_id, so a late or duplicate worker changes nothing.
 */
export const sandboxSession = pgTable(
  'sandbox_session',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organization.id, { onDelete: 'cascade' }),
    createdBy: text('created_by').references(() => user.id, { onDelete: 'set null' }),
    configurationId: text('configuration_id').references(() => configuration.id, { onDelete: 'set null' }),
    sessionType: text('session_type').default('coding').notNull(),
    clientType: text('client_type').default('web').notNull(),
    title: text('title'),
    status: text('status').default('pending').notNull(),
    pauseReason: text('pause_reason'),
    stopReason: text('stop_reason'),
    outcome: text('outcome'),
    summary: text('summary'),
    sandboxProvider: text('sandbox_provider').notNull(),
    /** Our id for the current sandbox (named in its token); the provider's own id may differ. */
    sandboxId: text('sandbox_id'),
    providerSandboxId: text('provider_sandbox_id'),
    snapshotId: text('snapshot_id'),
    snapshotVersionKey: text('snapshot_version_key'),
    initialPrompt: text('initial_prompt'),
    systemPrompt: text('system_prompt'),
    agentConfig: jsonb('agent_config').$type<{ modelId?: string; agentCommand?: string }>(),
    /** Next sequence number of the event log: allocated with an atomic increment. */
    eventSeq: bigint('event_seq', { mode: 'number' }).default(0).notNull(),
    metrics: jsonb('metrics').$type<SessionMetrics>().default({ toolCalls: 0, messagesExchanged: 0, activeSeconds: 0 }).notNull(),
    prUrls: jsonb('pr_urls').$type<string[]>().default([]).notNull(),
    latestTask: text('latest_task'),
    sandboxExpiresAt: timestamp('sandbox_expires_at', tz),
    lastActivityAt: timestamp('last_activity_at', tz).defaultNow().notNull(),
    lastSeenAliveAt: timestamp('last_seen_alive_at', tz),
    /** The daemon's last heartbeat said a turn was running. */
    agentBusy: boolean('agent_busy').default(false).notNull(),
    /** The daemon answered the last prepare_snapshot with this request id: it admits no prompt until resumed. */
    snapshotReadyRequestId: text('snapshot_ready_request_id'),
    /** The last error the sandbox or agent reported (shown with status failed). */
    lastError: text('last_error'),
    idleTimeoutMinutes: integer('idle_timeout_minutes').default(30).notNull(),
    startedAt: timestamp('started_at', tz),
    /** When the session last became running (its active seconds accrue from here on pause or stop). */
    runningSince: timestamp('running_since', tz),
    pausedAt: timestamp('paused_at', tz),
    endedAt: timestamp('ended_at', tz),
    createdAt: timestamp('created_at', tz).defaultNow().notNull(),
    updatedAt: timestamp('updated_at', tz).defaultNow().notNull(),
  },
  (t) => [
    index('sandbox_session_org_idx').on(t.organizationId, t.createdAt),
    index('sandbox_session_status_idx').on(t.status),
    index('sandbox_session_configuration_idx').on(t.configurationId),
    index('sandbox_session_expiry_idx').on(t.sandboxExpiresAt).where(sql`status = 'running'`),
  ],
);

/**
 * The session's event log: every agent event and every prompt, in order. `source_key` (sandbox id + the daemon's own
 * sequence number) makes a resent event a no-op, so a daemon may resend its buffer after a reconnect.
 */
export const sessionEvent = pgTable(
  'session_event',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sandboxSession.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    type: text('type').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    sourceKey: text('source_key'),
    createdAt: timestamp('created_at', tz).defaultNow().notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.seq] }), uniqueIndex('session_event_source_uidx').on(t.sessionId, t.sourceKey)],
);

/** A platform tool call (MCP) by id: a retried call with the same id gets the stored result instead of running again. */
export const sessionToolCall = pgTable(
  'session_tool_call',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sandboxSession.id, { onDelete: 'cascade' }),
    toolCallId: text('tool_call_id').notNull(),
    tool: text('tool').notNull(),
    status: text('status').notNull(),
    args: jsonb('args'),
    result: jsonb('result'),
    createdAt: timestamp('created_at', tz).defaultNow().notNull(),
    completedAt: timestamp('completed_at', tz),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.toolCallId] })],
);

/**
 * A capability URL to a port of a session's sandbox: `private` ones are handed to members and expire; `share` ones are
 * public links that last until revoked. The id is the unguessable token in the preview's host name.
 */
export const previewShare = pgTable(
  'preview_share',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sandboxSession.id, { onDelete: 'cascade' }),
    organizationId: text('organization_id').notNull(),
    port: integer('port').notNull(),
    kind: text('kind').notNull(),
    createdBy: text('created_by').references(() => user.id, { onDelete: 'set null' }),
    revoked: boolean('revoked').default(false).notNull(),
    expiresAt: timestamp('expires_at', tz),
    createdAt: timestamp('created_at', tz).defaultNow().notNull(),
  },
  (t) => [index('preview_share_session_idx').on(t.sessionId)],
);

/** Which viewer connections follow which sessions (a browser tab may follow several). */
export const sessionSubscription = pgTable(
  'session_subscription',
  {
    connectionId: text('connection_id').notNull(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sandboxSession.id, { onDelete: 'cascade' }),
    userId: text('user_id'),
    createdAt: timestamp('created_at', tz).defaultNow().notNull(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.sessionId] }), index('session_subscription_session_idx').on(t.sessionId)],
);

/** Prompts waiting for the daemon (sent while the sandbox was starting or paused); delivered in order, then deleted. */
export const pendingPrompt = pgTable(
  'pending_prompt',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sandboxSession.id, { onDelete: 'cascade' }),
    messageId: text('message_id').notNull(),
    content: text('content').notNull(),
    createdAt: timestamp('created_at', tz).defaultNow().notNull(),
  },
  (t) => [index('pending_prompt_session_idx').on(t.sessionId, t.createdAt)],
);
