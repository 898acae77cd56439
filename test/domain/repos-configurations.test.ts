import { configurationRoutes, SnapshotBuildTask } from '../../shared/contracts/repos';
import type { DbHandle } from '../../shared/db/client';
import { configuration } from '../../shared/db/schema';
import type { OrgCaller } from '../../shared/domain/caller';
import { DomainError } from '../../shared/domain/errors';
import * as orgs from '../../shared/domain/orgs/organizations';
import * as cfgs from '../../shared/domain/repos/configurations';
import { systemGit } from '../../shared/domain/repos/git';
import * as repos from '../../shared/domain/repos/repos';
import { runSnapshotBuildTask, type SnapshotBuildDeps } from '../../shared/domain/repos/snapshot-build';
import type { ServiceCommand } from '../../shared/db/schema';
import { testDb } from '../support/db';
import { FakeProvider } from '../support/fake-provider';
import { ManualClock, makeUser, outcome, refresh } from '../support/fixtures';
import { dispatchOutbox } from '../../shared/domain/outbox/dispatch';
import { createLogger } from '../../shared/runtime/logger';
import { outbox } from '../../shared/db/schema';
import { and, eq, sql } from 'drizzle-orm';

/** Builds are started through the outbox: publish it now, with this port as Step Functions. */
const publishWith = (db: Parameters<typeof dispatchOutbox>[0]['db'], workflows: Parameters<typeof dispatchOutbox>[0]['workflows']) => async () => {
  await dispatchOutbox({ db, workflows, queue: { send: async () => ({ messageId: 'unused' }) }, clock: { now: () => new Date() }, logger: createLogger({ level: 'silent' }) });
};


let h: DbHandle;
beforeAll(async () => {
  h = await testDb();
});
afterAll(async () => h.close());

const clock = new ManualClock();
const started: { name?: string; input: unknown }[] = [];
let failStart: Error | null = null;
const silent = { info: () => {}, warn: () => {} };
const deps = (): repos.RepoDeps => ({
  db: h.db,
  clock,
  outboxWritten: publishWith(h.db, {
    start: async (_machine: string, input: unknown, options?: { name?: string }) => {
      if (failStart) throw failStart;
      started.push({ name: options?.name, input });
      return { executionId: `exec-${started.length}` };
    },
  }),
  defaultProvider: 'local',
  logger: silent,
  git: { remoteDefaultBranch: async () => null, localRepository: systemGit.localRepository },
  allowLocal: true,
});
const stepDeps = (): SnapshotBuildDeps => ({
  db: h.db,
  clock,
  logger: silent,
  provider: () => new FakeProvider(),
  daemon: async () => ({ path: '/nonexistent/daemon.js', version: 'd1' }),
  endpoints: { apiUrl: 'http://127.0.0.1:1', wsUrl: 'ws://127.0.0.1:1/ws' },
});

async function orgCaller(name: string): Promise<OrgCaller> {
  const user = await makeUser(h.db);
  await orgs.createOrganization(h.db, user, { name });
  return orgs.resolveOrgCaller(h.db, await refresh(h.db, user));
}

async function repo(caller: OrgCaller, url: string, name?: string) {
  return (await repos.createRepo(deps(), caller, { url, name, createConfiguration: false })).repo;
}

async function refusal(p: Promise<unknown>): Promise<{ status: string; fields: string[] }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DomainError) return { status: `${e.kind}:${e.code}`, fields: (e.fields ?? []).map((f) => f.field) };
    throw e;
  }
  throw new Error('expected a refusal');
}

const create = (caller: OrgCaller, input: cfgs.CreateConfigurationInput) => cfgs.createConfiguration(deps(), caller, input);

