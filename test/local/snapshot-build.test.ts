import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import validateAsl from 'asl-validator';
import { LocalWorkflows } from '../../infra/local/asl-runner';
import { REPO_ROOT } from '../../infra/local/runtime';
import { loadStateMachines } from '../../infra/local/state-machines';
import { functions, stateMachines } from '../../infra/manifest';
import { handler } from '../../functions/steps/snapshot-build';
import { FsObjects } from '../../shared/adapters/local/objects';
import type { DbHandle } from '../../shared/db/client';
import type { OrgCaller } from '../../shared/domain/caller';
import * as orgs from '../../shared/domain/orgs/organizations';
import * as cfgs from '../../shared/domain/repos/configurations';
import { systemGit } from '../../shared/domain/repos/git';
import * as repos from '../../shared/domain/repos/repos';
import type { WorkflowsPort } from '../../shared/ports';
import { setContainer, type Container } from '../../shared/runtime/container';
import { createLogger } from '../../shared/runtime/logger';
import { SandboxProviderError, type ExecResult, type SandboxProvider } from '../../shared/sandbox/provider';
import { LocalSandboxProvider } from '../../shared/sandbox/providers/local';
import { testDb } from '../support/db';
import { FakeProvider } from '../support/fake-provider';
import { makeUser, refresh } from '../support/fixtures';
import { recordingLogger } from './helpers';
import { dispatchOutbox } from '../../shared/domain/outbox/dispatch';
import { and, eq } from 'drizzle-orm';
import { outbox, sandboxBaseSnapshot } from '../../shared/db/schema';
import { BASE_RETRY_AFTER_MS, ensureBaseSnapshot, readyBaseSnapshot } from '../../shared/domain/repos/base-snapshots';
import { NODE_PTY_PACKAGE } from '../../shared/sandbox/providers/daemon-launch';

/** Builds are started through the outbox: publish it now, with this port as Step Functions. */
const publishWith = (db: Parameters<typeof dispatchOutbox>[0]['db'], workflows: Parameters<typeof dispatchOutbox>[0]['workflows']) => async () => {
  await dispatchOutbox({ db, workflows, queue: { send: async () => ({ messageId: 'unused' }) }, clock: { now: () => new Date() }, logger: createLogger({ level: 'silent' }) });
};


const ASL_FILE = path.join(REPO_ROOT, 'state-machines', 'snapshot-build.asl.json');

/** The fake provider of the lifecycle tests, with clones and snapshots a test can make fail. */
class BuildProvider extends FakeProvider {
  readonly execs: { sandboxId: string; argv: string[] }[] = [];
  execResult: (argv: string[]) => ExecResult = () => ({ exitCode: 0, stdout: '', stderr: '' });
  snapshotFailures: Error[] = [];
  snapshotKeys: string[] = [];
  alwaysFailSnapshot: Error | null = null;

  // Defaults keep the signature compatible with FakeProvider's argument-less exec.
  override async exec(sandboxId = '', argv: string[] = []) {
    this.execs.push({ sandboxId, argv });
    return this.execResult(argv);
  }
  override async snapshot(sandboxId: string, options?: { key: string }) {
    this.snapshotKeys.push(options?.key ?? '');
    const failure = this.alwaysFailSnapshot ?? this.snapshotFailures.shift();
    if (failure) throw failure;
    return super.snapshot(sandboxId);
  }
  count(kind: string) {
    return this.calls.filter((c) => c.startsWith(`${kind}:`)).length;
  }
}

let h: DbHandle;
let provider: SandboxProvider;
let workflows: LocalWorkflows;
let port: Pick<WorkflowsPort, 'start'>;
const executions: string[] = [];
const log = recordingLogger();
const silent = { info: () => {}, warn: () => {} };
let daemonPath: string;
const temp: string[] = [];

