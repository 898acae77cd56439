import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { DbHandle } from '../../shared/db/client';
import { configuration, configurationRepo } from '../../shared/db/schema';
import type { OrgCaller } from '../../shared/domain/caller';
import { DomainError } from '../../shared/domain/errors';
import * as orgs from '../../shared/domain/orgs/organizations';
import * as configurations from '../../shared/domain/repos/configurations';
import { parseGitUrl, systemGit, type GitProbe } from '../../shared/domain/repos/git';
import * as repos from '../../shared/domain/repos/repos';
import { testDb } from '../support/db';
import { ManualClock, makeUser, outcome, refresh } from '../support/fixtures';
import { dispatchOutbox } from '../../shared/domain/outbox/dispatch';
import { createLogger } from '../../shared/runtime/logger';

/** Builds are started through the outbox: publish it now, with this port as Step Functions. */
const publishWith = (db: Parameters<typeof dispatchOutbox>[0]['db'], workflows: Parameters<typeof dispatchOutbox>[0]['workflows']) => async () => {
  await dispatchOutbox({ db, workflows, queue: { send: async () => ({ messageId: 'unused' }) }, clock: { now: () => new Date() }, logger: createLogger({ level: 'silent' }) });
};


let h: DbHandle;
const temp: string[] = [];
beforeAll(async () => {
  h = await testDb();
});
afterAll(async () => {
  await h.close();
  for (const dir of temp) rmSync(dir, { recursive: true, force: true });
});

/** A git repository with one commit on `branch`, in a fresh temporary folder. */
function gitRepo(name: string, branch = 'trunk'): string {
  const root = mkdtempSync(path.join(tmpdir(), 'prl-repo-'));
  temp.push(root);
  const dir = path.join(root, name);
  mkdirSync(dir);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', branch);
  git('-c', 'user.email=t@example.com', '-c', 'user.name=T', 'commit', '-q', '--allow-empty', '-m', 'first');
  return realpathSync(dir);
}

async function orgCaller(name: string): Promise<OrgCaller> {
  const user = await makeUser(h.db);
  await orgs.createOrganization(h.db, user, { name });
  return orgs.resolveOrgCaller(h.db, await refresh(h.db, user));
}

/** A git probe that answers remote lookups from a table (no network) and local ones with real git. */
function probe(remote: Record<string, string | null> = {}): GitProbe & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async remoteDefaultBranch(url) {
      asked.push(url);
      return remote[url] ?? null;
    },
    localRepository: (p) => systemGit.localRepository(p),
  };
}

function deps(overrides: Partial<repos.RepoDeps> = {}) {
  const started: { stateMachine: string; input: unknown; name?: string }[] = [];
  const d: repos.RepoDeps = {
    db: h.db,
    clock: new ManualClock(),
    outboxWritten: publishWith(h.db, {
      start: async (stateMachine: string, input: unknown, options?: { name?: string }) => {
        started.push({ stateMachine, input, name: options?.name });
        return { executionId: `exec-${started.length}` };
      },
    }),
    defaultProvider: 'local',
    logger: { info: () => {}, warn: () => {} },
    git: probe(),
    allowLocal: true,
    ...overrides,
  };
  return { deps: d, started };
}

const add = (d: repos.RepoDeps, caller: OrgCaller, input: Partial<repos.CreateRepoInput>) => repos.createRepo(d, caller, { createConfiguration: true, ...input });

