/**
 * Secrets of an organisation and the deliveries of env values to running sandboxes. Values are stored only as
 * envelopes of the KeysPort (KMS on AWS, the master key file locally); no table here ever holds a plaintext value.
 */
import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, timestamp, unique } from 'drizzle-orm/pg-core';
import { organization, user } from './auth';
import { configuration, repo, sandboxSession } from './sessions';

const tz = { withTimezone: true } as const;

/**
 * One env value. Scope: the whole organisation (no repo, no configuration), one repo, or one configuration — never
 * both. A key exists at most once per scope: the unique constraint treats NULLs as equal, so two org-wide rows of the
 * same key cannot both exist (with NULLs distinct, the pick at boot would be arbitrary).
 */
export const secret = pgTable(
  'secret',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organization.id, { onDelete: 'cascade' }),
    repoId: text('repo_id').references(() => repo.id, { onDelete: 'cascade' }),
    configurationId: text('configuration_id').references(() => configuration.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    /** A KeysPort envelope sealed with the context { purpose, organizationId, key }. */
    encryptedValue: text('encrypted_value').notNull(),
    description: text('description'),
    createdBy: text('created_by').references(() => user.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', tz).defaultNow().notNull(),
    updatedAt: timestamp('updated_at', tz).defaultNow().notNull(),
  },
  // The unique constraint's index also serves every lookup by organisation (its first column).
  (t) => [
    unique('secret_scope_key_uq').on(t.organizationId, t.repoId, t.configurationId, t.key).nullsNotDistinct(),
    check('secret_one_scope_ck', sql`${t.repoId} is null or ${t.configurationId} is null`),
  ],
);

export interface EnvDeliveryResult {
  /** Env files the daemon (re)wrote, relative to the workspace. */
  written: string[];
  /** Required keys still without a value: the env files were left as they were. */
  missing: string[];
  /** A snapshot was being taken: the values are kept and written when it is done. */
  deferred: boolean;
  error?: string;
}

/**
 * Values submitted while a session runs travel to its daemon in a WebSocket command; the daemon's answer lands here
 * (by request id), where the HTTP request that sent them waits for it. Holds key names and outcomes, never values.
 * status: sent → applied | failed.
 */
export const envDelivery = pgTable(
  'env_delivery',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sandboxSession.id, { onDelete: 'cascade' }),
    sandboxId: text('sandbox_id').notNull(),
    status: text('status').default('sent').notNull(),
    result: jsonb('result').$type<EnvDeliveryResult>(),
    createdAt: timestamp('created_at', tz).defaultNow().notNull(),
    completedAt: timestamp('completed_at', tz),
  },
  (t) => [index('env_delivery_session_idx').on(t.sessionId)],
);
