import { randomBytes } from 'node:crypto';
import { and, desc, eq, ilike, inArray, isNull, or, sql } from 'drizzle-orm';
import type { SecretScope, SecretView } from '../../contracts/secrets';
import type { Db, DbOrTx } from '../../db/client';
import { configuration, configurationRepo, repo, secret, user } from '../../db/schema';
import type { Clock, KeysPort } from '../../ports';
import type { OrgCaller } from '../caller';
import { DomainError, validationFailed } from '../errors';
import { containsPattern, missing, nextOffset, type Page } from '../repos/common';
import { parseDotenv } from './dotenv';

/**
 * Secrets of an organisation: env values sealed with the KeysPort, scoped to the organisation, a repo or a
 * configuration. Plaintext exists only in memory, on its way in (create, import, a session's submission) or on its
 * way to a sandbox (boot, submission). Nothing here returns or logs a value: replies carry keys and metadata.
 */

export type SecretRow = typeof secret.$inferSelect;

export interface SecretsDeps {
  db: Db;
  keys: KeysPort;
  clock: Clock;
}

/** Writes key names and ids only; the logger is never handed a value. */
export interface SecretsLogger {
  warn(obj: object, msg?: string): void;
}

export interface ScopeInput {
  repoId?: string;
  configurationId?: string;
}

/** At most this many keys in one import. */
export const MAX_IMPORT_ENTRIES = 500;

export const newSecretId = () => `sec_${randomBytes(12).toString('base64url')}`;

/**
 * The encryption context of a value: KMS (and the local keys) refuse to open it under another organisation or key, so
 * a sealed value copied to another row, or another organisation's row, does not decrypt.
 */
export const secretContext = (organizationId: string, key: string) => ({ purpose: 'secret', organizationId, key });

export const sealSecret = (keys: KeysPort, organizationId: string, key: string, value: string) => keys.encrypt(value, secretContext(organizationId, key));
export const openSecret = (keys: KeysPort, row: Pick<SecretRow, 'organizationId' | 'key' | 'encryptedValue'>) =>
  keys.decrypt(row.encryptedValue, secretContext(row.organizationId, row.key));

const scopeOf = (row: Pick<SecretRow, 'repoId' | 'configurationId'>): SecretScope => (row.configurationId ? 'configuration' : row.repoId ? 'repo' : 'organization');