async function fieldsOf(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DomainError) return (e.fields ?? []).map((f) => f.field);
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('adding repos', () => {
  it('adds a local repository with its checked-out branch and a single-repo configuration named after it', async () => {
    const caller = await orgCaller('Local Co');
    const dir = gitRepo('widgets', 'trunk');
    const { deps: d, started } = deps();

    const out = await add(d, caller, { path: dir });

    expect(out.created).toBe(true);
    expect(out.repo).toMatchObject({ name: 'widgets', source: 'local', url: dir, defaultBranch: 'trunk', addedBy: caller.userId });
    expect(out.configuration).toMatchObject({ name: 'widgets', status: 'building', sandboxProvider: 'local' });
    expect(out.configuration!.repos).toEqual([expect.objectContaining({ repoId: out.repo.id, workspacePath: '.' })]);
    expect(started).toEqual([
      {
        stateMachine: 'snapshot-build',
        input: { configurationId: out.configuration!.id, organizationId: caller.organizationId, buildId: expect.stringMatching(/^\d+$/) },
        name: expect.stringMatching(new RegExp(`^${out.configuration!.id}-\\d+$`)),
      },
    ]);
  });

  it('is idempotent on (organisation, URL): the same repo again is the existing row, with no second configuration', async () => {
    const caller = await orgCaller('Idem Co');
    const dir = gitRepo('gadgets');
    mkdirSync(path.join(dir, 'src'));
    const { deps: d, started } = deps();

    const first = await add(d, caller, { path: dir });
    const again = await add(d, caller, { path: dir });
    const viaSubfolder = await add(d, caller, { path: path.join(dir, 'src') });

    expect(again).toEqual({ repo: first.repo, created: false, configuration: null });
    expect(viaSubfolder.created).toBe(false);
    expect(viaSubfolder.repo.id).toBe(first.repo.id);
    expect(started).toHaveLength(1);
    expect((await repos.listRepos(h.db, caller, { limit: 50, offset: 0 })).total).toBe(1);
  });

  it('ends two concurrent adds of the same URL in one row', async () => {
    const caller = await orgCaller('Race Co');
    const { deps: d, started } = deps();
    const both = await Promise.all([add(d, caller, { url: 'https://github.com/race/app' }), add(d, caller, { url: 'https://github.com/race/app' })]);
    expect(both.map((b) => b.created).sort()).toEqual([false, true]);
    expect(both[0].repo.id).toBe(both[1].repo.id);
    expect(started).toHaveLength(1);
  });

  it('adds a git URL with the default branch its remote reports, else main, and normalises the URL', async () => {
    const caller = await orgCaller('Remote Co');
    const git = probe({ 'https://github.com/acme/api.git': 'develop' });
    const { deps: d } = deps({ git });

    const api = await add(d, caller, { url: 'https://GitHub.com/acme/api.git/' });
    const web = await add(d, caller, { url: 'git@github.com:acme/web.git', createConfiguration: false });
    const pinned = await add(d, caller, { url: 'ssh://git@example.com:2222/team/tools', defaultBranch: 'release/2.0', name: 'Tools' });
    const same = await add(d, caller, { url: 'https://github.com/acme/api.git' });

    expect(api.repo).toMatchObject({ source: 'git', url: 'https://github.com/acme/api.git', name: 'acme/api', defaultBranch: 'develop' });
    expect(web.repo).toMatchObject({ url: 'git@github.com:acme/web.git', name: 'acme/web', defaultBranch: 'main' });
    expect(web.configuration).toBeNull();
    expect(pinned.repo).toMatchObject({ url: 'ssh://git@example.com:2222/team/tools', name: 'Tools', defaultBranch: 'release/2.0' });
    expect(same).toMatchObject({ created: false, repo: { id: api.repo.id } });
    // The given branch is not looked up; an existing URL is not looked up again.
    expect(git.asked).toEqual(['https://github.com/acme/api.git', 'git@github.com:acme/web.git']);
  });

  it('names the field when the URL or path is refused', async () => {
    const caller = await orgCaller('Refusals Co');
    const { deps: d } = deps();
    const notARepo = mkdtempSync(path.join(tmpdir(), 'prl-plain-'));
    temp.push(notARepo);

    for (const url of ['http://github.com/a/b', 'ext::sh -c touch% /tmp/pwned', 'ext::sh', 'fd::17', 'host::path', 'https://user:token@github.com/a/b', 'https://github.com/', '-oProxyCommand=x:y', 'ftp://h/r', 'https://h/a b']) {
      expect([url, await fieldsOf(add(d, caller, { url }))]).toEqual([url, ['body.url']]);
    }
    expect(await fieldsOf(add(d, caller, { path: 'relative/dir' }))).toEqual(['body.path']);
    expect(await fieldsOf(add(d, caller, { path: notARepo }))).toEqual(['body.path']);
    expect(await fieldsOf(add(d, caller, { path: path.join(notARepo, 'missing') }))).toEqual(['body.path']);

    const { deps: onAws } = deps({ allowLocal: false });
    expect(await fieldsOf(add(onAws, caller, { path: gitRepo('x') }))).toEqual(['body.path']);
    expect(await fieldsOf(add(onAws, caller, { url: 'file:///srv/git/x' }))).toEqual(['body.url']);
  });

  it('parses the URL forms git accepts, and nothing that could reach git as an option or a helper', () => {
    expect(parseGitUrl('https://gitlab.com/group/sub/repo.git')).toEqual({ kind: 'https', url: 'https://gitlab.com/group/sub/repo.git', name: 'sub/repo' });
    expect(parseGitUrl('file:///srv/git/tools.git')).toEqual({ kind: 'file', url: 'file:///srv/git/tools.git', name: 'tools' });
    expect(parseGitUrl('git@host.example:team/app')).toEqual({ kind: 'ssh', url: 'git@host.example:team/app', name: 'team/app' });
    expect(parseGitUrl('ssh://-oProxyCommand=evil/x')).toHaveProperty('error');
    expect(parseGitUrl('git@-oProxyCommand=x:y')).toHaveProperty('error');
    expect(parseGitUrl('https://github.com/a/b?x=1')).toHaveProperty('error');
  });

  it('detects a remote default branch with git ls-remote, and gives up quietly when unreachable', async () => {
    const dir = gitRepo('upstream', 'stable');
    expect(await systemGit.remoteDefaultBranch(`file://${dir}`)).toBe('stable');
    expect(await systemGit.remoteDefaultBranch(`file://${dir}-missing`)).toBeNull();
  });

  it('gives auto-created configurations unique names', async () => {
    const caller = await orgCaller('Names Co');
    const { deps: d } = deps();
    const one = await add(d, caller, { url: 'https://github.com/a/web' });
    const two = await add(d, caller, { url: 'https://github.com/b/web', name: 'a/web' });
    expect(one.configuration!.name).toBe('a/web');
    expect(two.configuration!.name).toBe('a/web (2)');
  });
});

