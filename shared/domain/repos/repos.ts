import path from 'node:path';
import { and, asc, eq, ilike, or, sql } from 'drizzle-orm';
import { BranchName, type ConfigurationView, type RepoView } from '../../contracts/repos';
import type { Db } from '../../db/client';
import { repo } from '../../db/schema';
import type { OrgCaller } from '../caller';
import { validationFailed } from '../errors';
import { containsPattern, missing, newRepoId, nextOffset, type Page } from './common';
import { createConfiguration, rebuildConfigurationsOfRepo, type ConfigurationDeps } from './configurations';
import { parseGitUrl, type GitProbe } from './git';

export type RepoRow = typeof repo.$inferSelect;

export interface RepoDeps extends ConfigurationDeps {
  git: GitProbe;
  /** Local paths and file:// URLs name this machine's disk: only the embedded runtime accepts them. */
  allowLocal: boolean;
}

export interface CreateRepoInput {
  url?: string;
  path?: string;
  name?: string;
  defaultBranch?: string;
  createConfiguration: boolean;
}

const FALLBACK_BRANCH = 'main';

function toView(r: RepoRow): RepoView {
  return {
    id: r.id,
    name: r.name,
    source: r.source === 'local' ? 'local' : 'git',
    url: r.url,
    defaultBranch: r.defaultBranch,
    addedBy: r.addedBy,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** The repo, if it belongs to the caller's organisation; any other id is a 404. */
export async function findRepo(db: Db, organizationId: string, id: string): Promise<RepoRow> {
  const [row] = await db.select().from(repo).where(and(eq(repo.id, id), eq(repo.organizationId, organizationId))).limit(1);
  if (!row) throw missing('Repo', 'params.repoId');
  return row;
}

export async function getRepo(db: Db, caller: OrgCaller, id: string): Promise<RepoView> {
  return toView(await findRepo(db, caller.organizationId, id));
}

/** By name; `q` matches the name or the URL, case-insensitively and literally (`%` and `_` are not wildcards). */
export async function listRepos(db: Db, caller: OrgCaller, page: Page) {
  const pattern = page.q ? containsPattern(page.q) : null;
  const where = and(eq(repo.organizationId, caller.organizationId), pattern ? or(ilike(repo.name, pattern), ilike(repo.url, pattern)) : undefined);
  const rows = await db.select().from(repo).where(where).orderBy(sql`lower(${repo.name})`, asc(repo.id)).limit(page.limit).offset(page.offset);
  const [{ total }] = await db.select({ total: sql<number>`count(*)::int` }).from(repo).where(where);
  return { repos: rows.map(toView), total, nextOffset: nextOffset(page, total) };
}

interface ResolvedSource {
  source: 'git' | 'local';
  url: string;
  name: string;
  /** Where the default branch comes from when none is given. */
  detectBranch: () => Promise<string | null>;
}

/** What was asked for, checked: a git URL (https, ssh, file) or a git repository on this machine. */
async function resolveSource(deps: RepoDeps, input: CreateRepoInput): Promise<ResolvedSource> {
  if (input.url !== undefined) {
    const parsed = parseGitUrl(input.url);
    if ('error' in parsed) throw validationFailed([{ field: 'body.url', message: parsed.error }]);
    if (parsed.kind === 'file' && !deps.allowLocal) {
      throw validationFailed([{ field: 'body.url', message: 'file:// URLs only work when Proliferate runs on this machine' }]);
    }
    return { source: 'git', url: parsed.url, name: parsed.name, detectBranch: () => deps.git.remoteDefaultBranch(parsed.url) };
  }
  const requested = input.path!;
  if (!deps.allowLocal) throw validationFailed([{ field: 'body.path', message: 'local paths only work when Proliferate runs on this machine; give a git URL' }]);
  if (!path.isAbsolute(requested)) throw validationFailed([{ field: 'body.path', message: 'must be an absolute path' }]);
  const local = await deps.git.localRepository(requested);
  if (!local) throw validationFailed([{ field: 'body.path', message: 'is not a git repository on this machine' }]);
  return { source: 'local', url: local.path, name: path.basename(local.path) || 'repo', detectBranch: async () => local.branch };
}

async function findByUrl(db: Db, organizationId: string, url: string): Promise<RepoRow | undefined> {
  const [row] = await db.select().from(repo).where(and(eq(repo.organizationId, organizationId), eq(repo.url, url))).limit(1);
  return row;
}

/**
 * Adds a repo, or returns the one the organisation already has at that URL (`created: false`):
 * 1. check the URL or local path,
 * 2. return the existing repo for that URL, if any,
 * 3. take the default branch given, else ask git (the remote's HEAD, or the local checkout's branch), else `main`,
 * 4. insert (a concurrent add of the same URL ends in the existing row),
 * 5. unless told not to, create a single-repo configuration named after it; if that fails, the repo stays.
 */
export async function createRepo(
  deps: RepoDeps,
  caller: OrgCaller,
  input: CreateRepoInput,
): Promise<{ repo: RepoView; created: boolean; configuration: ConfigurationView | null }> {
  const source = await resolveSource(deps, input);
  const existing = await findByUrl(deps.db, caller.organizationId, source.url);
  if (existing) return { repo: toView(existing), created: false, configuration: null };

  const detected = input.defaultBranch ?? (await source.detectBranch());
  const defaultBranch = detected && BranchName.safeParse(detected).success ? detected : FALLBACK_BRANCH;
  const now = deps.clock.now();
  const [inserted] = await deps.db
    .insert(repo)
    .values({
      id: newRepoId(),
      organizationId: caller.organizationId,
      name: input.name ?? source.name,
      source: source.source,
      url: source.url,
      defaultBranch,
      addedBy: caller.userId,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing({ target: [repo.organizationId, repo.url] })
    .returning();
  if (!inserted) {
    const raced = await findByUrl(deps.db, caller.organizationId, source.url);
    if (raced) return { repo: toView(raced), created: false, configuration: null };
    throw new Error('repo insert conflicted but no row exists');
  }

  let configuration: ConfigurationView | null = null;
  if (input.createConfiguration) {
    try {
      configuration = await createConfiguration(deps, caller, { repos: [{ repoId: inserted.id }] });
    } catch (err) {
      deps.logger.warn({ repoId: inserted.id, err: err instanceof Error ? err.message : String(err) }, 'configuration for a new repo could not be created');
    }
  }
  return { repo: toView(inserted), created: true, configuration };
}

/** Renames a repo or changes the branch sandboxes clone (existing snapshots keep what they cloned until rebuilt). */
/** Renames a repo or changes its default branch; a new branch rebuilds the snapshots of the configurations using it. */
export async function updateRepo(deps: Pick<ConfigurationDeps, 'db' | 'clock' | 'outboxWritten'>, caller: OrgCaller, id: string, input: { name?: string; defaultBranch?: string }): Promise<RepoView> {
  const now = deps.clock.now();
  const { row, rebuilt } = await deps.db.transaction(async (tx) => {
    const [before] = await tx
      .select({ branch: repo.defaultBranch })
      .from(repo)
      .where(and(eq(repo.id, id), eq(repo.organizationId, caller.organizationId)))
      .for('update');
    if (!before) throw missing('Repo', 'params.repoId');
    const changes: Partial<typeof repo.$inferInsert> = { updatedAt: now };
    if (input.name !== undefined) changes.name = input.name;
    if (input.defaultBranch !== undefined) changes.defaultBranch = input.defaultBranch;
    const [updated] = await tx.update(repo).set(changes).where(eq(repo.id, id)).returning();
    const branchChanged = input.defaultBranch !== undefined && input.defaultBranch !== before.branch;
    return { row: updated, rebuilt: branchChanged ? await rebuildConfigurationsOfRepo(tx, id, caller.organizationId, now) : [] };
  });
  if (rebuilt.length) await deps.outboxWritten?.();
  return toView(row);
}

/** Hard delete. Configurations lose the link (it cascades) and keep working with their other repos. */
export async function deleteRepo(db: Db, caller: OrgCaller, id: string): Promise<void> {
  const rows = await db
    .delete(repo)
    .where(and(eq(repo.id, id), eq(repo.organizationId, caller.organizationId)))
    .returning({ id: repo.id });
  if (!rows.length) throw missing('Repo', 'params.repoId');
}
