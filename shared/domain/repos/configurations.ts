import { and, asc, eq, ilike, inArray, sql } from 'drizzle-orm';
import * as z from 'zod';
import {
  ConfigurationStatus,
  SandboxProviderKindSchema,
  WorkspacePath,
  type ConfigurationView,
  type SnapshotBuildInput,
} from '../../contracts/repos';
import { EnvFileSpecSchema, ServiceCommandSchema } from '../../contracts/sandbox-api';
import type { Db, DbOrTx } from '../../db/client';
import { enqueue } from '../outbox/outbox';
import { configuration, configurationRepo, repo, type EnvFileSpec, type ServiceCommand } from '../../db/schema';
import type { Clock } from '../../ports';
import type { SandboxProviderKind } from '../../sandbox/provider';
import type { OrgCaller } from '../caller';
import { DomainError, validationFailed, type FieldIssue } from '../errors';
import { containsPattern, missing, newConfigurationId, nextOffset, type Page } from './common';
import { assignWorkspacePaths, defaultFolder } from './workspace-paths';

export type ConfigurationRow = typeof configuration.$inferSelect;

/** The workflow that builds configuration snapshots (state-machines/snapshot-build.asl.json). */
export const SNAPSHOT_BUILD_WORKFLOW = 'snapshot-build';
/**
 * A build still `building` after this long is presumed lost (its workflow was never started, or timed out without
 * reaching MarkFailed): asking again starts a new one. Longer than the workflow's TimeoutSeconds (1 h), so no
 * execution of the old build can still be running.
 */
export const STALE_BUILD_MS = 61 * 60_000;

export interface ConfigurationDeps {
  db: Db;
  clock: Clock;
  /** Starts snapshot builds. */
  /** Publishes the outbox now (the build start goes through it). */
  outboxWritten?: () => Promise<void> | void;
  /** The provider new configurations use unless one is asked for. */
  defaultProvider: SandboxProviderKind;
  logger: DomainLogger;
}

export interface DomainLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface RepoLinkInput {
  repoId: string;
  workspacePath?: string;
}

export interface CreateConfigurationInput {
  name?: string;
  notes?: string;
  repos: RepoLinkInput[];
  sandboxProvider?: SandboxProviderKind;
  agentCommand?: string | null;
  serviceCommands?: ServiceCommand[];
  envFiles?: EnvFileSpec[];
}

export interface UpdateConfigurationInput {
  name?: string;
  notes?: string | null;
  agentCommand?: string | null;
  serviceCommands?: ServiceCommand[];
  envFiles?: EnvFileSpec[];
}

// ---- reading ----------------------------------------------------------------------------------------------------

/** The configuration, if it belongs to the caller's organisation; any other id is a 404. */
export async function findConfiguration(db: DbOrTx, organizationId: string, id: string, field = 'params.configurationId'): Promise<ConfigurationRow> {
  const [row] = await db
    .select()
    .from(configuration)
    .where(and(eq(configuration.id, id), eq(configuration.organizationId, organizationId)))
    .limit(1);
  if (!row) throw missing('Configuration', field);
  return row;
}

async function linkedRepos(db: DbOrTx, configurationIds: string[]) {
  if (configurationIds.length === 0) return [];
  return db
    .select({
      configurationId: configurationRepo.configurationId,
      id: repo.id,
      name: repo.name,
      source: repo.source,
      url: repo.url,
      defaultBranch: repo.defaultBranch,
      workspacePath: configurationRepo.workspacePath,
    })
    .from(configurationRepo)
    .innerJoin(repo, eq(repo.id, configurationRepo.repoId))
    .where(inArray(configurationRepo.configurationId, configurationIds))
    .orderBy(asc(configurationRepo.workspacePath));
}

/** Stored JSON is not trusted: entries that no longer parse are left out rather than failing the whole reply. */
function validEntries<S extends z.ZodType>(schema: S, value: unknown): z.output<S>[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v) => {
    const parsed = schema.safeParse(v);
    return parsed.success ? [parsed.data] : [];
  });
}