describe('workspace paths', () => {
  let caller: OrgCaller;
  let api: Awaited<ReturnType<typeof repo>>;
  let api2: Awaited<ReturnType<typeof repo>>;
  let web: Awaited<ReturnType<typeof repo>>;
  beforeAll(async () => {
    caller = await orgCaller('Paths Co');
    api = await repo(caller, 'https://github.com/acme/api');
    api2 = await repo(caller, 'https://github.com/other/api');
    web = await repo(caller, 'https://github.com/acme/web-app.git');
  });

  it('puts a single repo at the workspace itself, or where asked', async () => {
    expect((await create(caller, { repos: [{ repoId: api.id }] })).repos.map((r) => r.workspacePath)).toEqual(['.']);
    expect((await create(caller, { name: 'api in src', repos: [{ repoId: api.id, workspacePath: 'src/api' }] })).repos.map((r) => r.workspacePath)).toEqual(['src/api']);
  });

  it("names each folder of a multi-repo configuration after the repo's last segment, made unique", async () => {
    const c = await create(caller, { repos: [{ repoId: api.id }, { repoId: api2.id }, { repoId: web.id }] });
    expect(Object.fromEntries(c.repos.map((r) => [r.name, r.workspacePath]))).toEqual({ 'acme/api': 'api', 'other/api': 'api-2', 'acme/web-app': 'web-app' });
    expect(c.name).toBe('api + api + web-app');
  });

  it('keeps explicit folders and derives the rest around them', async () => {
    const c = await create(caller, { name: 'explicit', repos: [{ repoId: api.id }, { repoId: web.id, workspacePath: 'api' }] });
    expect(Object.fromEntries(c.repos.map((r) => [r.name, r.workspacePath]))).toEqual({ 'acme/api': 'api-2', 'acme/web-app': 'api' });
  });

  it('refuses . with several repos, folders inside each other, and a repo listed twice, naming the field', async () => {
    expect(await refusal(create(caller, { repos: [{ repoId: api.id }, { repoId: web.id, workspacePath: '.' }] }))).toEqual({ status: 'validation:validation_failed', fields: ['body.repos.1.workspacePath'] });
    expect(await refusal(create(caller, { repos: [{ repoId: api.id, workspacePath: 'x' }, { repoId: web.id, workspacePath: 'x/web' }] }))).toEqual({ status: 'validation:validation_failed', fields: ['body.repos.1.workspacePath'] });
    expect(await refusal(create(caller, { repos: [{ repoId: api.id }, { repoId: api.id }] }))).toEqual({ status: 'validation:validation_failed', fields: ['body.repos.1.repoId'] });
  });

  it('refuses unsafe folders at the contract', () => {
    const parse = (workspacePath: string) => configurationRoutes.create.body.safeParse({ repos: [{ repoId: 'r', workspacePath }] });
    for (const bad of ['../x', '/abs', '.git', 'a//b', 'a/../b', '-rf', 'a b', 'x/.hidden', '']) {
      const result = parse(bad);
      expect([bad, result.success]).toEqual([bad, false]);
      if (!result.success) expect(result.error.issues[0].path).toEqual(['repos', 0, 'workspacePath']);
    }
    for (const good of ['.', 'api', 'libs/web_app', 'v1.2']) expect([good, parse(good).success]).toEqual([good, true]);
  });

  it("treats another organisation's repo id as not found, naming the field", async () => {
    const other = await orgCaller('Paths Other');
    const theirs = await repo(other, 'https://github.com/x/private');
    expect(await refusal(create(caller, { repos: [{ repoId: api.id }, { repoId: theirs.id }] }))).toEqual({ status: 'not_found:not_found', fields: ['body.repos.1.repoId'] });
  });
});

