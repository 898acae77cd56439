import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeProvider } from '../support/fake-provider';
import { eventually, signUpVerified, startRuntime, type Client, type TestRuntime } from '../support/runtime';

/** A fake provider whose clones wait until released. */
class HeldProvider extends FakeProvider {
  cloning = false;
  readonly cloned: string[] = [];
  release: () => void = () => {};
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  // Defaults keep the signature compatible with FakeProvider's argument-less exec.
  override async exec(_sandboxId = '', argv: string[] = []) {
    this.cloning = true;
    await this.gate;
    this.cloned.push(argv[argv.length - 1]);
    return { exitCode: 0, stdout: '', stderr: '' };
  }
}

let rt: TestRuntime;
let alice: Client; // org A
let bob: Client; // org B
let root: string;
let apiDir: string;
let webDir: string;
const a: Record<string, string> = {};

/** A git repository made by the test: `git init` on `branch` and one commit. */
function gitRepo(name: string, branch: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', branch);
  git('-c', 'user.email=t@example.com', '-c', 'user.name=T', 'commit', '-q', '--allow-empty', '-m', 'first');
  return realpathSync(dir);
}

const fields = (res: { body: Record<string, any> }) => (res.body.error?.fields ?? []).map((f: { field: string }) => f.field);

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'prl-e2e-repos-'));
  apiDir = gitRepo('api', 'trunk');
  webDir = gitRepo('web', 'main');
  rt = await startRuntime();
  alice = await signUpVerified(rt.url, 'Alice', 'alice@repos-a.example');
  bob = await signUpVerified(rt.url, 'Bob', 'bob@repos-b.example');
  await alice.post('/api/orgs', { name: 'Repos A' });
  await bob.post('/api/orgs', { name: 'Repos B' });
});
afterAll(async () => {
  await rt?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('repos over HTTP', () => {
  it('adds a local repository with its branch and a single-repo configuration; adding it again is 200', async () => {
    const res = await alice.post('/api/repos', { path: apiDir });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      created: true,
      repo: { name: 'api', source: 'local', url: apiDir, defaultBranch: 'trunk' },
      configuration: { name: 'api', status: 'building', repos: [{ name: 'api', workspacePath: '.' }] },
    });
    a.api = res.body.repo.id;
    a.apiConfiguration = res.body.configuration.id;

    const again = await alice.post('/api/repos', { path: apiDir });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, repo: { id: a.api }, configuration: null });
  });

  it('adds a file:// URL with the branch git ls-remote reports, without a configuration when asked', async () => {
    const res = await alice.post('/api/repos', { url: `file://${webDir}`, createConfiguration: false });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ repo: { name: 'web', source: 'git', url: `file://${webDir}`, defaultBranch: 'main' }, configuration: null });
    a.web = res.body.repo.id;
  });

  it('refuses bad input with 400 naming the field', async () => {
    const bad = await alice.post('/api/repos', { url: 'http://github.com/a/b' });
    expect([bad.status, fields(bad)]).toEqual([400, ['body.url']]);
    const neither = await alice.post('/api/repos', {});
    expect([neither.status, fields(neither)]).toEqual([400, ['body.url']]);
    const notRepo = await alice.post('/api/repos', { path: root });
    expect([notRepo.status, fields(notRepo)]).toEqual([400, ['body.path']]);
    const unknown = await alice.post('/api/repos', { url: 'https://github.com/a/b', owner: 'x' });
    expect([unknown.status, fields(unknown)]).toEqual([400, ['body.owner']]);
    const branch = await alice.patch(`/api/repos/${a.api}`, { defaultBranch: '--upload-pack=evil' });
    expect([branch.status, fields(branch)]).toEqual([400, ['body.defaultBranch']]);
  });

  it('lists, searches (literally) and pages repos', async () => {
    const all = await alice.get('/api/repos');
    expect(all.status).toBe(200);
    expect(all.body.repos.map((r: any) => r.name)).toEqual(['api', 'web']);
    expect((await alice.get('/api/repos?q=API')).body.repos.map((r: any) => r.id)).toEqual([a.api]);
    expect((await alice.get(`/api/repos?q=${encodeURIComponent('file://')}`)).body.repos.map((r: any) => r.id)).toEqual([a.web]);
    expect((await alice.get('/api/repos?q=%25')).body.repos).toEqual([]);
    expect((await alice.get('/api/repos?limit=1')).body).toMatchObject({ total: 2, nextOffset: 1, repos: [{ id: a.api }] });
    const badLimit = await alice.get('/api/repos?limit=0');
    expect([badLimit.status, fields(badLimit)]).toEqual([400, ['query.limit']]);
  });

  it('renames a repo and changes its default branch', async () => {
    const res = await alice.patch(`/api/repos/${a.web}`, { name: 'web-app', defaultBranch: 'main' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: a.web, name: 'web-app', defaultBranch: 'main' });
    expect((await alice.get(`/api/repos/${a.web}`)).body.name).toBe('web-app');
  });
});