function toView(row: SecretRow, creator: { id: string; name: string } | null): SecretView {
  return {
    id: row.id,
    key: row.key,
    description: row.description,
    scope: scopeOf(row),
    repoId: row.repoId,
    configurationId: row.configurationId,
    createdBy: creator,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The repo or configuration asked for, if it belongs to the organisation; another organisation's id is a 404. */
async function checkScope(db: DbOrTx, organizationId: string, input: ScopeInput, part = 'body'): Promise<{ repoId: string | null; configurationId: string | null }> {
  if (input.repoId) {
    const [row] = await db.select({ id: repo.id }).from(repo).where(and(eq(repo.id, input.repoId), eq(repo.organizationId, organizationId)));
    if (!row) throw missing('Repo', `${part}.repoId`);
  }
  if (input.configurationId) {
    const [row] = await db
      .select({ id: configuration.id })
      .from(configuration)
      .where(and(eq(configuration.id, input.configurationId), eq(configuration.organizationId, organizationId)));
    if (!row) throw missing('Configuration', `${part}.configurationId`);
  }
  return { repoId: input.repoId ?? null, configurationId: input.configurationId ?? null };
}

const exists = (key: string) =>
  new DomainError('conflict', 'secret_exists', `${key} already has a value in this scope; delete it first to change it`, [
    { field: 'body.key', message: 'is already set in this scope' },
  ]);

// ---- reading ----------------------------------------------------------------------------------------------------

/** Newest first; metadata only. */
export async function listSecrets(db: Db, caller: OrgCaller, page: Page) {
  const where = and(eq(secret.organizationId, caller.organizationId), page.q ? ilike(secret.key, containsPattern(page.q)) : undefined);
  const rows = await db
    .select({ secret, creatorName: user.name })
    .from(secret)
    .leftJoin(user, eq(user.id, secret.createdBy))
    .where(where)
    .orderBy(desc(secret.createdAt), desc(secret.id))
    .limit(page.limit)
    .offset(page.offset);
  const [{ total }] = await db.select({ total: sql<number>`count(*)::int` }).from(secret).where(where);
  return {
    secrets: rows.map((r) => toView(r.secret, r.secret.createdBy ? { id: r.secret.createdBy, name: r.creatorName ?? '' } : null)),
    total,
    nextOffset: nextOffset(page, total),
  };
}

/**
 * Whether each key has a value where a session would look for it: with a configuration, at the configuration, any of
 * its repos, or the organisation; with a repo, at the repo or the organisation; otherwise organisation-wide.
 */
export async function checkSecrets(db: Db, caller: OrgCaller, input: ScopeInput & { keys: string[] }) {
  const scope = await checkScope(db, caller.organizationId, input);
  const rows = await candidates(db, caller.organizationId, input.keys, scope);
  const found = new Set(rows.map((r) => r.key));
  return { keys: input.keys.map((key) => ({ key, exists: found.has(key) })) };
}

/** Rows of these keys in the scopes a session of `scope` sees, with the workspace path of a repo-scoped row's repo. */
async function candidates(db: DbOrTx, organizationId: string, keys: string[], scope: { repoId: string | null; configurationId: string | null }) {
  if (keys.length === 0) return [];
  const orgWide = and(isNull(secret.repoId), isNull(secret.configurationId));
  let visible;
  if (scope.configurationId) {
    const repos = db.select({ id: configurationRepo.repoId }).from(configurationRepo).where(eq(configurationRepo.configurationId, scope.configurationId));
    visible = or(eq(secret.configurationId, scope.configurationId), inArray(secret.repoId, repos), orgWide);
  } else if (scope.repoId) {
    visible = or(eq(secret.repoId, scope.repoId), orgWide);
  } else {
    visible = orgWide;
  }
  return db
    .select({ secret, workspacePath: configurationRepo.workspacePath })
    .from(secret)
    .leftJoin(
      configurationRepo,
      and(eq(configurationRepo.repoId, secret.repoId), scope.configurationId ? eq(configurationRepo.configurationId, scope.configurationId) : sql`false`),
    )
    .where(and(eq(secret.organizationId, organizationId), inArray(secret.key, keys), visible))
    .then((rows) => rows.map((r) => ({ ...r.secret, workspacePath: r.workspacePath })));
}

/**
 * The values a session on this configuration gets for `keys`, by precedence: configuration > repo > organisation
 * (between two repos of the configuration, the one in the first workspace folder). A value that does not decrypt is
 * left out and logged by key name; the others still arrive.
 */
export async function resolveSecrets(
  deps: { db: Db; keys: KeysPort; logger: SecretsLogger },
  organizationId: string,
  configurationId: string | null,
  keys: string[],
): Promise<Record<string, string>> {
  const rows = await candidates(deps.db, organizationId, [...new Set(keys)], { repoId: null, configurationId });
  const rank = (r: (typeof rows)[number]) => (r.configurationId ? 0 : r.repoId ? 1 : 2);
  const best = new Map<string, (typeof rows)[number]>();
  for (const r of rows) {
    const current = best.get(r.key);
    if (!current || rank(r) < rank(current) || (rank(r) === rank(current) && (r.workspacePath ?? '') < (current.workspacePath ?? ''))) best.set(r.key, r);
  }
  // Opened together (each is a KMS call on AWS): a session start waits for the slowest key, not for their sum.
  const opened = await Promise.all(
    [...best].map(async ([key, row]) => {
      try {
        return [key, await openSecret(deps.keys, row)] as const;
      } catch (err) {
        deps.logger.warn({ key, secretId: row.id, scope: scopeOf(row), error: (err as Error).name }, 'a secret did not decrypt; the session gets no value for it');
        return null;
      }
    }),
  );
  return Object.fromEntries(opened.filter((e) => e !== null));
}

// ---- writing ----------------------------------------------------------------------------------------------------

/** Seals and stores a new secret; the key already set in that scope is a 409. */
export async function createSecret(deps: SecretsDeps, caller: OrgCaller, input: ScopeInput & { key: string; value: string; description?: string }): Promise<SecretView> {
  const scope = await checkScope(deps.db, caller.organizationId, input);
  const now = deps.clock.now();
  const encryptedValue = await sealSecret(deps.keys, caller.organizationId, input.key, input.value);
  const [row] = await deps.db
    .insert(secret)
    .values({
      id: newSecretId(),
      organizationId: caller.organizationId,
      ...scope,
      key: input.key,
      encryptedValue,
      description: input.description || null,
      createdBy: caller.userId,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) throw exists(input.key);
  return toView(row, { id: caller.userId, name: caller.name });
}

export async function deleteSecret(db: Db, caller: OrgCaller, id: string): Promise<void> {
  const rows = await db
    .delete(secret)
    .where(and(eq(secret.id, id), eq(secret.organizationId, caller.organizationId)))
    .returning({ id: secret.id });
  if (!rows.length) throw missing('Secret', 'params.secretId');
}

/**
 * Adds the secrets of a pasted `.env` text:
 * 1. parse it; any malformed line is a 400 naming its line number, and nothing is added;
 * 2. seal every value;
 * 3. insert them, leaving keys already set in that scope as they are (reported as skipped).
 */
export async function importSecrets(
  deps: SecretsDeps,
  caller: OrgCaller,
  input: ScopeInput & { envText: string; description?: string },
): Promise<{ created: string[]; skipped: string[] }> {
  const scope = await checkScope(deps.db, caller.organizationId, input);
  const { entries, problems } = parseDotenv(input.envText);
  if (problems.length) {
    throw validationFailed(
      problems.slice(0, 50).map((p) => ({ field: 'body.envText', message: `line ${p.line}: ${p.message}` })),
      `${problems.length} line(s) of the pasted text are not KEY=VALUE; nothing was imported`,
    );
  }
  if (entries.length === 0) throw validationFailed([{ field: 'body.envText', message: 'has no KEY=VALUE lines' }]);
  if (entries.length > MAX_IMPORT_ENTRIES) throw validationFailed([{ field: 'body.envText', message: `has ${entries.length} keys; at most ${MAX_IMPORT_ENTRIES} at a time` }]);
  const now = deps.clock.now();
  const sealed = await Promise.all(
    entries.map(async (e) => ({
      id: newSecretId(),
      organizationId: caller.organizationId,
      ...scope,
      key: e.key,
      encryptedValue: await sealSecret(deps.keys, caller.organizationId, e.key, e.value),
      description: input.description || null,
      createdBy: caller.userId,
      createdAt: now,
      updatedAt: now,
    })),
  );
  // One statement: all of them or none.
  const inserted = await deps.db.insert(secret).values(sealed).onConflictDoNothing().returning({ key: secret.key });
  const created = new Set(inserted.map((r) => r.key));
  return { created: entries.filter((e) => created.has(e.key)).map((e) => e.key), skipped: entries.filter((e) => !created.has(e.key)).map((e) => e.key) };
}

/**
 * Saves values a person typed into a running session for its future sessions. A key already set in that scope stays
 * as it was (`alreadyExisted`); a value that cannot be sealed is reported as not persisted, never thrown.
 */
export async function persistSubmitted(
  deps: SecretsDeps & { logger: SecretsLogger },
  target: { organizationId: string; createdBy: string; configurationId: string | null },
  entries: { key: string; value: string }[],
): Promise<{ key: string; persisted: boolean; alreadyExisted: boolean }[]> {
  const now = deps.clock.now();
  const results = [];
  for (const e of entries) {
    let encryptedValue: string;
    try {
      encryptedValue = await sealSecret(deps.keys, target.organizationId, e.key, e.value);
    } catch (err) {
      deps.logger.warn({ key: e.key, error: (err as Error).name }, 'a submitted secret could not be sealed; it was not saved');
      results.push({ key: e.key, persisted: false, alreadyExisted: false });
      continue;
    }
    const [row] = await deps.db
      .insert(secret)
      .values({
        id: newSecretId(),
        organizationId: target.organizationId,
        repoId: null,
        configurationId: target.configurationId,
        key: e.key,
        encryptedValue,
        description: 'Entered in a session',
        createdBy: target.createdBy,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing()
      .returning({ id: secret.id });
    results.push({ key: e.key, persisted: Boolean(row), alreadyExisted: !row });
  }
  return results;
}