describe('commands, env files and agent', () => {
  let caller: OrgCaller;
  let id: string;
  beforeAll(async () => {
    caller = await orgCaller('Commands Co');
    const a = await repo(caller, 'https://github.com/c/api');
    const b = await repo(caller, 'https://github.com/c/web');
    id = (await create(caller, { name: 'stack', repos: [{ repoId: a.id }, { repoId: b.id }] })).id;
  });
  const update = (input: cfgs.UpdateConfigurationInput) => cfgs.updateConfiguration(h.db, clock, caller, id, input);

  it('has no effective service commands until the configuration has some', async () => {
    expect(await cfgs.effectiveServiceCommands(h.db, caller, id)).toEqual({ source: 'none', commands: [], workspaces: ['api', 'web'] });
    const commands: ServiceCommand[] = [{ name: 'api', command: 'npm run dev', workspacePath: 'api' }, { name: 'db', command: 'docker compose up db' }];
    await update({ serviceCommands: commands });
    expect(await cfgs.effectiveServiceCommands(h.db, caller, id)).toEqual({ source: 'configuration', commands, workspaces: ['api', 'web'] });
  });

  it('updates notes, agent command (null: built-in agent) and env files', async () => {
    const c = await update({ notes: 'Run migrations first', agentCommand: 'npx @zed-industries/claude-code-acp', envFiles: [{ path: '.env', workspacePath: 'api', format: 'dotenv', mode: 'secret', keys: [{ key: 'DATABASE_URL', required: true }] }] });
    expect(c).toMatchObject({ notes: 'Run migrations first', agentCommand: 'npx @zed-industries/claude-code-acp', envFiles: [{ path: '.env', workspacePath: 'api' }] });
    expect(await update({ agentCommand: null, notes: null })).toMatchObject({ agentCommand: null, notes: null, envFiles: [{ path: '.env' }] });
  });

  it('refuses duplicate or misplaced commands and env files, naming each field', async () => {
    expect(
      await refusal(
        update({
          serviceCommands: [
            { name: 'dev', command: 'a' },
            { name: 'dev', command: 'b', workspacePath: 'nowhere' },
          ],
        }),
      ),
    ).toEqual({ status: 'validation:validation_failed', fields: ['body.serviceCommands.1.name', 'body.serviceCommands.1.workspacePath'] });
    const file = { path: '.env', workspacePath: 'web', format: 'dotenv' as const, mode: 'secret' as const, keys: [{ key: 'A', required: true }] };
    expect(
      await refusal(update({ envFiles: [file, { ...file, keys: [{ key: 'B', required: true }, { key: 'B', required: false }] }, { ...file, workspacePath: '../etc' }] })),
    ).toEqual({ status: 'validation:validation_failed', fields: ['body.envFiles.1.path', 'body.envFiles.1.keys.1.key', 'body.envFiles.2.workspacePath'] });
    // The contract refuses what ServiceCommandSchema refuses, before the service sees it.
    const bad = configurationRoutes.update.body.safeParse({ serviceCommands: [{ name: 'has space', command: 'x' }] });
    expect(bad.success ? [] : bad.error.issues.map((i) => i.path.join('.'))).toEqual(['serviceCommands.0.name']);
  });

  it('refuses a name another configuration has (409 naming body.name)', async () => {
    const other = await repo(caller, 'https://github.com/c/other');
    await create(caller, { name: 'taken', repos: [{ repoId: other.id }] });
    expect(await refusal(update({ name: 'taken' }))).toEqual({ status: 'conflict:name_taken', fields: ['body.name'] });
    expect(await refusal(create(caller, { name: 'taken', repos: [{ repoId: other.id }] }))).toEqual({ status: 'conflict:name_taken', fields: ['body.name'] });
    expect((await update({ name: 'stack' })).name).toBe('stack');
  });
});