beforeAll(async () => {
  h = await testDb();
  const dir = mkdtempSync(path.join(tmpdir(), 'prl-build-'));
  temp.push(dir);
  daemonPath = path.join(dir, 'daemon.js');
  // Stands in for the daemon bundle: the build does not need it to do anything.
  writeFileSync(daemonPath, 'setInterval(() => {}, 1000);\n');
  setContainer({
    db: h.db,
    clock: { now: () => new Date() },
    logger: createLogger({ level: 'silent' }),
    sandboxes: {
      defaultProvider: 'local',
      provider: () => provider,
      daemon: async () => ({ path: daemonPath, version: 'daemon-test-1' }),
      endpoints: { apiUrl: 'http://127.0.0.1:9', wsUrl: 'ws://127.0.0.1:9/ws' },
    },
  } as unknown as Container);
  workflows = new LocalWorkflows({
    db: h.db,
    logger: log.logger,
    definitions: loadStateMachines({ 'snapshot-build': stateMachines['snapshot-build'] }, REPO_ROOT),
    invokeFunction: async (fn, payload) => {
      if (fn !== 'snapshotBuild') throw new Error(`unexpected function ${fn}`);
      return handler(payload);
    },
    overrides: { retryIntervalMs: 1 },
  });
  port = {
    start: async (machine, input, options) => {
      const out = await workflows.start(machine, input, options);
      executions.push(out.executionId);
      return out;
    },
  };
});
afterAll(async () => {
  await workflows.stop(100);
  setContainer(undefined);
  await h.close();
  for (const dir of temp) rmSync(dir, { recursive: true, force: true });
});

async function orgCaller(name: string): Promise<OrgCaller> {
  const user = await makeUser(h.db);
  await orgs.createOrganization(h.db, user, { name });
  return orgs.resolveOrgCaller(h.db, await refresh(h.db, user));
}

const deps = (): repos.RepoDeps => ({
  db: h.db,
  clock: { now: () => new Date() },
  outboxWritten: publishWith(h.db, port),
  defaultProvider: 'local',
  logger: silent,
  git: { remoteDefaultBranch: async () => null, localRepository: systemGit.localRepository },
  allowLocal: true,
});

/** Creates a configuration (which starts its build) and waits for the build to end. */
async function buildConfiguration(caller: OrgCaller, urls: string[]) {
  const links = [];
  for (const url of urls) links.push({ repoId: (await repos.createRepo(deps(), caller, { url, createConfiguration: false })).repo.id });
  const cfg = await cfgs.createConfiguration(deps(), caller, { repos: links });
  const view = await workflows.waitForExecution(executions[executions.length - 1], 20_000);
  return { cfg, view, after: await cfgs.getConfiguration(h.db, caller, cfg.id) };
}

describe('snapshot-build.asl.json', () => {
  it('is valid ASL in JSONPath, every task a lambda:invoke of the snapshotBuild function', () => {
    const raw = readFileSync(ASL_FILE, 'utf8');
    const definition = JSON.parse(loadStateMachines({ 'snapshot-build': stateMachines['snapshot-build'] }, REPO_ROOT)['snapshot-build']);
    const result = validateAsl(definition, { checkArn: true, checkPaths: true });
    expect(result.errorsText('; ')).toBe('');
    expect(result.isValid).toBe(true);
    expect(raw).not.toMatch(/JSONata|"Assign"/);
    expect(functions.snapshotBuild).toMatchObject({ entry: 'functions/steps/snapshot-build.ts', task: true });
    const tasks = Object.entries(JSON.parse(raw).States as Record<string, any>).filter(([, s]) => s.Type === 'Task');
    expect(tasks.map(([name]) => name)).toEqual(['MarkBuilding', 'BuildSnapshot', 'MarkReady', 'MarkFailed', 'BuildBase', 'MarkBaseReady', 'MarkBaseFailed']);
    for (const [, s] of tasks) expect(s).toMatchObject({ Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: '${SnapshotBuildFunction}' } });
    const build = JSON.parse(raw).States.BuildSnapshot;
    expect(build.Retry[0]).toMatchObject({ ErrorEquals: expect.arrayContaining(['SnapshotTransient']), MaxAttempts: 3, BackoffRate: 2 });
    expect(build.Catch[0]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'MarkFailed' });
  });
});