describe('listing and searching repos', () => {
  it('matches name or URL case-insensitively, with % and _ taken literally, and pages', async () => {
    const caller = await orgCaller('Search Co');
    const { deps: d } = deps();
    for (const [url, name] of [
      ['https://github.com/acme/done', 'acme/100%-done'],
      ['https://github.com/acme/a_b', 'acme/a_b'],
      ['https://github.com/acme/axb', 'acme/axb'],
      ['https://gitlab.example/ops/infra', 'ops/infra'],
    ]) {
      await add(d, caller, { url, name, createConfiguration: false });
    }
    const names = async (q?: string) => (await repos.listRepos(h.db, caller, { q, limit: 50, offset: 0 })).repos.map((r) => r.name);

    expect(await names()).toEqual(['acme/100%-done', 'acme/a_b', 'acme/axb', 'ops/infra']);
    expect(await names('_')).toEqual(['acme/a_b']);
    expect(await names('%')).toEqual(['acme/100%-done']);
    expect(await names('ACME/A')).toEqual(['acme/a_b', 'acme/axb']);
    expect(await names('gitlab.example')).toEqual(['ops/infra']);
    expect(await names('\\')).toEqual([]);
    expect(await repos.listRepos(h.db, caller, { limit: 3, offset: 0 })).toMatchObject({ total: 4, nextOffset: 3 });
    expect(await repos.listRepos(h.db, caller, { limit: 3, offset: 3 })).toMatchObject({ total: 4, nextOffset: null, repos: [{ name: 'ops/infra' }] });
  });
});