describe('repos of a configuration', () => {
  it('replaces the repos, keeps the folders of those that stay, drops the snapshot and starts a build', async () => {
    const caller = await orgCaller('Set Repos Co');
    const api = await repo(caller, 'https://github.com/s/api');
    const web = await repo(caller, 'https://github.com/s/web');
    const docs = await repo(caller, 'https://github.com/s/docs');
    const c = await create(caller, { name: 'set', repos: [{ repoId: api.id, workspacePath: 'backend' }, { repoId: web.id }] });
    await h.db.update(configuration).set({ status: 'default', snapshotId: 'snap-old', snapshotVersionKey: 'd1' }).where(eq(configuration.id, c.id));
    const before = started.length;

    const after = await cfgs.setConfigurationRepos(deps(), caller, c.id, [{ repoId: docs.id }, { repoId: api.id }]);

    expect(Object.fromEntries(after.repos.map((r) => [r.name, r.workspacePath]))).toEqual({ 's/api': 'backend', 's/docs': 'docs' });
    expect(after).toMatchObject({ status: 'building', snapshotId: null, snapshotVersionKey: null });
    expect(started.length).toBe(before + 1);
    // Down to one repo: it moves to the workspace itself.
    expect((await cfgs.setConfigurationRepos(deps(), caller, c.id, [{ repoId: web.id }])).repos.map((r) => r.workspacePath)).toEqual(['.']);
  });
});

describe('snapshot status', () => {
  let caller: OrgCaller;
  let id: string;
  const task = (action: 'markBuilding' | 'markReady' | 'markFailed', extra: Record<string, unknown> = {}) =>
    runSnapshotBuildTask(stepDeps(), SnapshotBuildTask.parse({ action, configurationId: id, organizationId: caller.organizationId, buildId: '1', ...extra }));
  const status = () => cfgs.configurationStatus(h.db, caller, id);

  beforeAll(async () => {
    caller = await orgCaller('Status Co');
    const r = await repo(caller, 'https://github.com/st/app');
    id = (await create(caller, { repos: [{ repoId: r.id }] })).id;
  });

  it('goes building → default with the snapshot and version key; MarkReady applies only while building', async () => {
    expect(await status()).toMatchObject({ status: 'building', error: null, snapshotId: null });
    expect(await task('markBuilding')).toEqual({ status: 'building' });
    expect(await task('markBuilding')).toEqual({ status: 'building' });
    expect(await task('markReady', { snapshotId: 'snap-1', versionKey: 'd1' })).toEqual({ applied: true });
    expect(await status()).toMatchObject({ status: 'default', snapshotId: 'snap-1', snapshotVersionKey: 'd1', error: null });
    expect(await task('markReady', { snapshotId: 'snap-late', versionKey: 'd0' })).toEqual({ applied: false });
    expect(await task('markFailed', { error: { Error: 'X' } })).toEqual({ applied: false });
    expect(await status()).toMatchObject({ status: 'default', snapshotId: 'snap-1' });
  });

  it("records a failure with the Lambda error's message", async () => {
    await task('markBuilding');
    const cause = JSON.stringify({ errorMessage: 'git clone of x failed: Repository not found', errorType: 'SnapshotBuildFailed' });
    expect(await task('markFailed', { error: { Error: 'SnapshotBuildFailed', Cause: cause } })).toEqual({ applied: true });
    expect(await status()).toMatchObject({ status: 'failed', error: 'git clone of x failed: Repository not found' });
    expect(await task('markFailed', { error: { Error: 'States.Timeout' } })).toEqual({ applied: false });
  });

  it('starts one build at a time: asking while one runs starts nothing; after it ends (or goes stale) it starts anew', async () => {
    const first = await cfgs.requestBuild(deps(), caller, id);
    expect(first).toMatchObject({ started: true, configuration: { status: 'building', error: null } });
    expect(first.executionName).toMatch(new RegExp(`^${id}-\\d+$`));
    clock.advance(1000);
    expect(await cfgs.requestBuild(deps(), caller, id)).toMatchObject({ started: false, executionName: null, configuration: { status: 'building' } });

    await task('markReady', { snapshotId: 'snap-2', versionKey: 'd1' });
    clock.advance(1000);
    const second = await cfgs.requestBuild(deps(), caller, id);
    expect(second.started).toBe(true);
    expect(second.executionName).not.toBe(first.executionName);

    clock.advance(cfgs.STALE_BUILD_MS + 1);
    expect((await cfgs.requestBuild(deps(), caller, id)).started).toBe(true);
  });

  it('starts exactly one build when asked twice at the same moment', async () => {
    await task('markFailed', { error: { Error: 'x' } });
    const before = started.length;
    const both = await Promise.all([cfgs.requestBuild(deps(), caller, id), cfgs.requestBuild(deps(), caller, id)]);
    expect(both.map((b) => b.started).sort()).toEqual([false, true]);
    expect(started.length).toBe(before + 1);
  });

  it('keeps a build start that could not be published in the outbox for a retry, without failing the caller', async () => {
    await task('markFailed', { error: { Error: 'x' } });
    failStart = new Error('StateMachineDoesNotExist');
    try {
      const out = await cfgs.requestBuild(deps(), caller, id);
      expect(out).toMatchObject({ started: true, configuration: { status: 'building' } });
      const [row] = await h.db.select().from(outbox).where(and(eq(outbox.topic, 'workflow.start'), eq(outbox.status, 'pending'), sql`${outbox.payload}->>'name' = ${out.executionName}`));
      expect(row.lastError).toBe('StateMachineDoesNotExist');
    } finally {
      failStart = null;
    }
  });
});