describe('configurations over HTTP', () => {
  it("shows the repo's auto-created configuration and runs its snapshot build to an end", async () => {
    const list = await alice.get('/api/configurations');
    expect(list.status).toBe(200);
    expect(list.body.configurations).toEqual([expect.objectContaining({ id: a.apiConfiguration, name: 'api', repos: [expect.objectContaining({ repoId: a.api })] })]);
    // The build runs in the embedded runtime's workflow runner; whether it ends default or failed depends on the sandbox
    // providers this runtime has, but it ends, and a failure says why.
    const status = await eventually(async () => {
      const s = await alice.get(`/api/configurations/${a.apiConfiguration}/status`);
      return s.body.status !== 'building' ? s.body : null;
    }, 30_000, 'the snapshot build to end');
    expect(['default', 'failed']).toContain(status.status);
    if (status.status === 'failed') expect(status.error).toEqual(expect.any(String));
    else expect(status.snapshotId).toEqual(expect.any(String));
  });

  it('creates a multi-repo configuration with a folder per repo', async () => {
    const res = await alice.post('/api/configurations', { name: 'fullstack', repos: [{ repoId: a.api }, { repoId: a.web }] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'fullstack', status: 'building', agentCommand: null, serviceCommands: [] });
    expect(Object.fromEntries(res.body.repos.map((r: any) => [r.repoId, r.workspacePath]))).toEqual({ [a.api]: 'api', [a.web]: 'web-app' });
    a.fullstack = res.body.id;

    const dup = await alice.post('/api/configurations', { name: 'fullstack', repos: [{ repoId: a.api }] });
    expect([dup.status, dup.body.error.code, fields(dup)]).toEqual([409, 'name_taken', ['body.name']]);
    const dot = await alice.post('/api/configurations', { repos: [{ repoId: a.api }, { repoId: a.web, workspacePath: '.' }] });
    expect([dot.status, fields(dot)]).toEqual([400, ['body.repos.1.workspacePath']]);
    const escape = await alice.post('/api/configurations', { repos: [{ repoId: a.api, workspacePath: '../outside' }] });
    expect([escape.status, fields(escape)]).toEqual([400, ['body.repos.0.workspacePath']]);
    const none = await alice.post('/api/configurations', { repos: [] });
    expect([none.status, fields(none)]).toEqual([400, ['body.repos']]);
  });

  it('updates service commands, agent command and env files, and reports the effective commands', async () => {
    expect((await alice.get(`/api/configurations/${a.fullstack}/service-commands`)).body).toEqual({ source: 'none', commands: [], workspaces: ['api', 'web-app'] });
    const commands = [{ name: 'api', command: 'npm run dev', workspacePath: 'api' }];
    const res = await alice.patch(`/api/configurations/${a.fullstack}`, {
      serviceCommands: commands,
      agentCommand: 'npx @zed-industries/claude-code-acp',
      notes: 'start the api first',
      envFiles: [{ path: '.env', workspacePath: 'api', keys: [{ key: 'DATABASE_URL' }] }],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      serviceCommands: commands,
      agentCommand: 'npx @zed-industries/claude-code-acp',
      notes: 'start the api first',
      envFiles: [{ path: '.env', workspacePath: 'api', format: 'dotenv', mode: 'secret', keys: [{ key: 'DATABASE_URL', required: true }] }],
    });
    expect((await alice.get(`/api/configurations/${a.fullstack}/service-commands`)).body).toEqual({ source: 'configuration', commands, workspaces: ['api', 'web-app'] });
    expect((await alice.patch(`/api/configurations/${a.fullstack}`, { agentCommand: null })).body.agentCommand).toBeNull();
  });

  it('refuses a bad service command with 400 naming the field', async () => {
    const shape = await alice.patch(`/api/configurations/${a.fullstack}`, { serviceCommands: [{ name: 'dev server', command: '' }] });
    expect(shape.status).toBe(400);
    expect(fields(shape)).toEqual(['body.serviceCommands.0.name', 'body.serviceCommands.0.command']);
    const folder = await alice.patch(`/api/configurations/${a.fullstack}`, { serviceCommands: [{ name: 'x', command: 'y', workspacePath: 'docs' }] });
    expect([folder.status, fields(folder)]).toEqual([400, ['body.serviceCommands.0.workspacePath']]);
    const envKey = await alice.patch(`/api/configurations/${a.fullstack}`, { envFiles: [{ path: '/etc/passwd', keys: [{ key: 'A' }] }] });
    expect([envKey.status, fields(envKey)]).toEqual([400, ['body.envFiles.0.path']]);
    // Nothing of a refused update was kept.
    expect((await alice.get(`/api/configurations/${a.fullstack}`)).body.serviceCommands).toEqual([{ name: 'api', command: 'npm run dev', workspacePath: 'api' }]);
  });

  it('starts one build at a time, and a held build ends default with its snapshot once released', async () => {
    await eventually(async () => (await alice.get(`/api/configurations/${a.fullstack}/status`)).body.status !== 'building', 30_000, 'the first build to end');
    // Hold the next build inside its sandbox (a fake provider whose clone waits), so it is still running when asked again.
    const sandboxes = rt.runtime.container.sandboxes;
    const held = new HeldProvider();
    rt.runtime.container.sandboxes = { ...sandboxes, provider: () => held, daemon: async () => ({ path: '/unused/daemon.js', version: 'e2e-daemon' }) };
    try {
      const first = await alice.post(`/api/configurations/${a.fullstack}/build`);
      expect(first.status).toBe(202);
      expect(first.body).toMatchObject({ started: true, configuration: { status: 'building' } });
      expect(first.body.executionName).toMatch(new RegExp(`^${a.fullstack}-\\d+$`));
      await eventually(async () => held.cloning, 10_000, 'the build to reach its clone');
      const second = await alice.post(`/api/configurations/${a.fullstack}/build`);
      expect([second.status, second.body.started, second.body.configuration.status]).toEqual([202, false, 'building']);

      held.release();
      const done = await eventually(async () => {
        const s = (await alice.get(`/api/configurations/${a.fullstack}/status`)).body;
        return s.status !== 'building' ? s : null;
      }, 10_000, 'the held build to end');
      expect(done).toMatchObject({ status: 'default', error: null, snapshotVersionKey: 'e2e-daemon', snapshotId: expect.stringMatching(/^snap-/) });
      expect(held.cloned.sort()).toEqual(['api', 'web-app']);
    } finally {
      rt.runtime.container.sandboxes = sandboxes;
    }
  });

  it('replaces the repos of a configuration', async () => {
    const res = await alice.request('PUT', `/api/configurations/${a.fullstack}/repos`, { repos: [{ repoId: a.web }] });
    expect(res.status).toBe(200);
    expect(res.body.repos).toEqual([expect.objectContaining({ repoId: a.web, workspacePath: '.' })]);
    expect(res.body.status).toBe('building');
  });
});