describe('the snapshot-build workflow in the local runner', () => {
  let caller: OrgCaller;
  beforeAll(async () => {
    caller = await orgCaller('Build Co');
  });

  it('clones every repo into its folder, snapshots, and marks the configuration default with the snapshot', async () => {
    const fake = new BuildProvider();
    provider = fake;

    const { cfg, view, after } = await buildConfiguration(caller, ['https://github.com/b/api', 'https://github.com/b/web']);

    expect(view.status).toBe('SUCCEEDED');
    expect(after).toMatchObject({ status: 'default', error: null, snapshotVersionKey: 'daemon-test-1', snapshotId: expect.stringMatching(/^snap-1-/) });
    expect(fake.execs.map((e) => e.argv)).toEqual([
      ['git', 'clone', '--no-tags', '--branch', 'main', '--', 'https://github.com/b/api', 'api'],
      ['git', 'clone', '--no-tags', '--branch', 'main', '--', 'https://github.com/b/web', 'web'],
    ]);
    expect(fake.snapshotKeys).toEqual([expect.stringMatching(new RegExp(`^${cfg.id}-\\d+$`))]);
    const created = [...fake.sandboxes.values()][0].options;
    expect(created).toMatchObject({ fromSnapshot: null, daemonBundle: daemonPath, env: { PROLIFERATE_SESSION_ID: `build-${cfg.id}` } });
    expect(fake.running()).toEqual([]);
    expect(log.errors()).toEqual([]);
  });

  it('retries a transient failure with backoff and then succeeds, each attempt in a fresh sandbox', async () => {
    const fake = new BuildProvider();
    fake.snapshotFailures = [new SandboxProviderError('local', 'unavailable', 'provider busy'), new SandboxProviderError('local', 'timeout', 'took too long')];
    provider = fake;

    const { view, after } = await buildConfiguration(caller, ['https://github.com/b/retry']);

    expect(view.status).toBe('SUCCEEDED');
    expect(after).toMatchObject({ status: 'default', snapshotId: expect.stringMatching(/^snap-1-/) });
    expect([fake.count('create'), fake.snapshotKeys.length, fake.count('terminate')]).toEqual([3, 3, 3]);
    expect(fake.running()).toEqual([]);
  });

  it('fails at once on a permanent failure and records its error', async () => {
    const fake = new BuildProvider();
    fake.execResult = () => ({ exitCode: 128, stdout: '', stderr: "Cloning into 'x'...\nfatal: Remote branch main not found in upstream origin\n" });
    provider = fake;

    const { view, after } = await buildConfiguration(caller, ['https://github.com/b/broken']);

    expect(view).toMatchObject({ status: 'FAILED', error: 'SnapshotBuildFailed' });
    expect(after.status).toBe('failed');
    expect(after.error).toContain('git clone of https://github.com/b/broken (branch main) into . failed');
    expect(after.error).toContain('Remote branch main not found');
    expect([fake.count('create'), fake.count('terminate')]).toEqual([1, 1]);
  });

  it('gives up after three retries of a transient failure', async () => {
    const fake = new BuildProvider();
    fake.alwaysFailSnapshot = new SandboxProviderError('local', 'unavailable', 'provider down');
    provider = fake;

    const { view, after } = await buildConfiguration(caller, ['https://github.com/b/down']);

    expect(view.status).toBe('FAILED');
    expect(after).toMatchObject({ status: 'failed', error: 'local: provider down' });
    expect(fake.snapshotKeys).toHaveLength(4);
    expect(fake.running()).toEqual([]);
  });

  it('fails without touching a sandbox when the configuration was deleted before its build ran', async () => {
    const fake = new BuildProvider();
    provider = fake;
    const { repo } = await repos.createRepo(deps(), caller, { url: 'https://github.com/b/gone', createConfiguration: false });
    // The build start stays in the outbox (nothing publishes it) while the configuration is deleted.
    const cfg = await cfgs.createConfiguration({ ...deps(), outboxWritten: undefined }, caller, { repos: [{ repoId: repo.id }] });
    await cfgs.deleteConfiguration(h.db, caller, cfg.id);

    await publishWith(h.db, port)();
    const view = await workflows.waitForExecution(executions[executions.length - 1]);

    expect(view.status).toBe('FAILED');
    expect(fake.calls).toEqual([]);
  });
});