const statusOf = (s: string) => ConfigurationStatus.catch('failed').parse(s);
const providerOf = (s: string) => SandboxProviderKindSchema.catch('local').parse(s);

function toView(row: ConfigurationRow, repos: Awaited<ReturnType<typeof linkedRepos>>): ConfigurationView {
  return {
    id: row.id,
    name: row.name,
    notes: row.notes,
    status: statusOf(row.status),
    error: row.error,
    sandboxProvider: providerOf(row.sandboxProvider),
    snapshotId: row.snapshotId,
    snapshotVersionKey: row.snapshotVersionKey,
    agentCommand: row.agentCommand,
    serviceCommands: validEntries(ServiceCommandSchema, row.serviceCommands),
    envFiles: validEntries(EnvFileSpecSchema, row.envFiles),
    repos: repos
      .filter((r) => r.configurationId === row.id)
      .map((r) => ({
        repoId: r.id,
        name: r.name,
        source: r.source === 'local' ? ('local' as const) : ('git' as const),
        url: r.url,
        defaultBranch: r.defaultBranch,
        workspacePath: r.workspacePath,
      })),
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

async function view(db: DbOrTx, row: ConfigurationRow): Promise<ConfigurationView> {
  return toView(row, await linkedRepos(db, [row.id]));
}

export async function getConfiguration(db: Db, caller: OrgCaller, id: string): Promise<ConfigurationView> {
  return view(db, await findConfiguration(db, caller.organizationId, id));
}

/** By name; `q` matches the name, case-insensitively and literally (`%` and `_` are not wildcards). */
export async function listConfigurations(db: Db, caller: OrgCaller, page: Page) {
  const where = and(eq(configuration.organizationId, caller.organizationId), page.q ? ilike(configuration.name, containsPattern(page.q)) : undefined);
  const rows = await db
    .select()
    .from(configuration)
    .where(where)
    .orderBy(sql`lower(${configuration.name})`, asc(configuration.id))
    .limit(page.limit)
    .offset(page.offset);
  const [{ total }] = await db.select({ total: sql<number>`count(*)::int` }).from(configuration).where(where);
  const repos = await linkedRepos(db, rows.map((r) => r.id));
  return { configurations: rows.map((r) => toView(r, repos)), total, nextOffset: nextOffset(page, total) };
}

export async function configurationStatus(db: Db, caller: OrgCaller, id: string) {
  const row = await findConfiguration(db, caller.organizationId, id);
  return {
    status: statusOf(row.status),
    error: row.error,
    snapshotId: row.snapshotId,
    snapshotVersionKey: row.snapshotVersionKey,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * The service commands a new session starts. Precedence: the configuration's own commands when it has any; otherwise
 * none. (Repos carry no commands of their own in this schema, so there is no per-repo fallback to merge.)
 */
export async function effectiveServiceCommands(db: Db, caller: OrgCaller, id: string) {
  const row = await findConfiguration(db, caller.organizationId, id);
  const commands = validEntries(ServiceCommandSchema, row.serviceCommands);
  const workspaces = (await linkedRepos(db, [row.id])).map((r) => r.workspacePath);
  return { source: commands.length ? ('configuration' as const) : ('none' as const), commands, workspaces };
}

// ---- validation -------------------------------------------------------------------------------------------------

const isWorkspacePath = (p: string) => WorkspacePath.safeParse(p).success;

/**
 * Rules the contract cannot see: command names are unique, env files are unique per folder and path with unique keys,
 * and every `workspacePath` is `.` or one of the configuration's folders.
 */
export function validateCommandsAndEnvFiles(
  input: { serviceCommands?: ServiceCommand[]; envFiles?: EnvFileSpec[] },
  workspaces: string[],
): void {
  const issues: FieldIssue[] = [];
  const known = new Set(['.', ...workspaces]);
  const folderIssue = (p: string) =>
    !isWorkspacePath(p) ? 'a relative folder of the workspace' : !known.has(p) ? `not a folder of this configuration (one of: ${[...known].join(', ')})` : null;

  const names = new Set<string>();
  input.serviceCommands?.forEach((cmd, i) => {
    const at = `body.serviceCommands.${i}`;
    if (names.has(cmd.name)) issues.push({ field: `${at}.name`, message: 'another command has this name' });
    names.add(cmd.name);
    const problem = cmd.workspacePath !== undefined ? folderIssue(cmd.workspacePath) : null;
    if (problem) issues.push({ field: `${at}.workspacePath`, message: problem });
  });

  const files = new Set<string>();
  input.envFiles?.forEach((file, i) => {
    const at = `body.envFiles.${i}`;
    const problem = folderIssue(file.workspacePath);
    if (problem) issues.push({ field: `${at}.workspacePath`, message: problem });
    const key = `${file.workspacePath}\u0000${file.path}`;
    if (files.has(key)) issues.push({ field: `${at}.path`, message: 'another env file has this path in the same folder' });
    files.add(key);
    const keys = new Set<string>();
    file.keys.forEach((k, j) => {
      if (keys.has(k.key)) issues.push({ field: `${at}.keys.${j}.key`, message: 'listed twice' });
      keys.add(k.key);
    });
  });
  if (issues.length) throw validationFailed(issues);
}

/** The caller's repos by the ids asked for; an id of another organisation (or none) is a 404 naming its field. */
async function reposOfOrg(db: DbOrTx, organizationId: string, links: RepoLinkInput[]) {
  const ids = [...new Set(links.map((l) => l.repoId))];
  const rows = await db
    .select({ id: repo.id, name: repo.name })
    .from(repo)
    .where(and(eq(repo.organizationId, organizationId), inArray(repo.id, ids)));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const absent = links.findIndex((l) => !byId.has(l.repoId));
  if (absent >= 0) throw missing('Repo', `body.repos.${absent}.repoId`);
  return byId;
}

/** The name a configuration gets when none is given: its repo's name, or its folders joined. */
function derivedName(names: string[]): string {
  return names.length === 1 ? names[0] : names.map(defaultFolder).join(' + ');
}

const nameTaken = (name: string) =>
  new DomainError('conflict', 'name_taken', `A configuration named "${name}" already exists`, [{ field: 'body.name', message: 'is already used by another configuration' }]);

/** Inserts with the name asked for (taken: 409), or with the derived one made unique (`web (2)`). */
async function insertNamed(tx: DbOrTx, values: typeof configuration.$inferInsert, explicit: boolean): Promise<ConfigurationRow> {
  for (let n = 1; n <= 100; n++) {
    const name = n === 1 ? values.name : `${values.name} (${n})`;
    const [row] = await tx.insert(configuration).values({ ...values, name }).onConflictDoNothing().returning();
    if (row) return row;
    if (explicit) throw nameTaken(values.name);
  }
  throw nameTaken(values.name);
}

// ---- writing ----------------------------------------------------------------------------------------------------

/**
 * Creates a configuration of one or more of the caller's repos, then starts its snapshot build:
 * 1. look up the repos (another organisation's id is a 404),
 * 2. give each a workspace folder and check commands and env files against those folders,
 * 3. insert the configuration and its links (1–3 in one transaction, so a failed link leaves no configuration),
 * 4. start the build (a failure to start marks the configuration failed; it never fails the caller).
 */
export async function createConfiguration(deps: ConfigurationDeps, caller: OrgCaller, input: CreateConfigurationInput): Promise<ConfigurationView> {
  const now = deps.clock.now();
  const row = await deps.db.transaction(async (tx) => {
    const byId = await reposOfOrg(tx, caller.organizationId, input.repos);
    const paths = assignWorkspacePaths(input.repos.map((l) => ({ repoId: l.repoId, repoName: byId.get(l.repoId)!.name, explicit: l.workspacePath })));
    validateCommandsAndEnvFiles(input, paths);
    const created = await insertNamed(
      tx,
      {
        id: newConfigurationId(),
        organizationId: caller.organizationId,
        name: input.name ?? derivedName(input.repos.map((l) => byId.get(l.repoId)!.name)),
        notes: input.notes ?? null,
        status: 'building',
        sandboxProvider: input.sandboxProvider ?? deps.defaultProvider,
        agentCommand: input.agentCommand ?? null,
        serviceCommands: input.serviceCommands ?? [],
        envFiles: input.envFiles ?? [],
        createdBy: caller.userId,
        createdAt: now,
        updatedAt: now,
      },
      input.name !== undefined,
    );
    await tx.insert(configurationRepo).values(input.repos.map((l, i) => ({ configurationId: created.id, repoId: l.repoId, workspacePath: paths[i] })));
    await enqueueBuild(tx, created, now);
    return created;
  });
  await deps.outboxWritten?.();
  return view(deps.db, await findConfiguration(deps.db, caller.organizationId, row.id));
}

export async function updateConfiguration(db: Db, clock: Clock, caller: OrgCaller, id: string, input: UpdateConfigurationInput): Promise<ConfigurationView> {
  const current = await findConfiguration(db, caller.organizationId, id);
  if (input.serviceCommands || input.envFiles) {
    validateCommandsAndEnvFiles(input, (await linkedRepos(db, [id])).map((r) => r.workspacePath));
  }
  const changes: Partial<typeof configuration.$inferInsert> = { updatedAt: clock.now() };
  if (input.name !== undefined) changes.name = input.name;
  if (input.notes !== undefined) changes.notes = input.notes;
  if (input.agentCommand !== undefined) changes.agentCommand = input.agentCommand;
  if (input.serviceCommands !== undefined) changes.serviceCommands = input.serviceCommands;
  if (input.envFiles !== undefined) changes.envFiles = input.envFiles;
  if (input.name !== undefined && input.name !== current.name) {
    const [clash] = await db
      .select({ id: configuration.id })
      .from(configuration)
      .where(and(eq(configuration.organizationId, caller.organizationId), eq(configuration.name, input.name)));
    if (clash) throw nameTaken(input.name);
  }
  try {
    await db.update(configuration).set(changes).where(and(eq(configuration.id, id), eq(configuration.organizationId, caller.organizationId)));
  } catch (err) {
    // Renamed to the same name concurrently: the unique index decides.
    if (input.name !== undefined && isUniqueViolation(err)) throw nameTaken(input.name);
    throw err;
  }
  return getConfiguration(db, caller, id);
}

/**
 * Replaces the configuration's repos. Repos that stay keep their folder where the new shape allows (stable folder
 * names); the snapshot no longer matches, so it is dropped and a new build starts.
 */
export async function setConfigurationRepos(deps: ConfigurationDeps, caller: OrgCaller, id: string, links: RepoLinkInput[]): Promise<ConfigurationView> {
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(configuration)
      .where(and(eq(configuration.id, id), eq(configuration.organizationId, caller.organizationId)))
      .for('update');
    if (!row) throw missing('Configuration', 'params.configurationId');
    const byId = await reposOfOrg(tx, caller.organizationId, links);
    const previous = new Map((await linkedRepos(tx, [id])).map((r) => [r.id, r.workspacePath]));
    const paths = assignWorkspacePaths(
      links.map((l) => ({ repoId: l.repoId, repoName: byId.get(l.repoId)!.name, explicit: l.workspacePath, previous: previous.get(l.repoId) })),
    );
    await tx.delete(configurationRepo).where(eq(configurationRepo.configurationId, id));
    await tx.insert(configurationRepo).values(links.map((l, i) => ({ configurationId: id, repoId: l.repoId, workspacePath: paths[i] })));
    await tx
      .update(configuration)
      .set({ status: 'building', error: null, snapshotId: null, snapshotVersionKey: null, updatedAt: now })
      .where(eq(configuration.id, id));
    await enqueueBuild(tx, row, now);
  });
  await deps.outboxWritten?.();
  return getConfiguration(deps.db, caller, id);
}

/** Hard delete: its repo links go with it; sessions that used it keep running without one. */
export async function deleteConfiguration(db: Db, caller: OrgCaller, id: string): Promise<void> {
  const rows = await db
    .delete(configuration)
    .where(and(eq(configuration.id, id), eq(configuration.organizationId, caller.organizationId)))
    .returning({ id: configuration.id });
  if (!rows.length) throw missing('Configuration', 'params.configurationId');
}

// ---- snapshot builds --------------------------------------------------------------------------------------------

/** The execution name of a build: the configuration id and the millisecond the build was asked for. */
export const buildExecutionName = (configurationId: string, buildId: string) => `${configurationId}-${buildId}`;

/**
 * Starts a snapshot build unless one is running. The configuration row is locked while deciding, so of two requests
 * only one moves it to `building` and starts a workflow; the other sees `building` and starts nothing. A build
 * `building` for longer than STALE_BUILD_MS is presumed lost and may be replaced.
 */
export async function requestBuild(deps: ConfigurationDeps, caller: OrgCaller, id: string): Promise<{ started: boolean; executionName: string | null; configuration: ConfigurationView }> {
  const now = deps.clock.now();
  const claimed = await deps.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(configuration)
      .where(and(eq(configuration.id, id), eq(configuration.organizationId, caller.organizationId)))
      .for('update');
    if (!row) throw missing('Configuration', 'params.configurationId');
    if ((await linkedRepos(tx, [id])).length === 0) {
      throw new DomainError('conflict', 'no_repos', 'This configuration has no repos to build a snapshot of; add one first', [
        { field: 'params.configurationId', message: 'has no repos' },
      ]);
    }
    if (row.status === 'building' && now.getTime() - row.updatedAt.getTime() < STALE_BUILD_MS) return null;
    const [updated] = await tx.update(configuration).set({ status: 'building', error: null, updatedAt: now }).where(eq(configuration.id, id)).returning();
    return { name: await enqueueBuild(tx, updated, now) };
  });
  const executionName = claimed?.name ?? null;
  if (executionName) await deps.outboxWritten?.();
  return { started: executionName !== null, executionName, configuration: await getConfiguration(deps.db, caller, id) };
}