describe('deleting and tenant isolation of configurations', () => {
  it("answers not found for another organisation's configuration on every call, and deletes hard", async () => {
    const a = await orgCaller('Cfg Tenant A');
    const b = await orgCaller('Cfg Tenant B');
    const r = await repo(a, 'https://github.com/ta/app');
    const c = await create(a, { repos: [{ repoId: r.id }] });
    const rb = await repo(b, 'https://github.com/tb/app');

    const calls: Promise<unknown>[] = [
      cfgs.getConfiguration(h.db, b, c.id),
      cfgs.updateConfiguration(h.db, clock, b, c.id, { name: 'mine' }),
      cfgs.setConfigurationRepos(deps(), b, c.id, [{ repoId: rb.id }]),
      cfgs.effectiveServiceCommands(h.db, b, c.id),
      cfgs.configurationStatus(h.db, b, c.id),
      cfgs.requestBuild(deps(), b, c.id),
      cfgs.deleteConfiguration(h.db, b, c.id),
    ];
    for (const call of calls) expect(await refusal(call)).toEqual({ status: 'not_found:not_found', fields: ['params.configurationId'] });
    expect((await cfgs.listConfigurations(h.db, b, { limit: 50, offset: 0 })).configurations).toEqual([]);
    expect(await cfgs.getConfiguration(h.db, a, c.id)).toMatchObject({ name: 'ta/app', repos: [{ repoId: r.id }] });

    await cfgs.deleteConfiguration(h.db, a, c.id);
    expect(await outcome(cfgs.getConfiguration(h.db, a, c.id))).toBe('not_found:not_found');
    expect(await repos.getRepo(h.db, a, r.id)).toMatchObject({ id: r.id });
  });

  it('lists configurations with their repos, searched by name and paged', async () => {
    const caller = await orgCaller('Cfg List Co');
    const r = await repo(caller, 'https://github.com/l/app');
    for (const name of ['Beta', 'alpha', '50%_off']) await create(caller, { name, repos: [{ repoId: r.id }] });
    const list = await cfgs.listConfigurations(h.db, caller, { limit: 2, offset: 0 });
    expect(list).toMatchObject({ total: 3, nextOffset: 2 });
    expect(list.configurations.map((c) => c.name)).toEqual(['50%_off', 'alpha']);
    expect(list.configurations[0].repos).toEqual([expect.objectContaining({ repoId: r.id, workspacePath: '.' })]);
    expect((await cfgs.listConfigurations(h.db, caller, { q: '%_', limit: 50, offset: 0 })).configurations.map((c) => c.name)).toEqual(['50%_off']);
    expect((await cfgs.listConfigurations(h.db, caller, { q: 'BET', limit: 50, offset: 0 })).configurations.map((c) => c.name)).toEqual(['Beta']);
  });
});