describe('base layers', () => {
  const BASE_DIR = '/home/user/.proliferate';
  /** A provider whose sandboxes start from a base layer, as E2B's and Modal's do. */
  const baseProvider = () => {
    const fake = new BuildProvider();
    fake.capabilities = { ...fake.capabilities, baseSnapshot: { daemonDir: BASE_DIR } };
    return fake;
  };
  const baseRow = async () => (await h.db.select().from(sandboxBaseSnapshot).where(eq(sandboxBaseSnapshot.versionKey, 'daemon-test-1')))[0];
  let caller: OrgCaller;
  beforeAll(async () => {
    caller = await orgCaller('Base Co');
  });
  beforeEach(async () => {
    await h.db.delete(sandboxBaseSnapshot);
    // Builds a test queued but did not run never run.
    await h.db.delete(outbox).where(and(eq(outbox.topic, 'workflow.start'), eq(outbox.status, 'pending')));
  });
  afterAll(async () => {
    await h.db.delete(outbox).where(and(eq(outbox.topic, 'workflow.start'), eq(outbox.status, 'pending')));
  });

  it('has one built when a configuration build finds none, and later builds start from it', async () => {
    const fake = baseProvider();
    provider = fake;

    const first = await buildConfiguration(caller, ['https://github.com/base/api']);
    expect([first.view.status, first.after.status]).toEqual(['SUCCEEDED', 'default']);
    expect([...fake.sandboxes.values()][0].options.fromSnapshot).toBeNull();
    expect(await baseRow()).toMatchObject({ provider: 'local', status: 'building', snapshotId: null });

    // The base build was queued by the configuration's build; publish it and let it run.
    await publishWith(h.db, port)();
    const base = await workflows.waitForExecution(executions[executions.length - 1], 20_000);
    expect(base.status).toBe('SUCCEEDED');
    const row = await baseRow();
    expect(row).toMatchObject({ status: 'ready', error: null, snapshotId: expect.stringMatching(/^snap-/) });
    const setup = fake.execs.at(-1)!;
    expect(setup.argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(setup.argv[2]).toContain(`cd ${BASE_DIR}`);
    expect(setup.argv[2]).toContain('npm install --no-audit --no-fund --no-save --loglevel=error @lydell/node-pty@1.1.0');
    expect(fake.snapshotKeys.at(-1)).toBe(`base-local-${row.buildId}`);
    expect(fake.running()).toEqual([]);

    const second = await buildConfiguration(caller, ['https://github.com/base/web']);
    expect(second.after.status).toBe('default');
    expect([...fake.sandboxes.values()].at(-1)!.options.fromSnapshot).toBe(row.snapshotId);
    // Nothing more was queued: the base is ready.
    expect(await ensureBaseSnapshot({ db: h.db, clock: { now: () => new Date() } }, 'local', 'daemon-test-1')).toEqual({ requested: false, executionName: null });
  });

  it('records why a base build failed, and asks again only after a while', async () => {
    const fake = baseProvider();
    fake.execResult = () => ({ exitCode: 3, stdout: '', stderr: 'This sandbox image has no Node.js; the daemon needs Node.js 22.\n' });
    provider = fake;
    const now = new Date();
    const at = (ms: number) => ({ db: h.db, clock: { now: () => new Date(now.getTime() + ms) } });

    const asked = await ensureBaseSnapshot(at(0), 'local', 'daemon-test-1');
    expect(asked).toEqual({ requested: true, executionName: expect.stringMatching(/^base-local-\d+$/) });
    await publishWith(h.db, port)();
    const view = await workflows.waitForExecution(executions[executions.length - 1], 20_000);

    expect(view).toMatchObject({ status: 'FAILED', error: 'BaseSnapshotBuildFailed' });
    expect(await baseRow()).toMatchObject({ status: 'failed', snapshotId: null, error: expect.stringContaining('has no Node.js') });
    expect(fake.count('create')).toBe(1); // a permanent failure is not retried
    expect((await ensureBaseSnapshot(at(60_000), 'local', 'daemon-test-1')).requested).toBe(false);
    expect((await ensureBaseSnapshot(at(BASE_RETRY_AFTER_MS + 60_000), 'local', 'daemon-test-1')).requested).toBe(true);
    expect(await baseRow()).toMatchObject({ status: 'building', error: null });
  });

  it('claims a base build once among concurrent callers; a late task of a replaced build changes nothing', async () => {
    const clock = { now: () => new Date() };
    const results = await Promise.all([1, 2, 3, 4].map(() => ensureBaseSnapshot({ db: h.db, clock }, 'e2b', 'daemon-test-1')));
    expect(results.filter((r) => r.requested)).toHaveLength(1);
    const row = (await h.db.select().from(sandboxBaseSnapshot).where(eq(sandboxBaseSnapshot.provider, 'e2b')))[0];
    const stale = { provider: 'e2b' as const, versionKey: 'daemon-test-1', buildId: 'an-older-build' };
    expect(await handler({ action: 'markBaseReady', ...stale, snapshotId: 'snap-old' })).toEqual({ applied: false });
    expect(await handler({ action: 'markBaseReady', provider: 'e2b', versionKey: 'daemon-test-1', buildId: row.buildId, snapshotId: 'snap-new' })).toEqual({ applied: true });
    expect(await handler({ action: 'markBaseFailed', provider: 'e2b', versionKey: 'daemon-test-1', buildId: row.buildId, error: { Error: 'X' } })).toEqual({ applied: false });
    expect(await readyBaseSnapshot(h.db, 'e2b', 'daemon-test-1')).toBe('snap-new');
    expect(await readyBaseSnapshot(h.db, 'e2b', 'daemon-test-2')).toBeNull();
    const queued = await h.db.select({ payload: outbox.payload }).from(outbox).where(and(eq(outbox.topic, 'workflow.start'), eq(outbox.status, 'pending')));
    expect(queued.filter((q) => (q.payload.input as { provider?: string }).provider === 'e2b')).toHaveLength(1);
  });

  it('refuses a base build for another daemon version than the one it runs', async () => {
    provider = baseProvider();
    await expect(handler({ action: 'buildBase', provider: 'local', versionKey: 'daemon-old', buildId: '1' })).rejects.toThrow(/for daemon daemon-old, but the daemon here is daemon-test-1/);
  });

  it('installs the same PTY library version the daemon is built against', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    const [name, version] = NODE_PTY_PACKAGE.split(/@(?=[^@]+$)/);
    expect(pkg.dependencies[name] ?? pkg.devDependencies[name]).toBe(version);
  });
});