describe('updating and deleting repos', () => {
  it('renames and changes the default branch', async () => {
    const caller = await orgCaller('Update Co');
    const { deps: d } = deps();
    const { repo } = await add(d, caller, { url: 'https://github.com/u/app', createConfiguration: false });
    const updated = await repos.updateRepo(d, caller, repo.id, { name: 'App', defaultBranch: 'next' });
    expect(updated).toMatchObject({ id: repo.id, name: 'App', defaultBranch: 'next' });
    expect(await repos.getRepo(h.db, caller, repo.id)).toEqual(updated);
  });

  it('rebuilds the snapshots of the configurations using a repo when its branch changes, and only then', async () => {
    const caller = await orgCaller('Branch Co');
    const { deps: d, started } = deps();
    const { repo, configuration: own } = await add(d, caller, { url: 'https://github.com/u/branchy' });
    const other = await add(d, caller, { url: 'https://github.com/u/unrelated' });
    const both = await configurations.createConfiguration(d, caller, { repos: [{ repoId: repo.id }, { repoId: other.repo.id }] });
    // The builds of the creations ended (failed or not): none is running.
    await h.db.update(configuration).set({ status: 'default' }).where(eq(configuration.organizationId, caller.organizationId));
    started.length = 0;

    await repos.updateRepo(d, caller, repo.id, { name: 'Branchy' });
    await repos.updateRepo(d, caller, repo.id, { defaultBranch: 'main' });
    expect(started).toEqual([]);

    (d.clock as ManualClock).advance(1000);
    await repos.updateRepo(d, caller, repo.id, { defaultBranch: 'release' });
    expect(started.map((s) => (s.input as { configurationId: string }).configurationId).sort()).toEqual([own!.id, both.id].sort());
    expect((await configurations.getConfiguration(h.db, caller, own!.id)).status).toBe('building');
    expect((await configurations.getConfiguration(h.db, caller, other.configuration!.id)).status).toBe('default');
  });

  it('deletes hard; configurations keep their other repos (the link rows cascade)', async () => {
    const caller = await orgCaller('Delete Co');
    const { deps: d } = deps();
    const api = await add(d, caller, { url: 'https://github.com/d/api' });
    const web = await add(d, caller, { url: 'https://github.com/d/web', createConfiguration: false });
    const both = await configurations.createConfiguration(d, caller, { name: 'both', repos: [{ repoId: api.repo.id }, { repoId: web.repo.id }] });

    await repos.deleteRepo(h.db, caller, api.repo.id);

    expect(await outcome(repos.getRepo(h.db, caller, api.repo.id))).toBe('not_found:not_found');
    expect((await configurations.getConfiguration(h.db, caller, both.id)).repos.map((r) => r.workspacePath)).toEqual(['web']);
    // The auto-created single-repo configuration stays, now without repos.
    expect((await configurations.getConfiguration(h.db, caller, api.configuration!.id)).repos).toEqual([]);
    expect(await outcome(configurations.requestBuild(d, caller, api.configuration!.id))).toBe('conflict:no_repos');
    expect(await h.db.select().from(configurationRepo).where(eq(configurationRepo.repoId, api.repo.id))).toEqual([]);
    expect(await outcome(repos.deleteRepo(h.db, caller, api.repo.id))).toBe('not_found:not_found');
  });
});

describe('tenant isolation of repos', () => {
  it("treats another organisation's repo ids as not found, and keeps URLs per organisation", async () => {
    const a = await orgCaller('Tenant A');
    const b = await orgCaller('Tenant B');
    const { deps: d } = deps();
    const { repo } = await add(d, a, { url: 'https://github.com/t/secret' });

    expect(await outcome(repos.getRepo(h.db, b, repo.id))).toBe('not_found:not_found');
    expect(await outcome(repos.updateRepo(d, b, repo.id, { name: 'mine' }))).toBe('not_found:not_found');
    expect(await outcome(repos.deleteRepo(h.db, b, repo.id))).toBe('not_found:not_found');
    expect(await fieldsOf(repos.getRepo(h.db, b, repo.id))).toEqual(['params.repoId']);
    expect((await repos.listRepos(h.db, b, { limit: 50, offset: 0 })).repos).toEqual([]);

    const theirs = await add(d, b, { url: 'https://github.com/t/secret' });
    expect(theirs.created).toBe(true);
    expect(theirs.repo.id).not.toBe(repo.id);
    expect(await repos.getRepo(h.db, a, repo.id)).toMatchObject({ name: 't/secret' });
    const [cfg] = await h.db.select().from(configuration).where(eq(configuration.organizationId, b.organizationId));
    expect(cfg.name).toBe('t/secret');
  });
});