/**
 * Rebuilds the configurations that use a repo whose branch changed: each is marked `building` and gets a build of its
 * own in the caller's transaction, even if one is running (that one clones the old branch; this one ends later).
 */
export async function rebuildConfigurationsOfRepo(tx: DbOrTx, repoId: string, organizationId: string, now: Date): Promise<string[]> {
  const rows = await tx
    .update(configuration)
    .set({ status: 'building', error: null, updatedAt: now })
    .where(
      and(
        eq(configuration.organizationId, organizationId),
        inArray(configuration.id, tx.select({ id: configurationRepo.configurationId }).from(configurationRepo).where(eq(configurationRepo.repoId, repoId))),
      ),
    )
    .returning();
  const names: string[] = [];
  for (const row of rows) names.push(await enqueueBuild(tx, row, now));
  return names;
}

/**
 * Queues the workflow start in the transaction that marked the configuration `building` (the outbox publishes it), so
 * a build is never marked without being started, nor started without being marked.
 */
async function enqueueBuild(tx: DbOrTx, row: Pick<ConfigurationRow, 'id' | 'organizationId'>, requestedAt: Date): Promise<string> {
  const buildId = String(requestedAt.getTime());
  const input: SnapshotBuildInput = { configurationId: row.id, organizationId: row.organizationId, buildId };
  const name = buildExecutionName(row.id, buildId);
  await enqueue(tx, 'workflow.start', { stateMachine: SNAPSHOT_BUILD_WORKFLOW, name, input: { ...input } }, row.organizationId);
  return name;
}

function isUniqueViolation(err: unknown): boolean {
  const code = (e: unknown) => (typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined);
  return code(err) === '23505' || (typeof err === 'object' && err !== null && 'cause' in err && code((err as { cause: unknown }).cause) === '23505');
}