describe('a build with the local provider', () => {
  it('clones a real repository into the sandbox workspace and stores the snapshot', async () => {
    const caller = await orgCaller('Real Build Co');
    const root = mkdtempSync(path.join(tmpdir(), 'prl-real-build-'));
    temp.push(root);
    const source = path.join(root, 'source');
    mkdirSync(source);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: source, stdio: 'pipe' });
    git('init', '-q', '-b', 'trunk');
    writeFileSync(path.join(source, 'README.md'), '# hello\n');
    git('add', 'README.md');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=T', 'commit', '-q', '-m', 'first');
    const objects = new FsObjects(path.join(root, 'objects'));
    provider = new LocalSandboxProvider({ rootDir: path.join(root, 'sandboxes'), objects, logger: createLogger({ level: 'silent' }) });

    const { repo } = await repos.createRepo(deps(), caller, { path: realpathSync(source), createConfiguration: false });
    const cfg = await cfgs.createConfiguration(deps(), caller, { repos: [{ repoId: repo.id }] });
    const view = await workflows.waitForExecution(executions[executions.length - 1], 60_000);
    const after = await cfgs.getConfiguration(h.db, caller, cfg.id);

    expect([view.status, after.status, after.error]).toEqual(['SUCCEEDED', 'default', null]);
    const archive = await objects.get(`snapshots/${after.snapshotId}.tar.gz`);
    expect(archive).not.toBeNull();
    const unpacked = path.join(root, 'unpacked');
    mkdirSync(unpacked);
    writeFileSync(path.join(root, 'snap.tar.gz'), archive!.body);
    execFileSync('tar', ['-xzf', path.join(root, 'snap.tar.gz'), '-C', unpacked]);
    expect(readFileSync(path.join(unpacked, 'workspace', 'README.md'), 'utf8')).toBe('# hello\n');
  });
});