describe('tenant isolation over HTTP', () => {
  const idRoutes = (): [string, string, unknown?][] => [
    ['GET', `/api/repos/${a.api}`],
    ['PATCH', `/api/repos/${a.api}`, { name: 'mine' }],
    ['DELETE', `/api/repos/${a.api}`],
    ['GET', `/api/configurations/${a.fullstack}`],
    ['PATCH', `/api/configurations/${a.fullstack}`, { name: 'mine' }],
    ['DELETE', `/api/configurations/${a.fullstack}`],
    ['PUT', `/api/configurations/${a.fullstack}/repos`, { repos: [{ repoId: a.api }] }],
    ['GET', `/api/configurations/${a.fullstack}/service-commands`],
    ['GET', `/api/configurations/${a.fullstack}/status`],
    ['POST', `/api/configurations/${a.fullstack}/build`, {}],
  ];

  it("answers 404 to another organisation on every id route, and shows it none of org A's repos", async () => {
    for (const [method, url, body] of idRoutes()) {
      const res = await bob.request(method, url, body);
      expect([method, url, res.status, res.body.error?.code]).toEqual([method, url, 404, 'not_found']);
      expect(fields(res)).toHaveLength(1);
    }
    const borrowed = await bob.post('/api/configurations', { repos: [{ repoId: a.api }] });
    expect([borrowed.status, fields(borrowed)]).toEqual([404, ['body.repos.0.repoId']]);
    const lists = JSON.stringify([(await bob.get('/api/repos')).body, (await bob.get('/api/configurations')).body]);
    for (const id of Object.values(a)) expect(lists).not.toContain(id);
    expect((await alice.get(`/api/repos/${a.api}`)).body.name).toBe('api');
    expect((await alice.get(`/api/configurations/${a.fullstack}`)).body.name).toBe('fullstack');
  });
});

describe('deleting', () => {
  it('deletes a repo; its configurations keep working without it', async () => {
    const res = await alice.delete(`/api/repos/${a.api}`);
    expect([res.status, res.body]).toEqual([200, { ok: true }]);
    expect((await alice.get(`/api/repos/${a.api}`)).status).toBe(404);
    const cfg = await alice.get(`/api/configurations/${a.apiConfiguration}`);
    expect([cfg.status, cfg.body.repos]).toEqual([200, []]);
  });

  it('deletes a configuration', async () => {
    expect((await alice.delete(`/api/configurations/${a.fullstack}`)).status).toBe(200);
    expect((await alice.get(`/api/configurations/${a.fullstack}`)).status).toBe(404);
    expect((await alice.get(`/api/repos/${a.web}`)).status).toBe(200);
  });
});
