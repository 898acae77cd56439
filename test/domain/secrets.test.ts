import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { LocalScheduler } from '../../infra/local/scheduler';
import { LocalKeys } from '../../shared/adapters/local/keys';
import { secretRoutes, SubmitEnvBody } from '../../shared/contracts/secrets';
import type { DbHandle } from '../../shared/db/client';
import { configuration, configurationRepo, envDelivery, repo, sandboxSession, secret, wsConnection } from '../../shared/db/schema';
import type { OrgCaller } from '../../shared/domain/caller';
import { DomainError } from '../../shared/domain/errors';
import * as orgs from '../../shared/domain/orgs/organizations';
import { dotenvLine, formatDotenv, parseDotenv } from '../../shared/domain/secrets/dotenv';
import * as secrets from '../../shared/domain/secrets/secrets';
import { recordEnvApplied, submitSessionEnv, type SessionEnvDeps } from '../../shared/domain/secrets/session-env';
import { sandboxBootstrap } from '../../shared/domain/sessions/bootstrap';
import { appendEvents, readEvents } from '../../shared/domain/sessions/events';
import { snapshotSession, type SandboxRuntimeDeps } from '../../shared/domain/sessions/runtime';
import { createLogger } from '../../shared/runtime/logger';
import type { SocketsPort } from '../../shared/ports';
import { testDb } from '../support/db';
import { FakeProvider } from '../support/fake-provider';
import { ManualClock, makeUser, outcome, refresh } from '../support/fixtures';

let h: DbHandle;
let keysDir: string;
let keys: LocalKeys;
const clock = new ManualClock();
const deps = () => ({ db: h.db, keys, clock });

/** A logger that keeps what it was told, to check no value ever reaches it. */
class MemoryLogger {
  readonly lines: string[] = [];
  warn(obj: object, msg?: string) {
    this.lines.push(JSON.stringify({ ...obj, msg }));
  }
  info(obj: object, msg?: string) {
    this.lines.push(JSON.stringify({ ...obj, msg }));
  }
}

beforeAll(async () => {
  h = await testDb();
  keysDir = mkdtempSync(path.join(tmpdir(), 'secrets-keys-'));
  keys = new LocalKeys(keysDir);
});
afterAll(async () => {
  await h.close();
  rmSync(keysDir, { recursive: true, force: true });
});

async function orgCaller(name: string): Promise<OrgCaller> {
  const user = await makeUser(h.db);
  await orgs.createOrganization(h.db, user, { name });
  return orgs.resolveOrgCaller(h.db, await refresh(h.db, user));
}

/** Another person in the same organisation, as the edge would present them (role verified there). */
async function colleague(of: OrgCaller, role: 'admin' | 'member'): Promise<OrgCaller> {
  const user = await makeUser(h.db);
  return { ...user, organizationId: of.organizationId, activeOrganizationId: of.organizationId, role };
}

let n = 0;
async function repoOf(caller: OrgCaller, name = `r${++n}`) {
  const id = `repo_${name}_${n}`;
  await h.db.insert(repo).values({ id, organizationId: caller.organizationId, name, source: 'git', url: `https://example.com/${id}.git` });
  return id;
}
async function configurationOf(caller: OrgCaller, repos: [string, string][] = [], envKeys: { key: string; required: boolean }[] = []) {
  const id = `cfg_${++n}`;
  await h.db.insert(configuration).values({
    id,
    organizationId: caller.organizationId,
    name: id,
    status: 'default',
    sandboxProvider: 'local',
    envFiles: envKeys.length ? [{ path: '.env', workspacePath: '.', format: 'dotenv', mode: 'secret', keys: envKeys }] : [],
  });
  for (const [repoId, workspacePath] of repos) await h.db.insert(configurationRepo).values({ configurationId: id, repoId, workspacePath });
  return id;
}

async function refusal(p: Promise<unknown>): Promise<{ status: string; fields: string[]; messages: string[] }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DomainError) return { status: `${e.kind}:${e.code}`, fields: (e.fields ?? []).map((f) => f.field), messages: (e.fields ?? []).map((f) => f.message) };
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('secrets: sealing', () => {
  it('stores only an envelope bound to the organisation and the key, and opens it back', async () => {
    const owner = await orgCaller('Seal Co');
    const view = await secrets.createSecret(deps(), owner, { key: 'STRIPE_KEY', value: 'sk_live_0123456789', description: 'Payments' });
    expect(view).toMatchObject({ key: 'STRIPE_KEY', scope: 'organization', description: 'Payments', repoId: null, configurationId: null, createdBy: { id: owner.userId } });
    expect(JSON.stringify(view)).not.toContain('sk_live_0123456789');

    const [row] = await h.db.select().from(secret).where(eq(secret.id, view.id));
    expect(row.encryptedValue).not.toContain('sk_live_0123456789');
    expect(await secrets.openSecret(keys, row)).toBe('sk_live_0123456789');
    // The context binds organisation and key: the same envelope under another name or organisation does not open.
    await expect(secrets.openSecret(keys, { ...row, key: 'OTHER' })).rejects.toThrow();
    await expect(secrets.openSecret(keys, { ...row, organizationId: 'org_elsewhere' })).rejects.toThrow();
  });

  it('round-trips any value, including empty, multi-line and non-ASCII ones', async () => {
    const owner = await orgCaller('Round Trip Co');
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300, unit: 'grapheme' }), async (value) => {
        const sealed = await secrets.sealSecret(keys, owner.organizationId, 'K', value);
        expect(await secrets.openSecret(keys, { organizationId: owner.organizationId, key: 'K', encryptedValue: sealed })).toBe(value);
      }),
      { numRuns: 50 },
    );
  });
});

describe('secrets: scopes, duplicates and precedence', () => {
  it('refuses a second value for a key in the same scope (organisation-wide included), allows it in another scope', async () => {
    const owner = await orgCaller('Dup Co');
    const repoId = await repoOf(owner);
    const cfgId = await configurationOf(owner, [[repoId, '.']]);
    await secrets.createSecret(deps(), owner, { key: 'TOKEN', value: 'org' });
    expect(await refusal(secrets.createSecret(deps(), owner, { key: 'TOKEN', value: 'again' }))).toMatchObject({ status: 'conflict:secret_exists', fields: ['body.key'] });
    await secrets.createSecret(deps(), owner, { key: 'TOKEN', value: 'repo', repoId });
    expect(await outcome(secrets.createSecret(deps(), owner, { key: 'TOKEN', value: 'repo2', repoId }))).toBe('conflict:secret_exists');
    await secrets.createSecret(deps(), owner, { key: 'TOKEN', value: 'cfg', configurationId: cfgId });
    expect(await outcome(secrets.createSecret(deps(), owner, { key: 'TOKEN', value: 'cfg2', configurationId: cfgId }))).toBe('conflict:secret_exists');
    // Another organisation has its own namespace.
    const other = await orgCaller('Other Dup Co');
    expect(await outcome(secrets.createSecret(deps(), other, { key: 'TOKEN', value: 'theirs' }))).toBe('ok');
  });

  it('cannot hold two organisation-wide rows of a key even when written around the service (NULLs are not distinct)', async () => {
    const owner = await orgCaller('Null Co');
    const row = { organizationId: owner.organizationId, key: 'RAW', encryptedValue: 'x', repoId: null, configurationId: null };
    await h.db.insert(secret).values({ id: 'sec_raw_1', ...row });
    await expect(h.db.insert(secret).values({ id: 'sec_raw_2', ...row })).rejects.toThrow();
    const repoId = await repoOf(owner);
    const cfgId = await configurationOf(owner);
    await expect(h.db.insert(secret).values({ id: 'sec_raw_3', ...row, repoId, configurationId: cfgId })).rejects.toThrow();
  });

  it('gives a session configuration > repo > organisation, only repos of its configuration, the first folder between two repos', async () => {
    const owner = await orgCaller('Precedence Co');
    const api = await repoOf(owner, 'api');
    const web = await repoOf(owner, 'web');
    const unrelated = await repoOf(owner, 'unrelated');
    const cfgId = await configurationOf(owner, [[web, 'web'], [api, 'api']]);
    const logger = new MemoryLogger();
    const resolve = (ks: string[]) => secrets.resolveSecrets({ db: h.db, keys, logger }, owner.organizationId, cfgId, ks);

    await secrets.createSecret(deps(), owner, { key: 'A', value: 'org-a' });
    await secrets.createSecret(deps(), owner, { key: 'B', value: 'org-b' });
    await secrets.createSecret(deps(), owner, { key: 'B', value: 'web-b', repoId: web });
    await secrets.createSecret(deps(), owner, { key: 'B', value: 'api-b', repoId: api });
    const cfgB = await secrets.createSecret(deps(), owner, { key: 'B', value: 'cfg-b', configurationId: cfgId });
    await secrets.createSecret(deps(), owner, { key: 'C', value: 'unrelated-c', repoId: unrelated });
    await secrets.createSecret(deps(), owner, { key: 'D', value: 'api-d', repoId: api });
    await secrets.createSecret(deps(), owner, { key: 'D', value: 'web-d', repoId: web });

    expect(await resolve(['A', 'B', 'C', 'D', 'NONE'])).toEqual({ A: 'org-a', B: 'cfg-b', D: 'api-d' });
    await secrets.deleteSecret(h.db, owner, cfgB.id);
    expect((await resolve(['B'])).B).toBe('api-b');
    // Without a configuration only organisation-wide values apply.
    expect(await secrets.resolveSecrets({ db: h.db, keys, logger }, owner.organizationId, null, ['A', 'B', 'D'])).toEqual({ A: 'org-a', B: 'org-b' });
    // Another organisation's configuration sees none of these.
    const other = await orgCaller('Precedence Elsewhere');
    expect(await secrets.resolveSecrets({ db: h.db, keys, logger }, other.organizationId, cfgId, ['A', 'B'])).toEqual({});
    expect(logger.lines).toEqual([]);
  });

  it('skips a value that does not decrypt and logs its key name only; the other keys still arrive', async () => {
    const owner = await orgCaller('Broken Co');
    const cfgId = await configurationOf(owner);
    await secrets.createSecret(deps(), owner, { key: 'GOOD', value: 'good-value-1' });
    const bad = await secrets.createSecret(deps(), owner, { key: 'BAD', value: 'bad-value-1' });
    // Sealed for another key: opening it under BAD fails the context check.
    await h.db.update(secret).set({ encryptedValue: await secrets.sealSecret(keys, owner.organizationId, 'GOOD', 'bad-value-2') }).where(eq(secret.id, bad.id));
    const logger = new MemoryLogger();
    expect(await secrets.resolveSecrets({ db: h.db, keys, logger }, owner.organizationId, cfgId, ['GOOD', 'BAD'])).toEqual({ GOOD: 'good-value-1' });
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toContain('"key":"BAD"');
    expect(logger.lines.join()).not.toMatch(/value-\d/);
  });

  it('checks keys where a session would look for them', async () => {
    const owner = await orgCaller('Check Co');
    const api = await repoOf(owner);
    const other = await repoOf(owner);
    const cfgId = await configurationOf(owner, [[api, '.']]);
    await secrets.createSecret(deps(), owner, { key: 'ORG', value: '1' });
    await secrets.createSecret(deps(), owner, { key: 'REPO', value: '1', repoId: api });
    await secrets.createSecret(deps(), owner, { key: 'OTHER_REPO', value: '1', repoId: other });
    await secrets.createSecret(deps(), owner, { key: 'CFG', value: '1', configurationId: cfgId });
    const keys4 = ['ORG', 'REPO', 'OTHER_REPO', 'CFG', 'NONE'];
    const exists = async (scope: secrets.ScopeInput) =>
      (await secrets.checkSecrets(h.db, owner, { keys: keys4, ...scope })).keys.filter((k) => k.exists).map((k) => k.key);
    expect(await exists({ configurationId: cfgId })).toEqual(['ORG', 'REPO', 'CFG']);
    expect(await exists({ repoId: api })).toEqual(['ORG', 'REPO']);
    expect(await exists({})).toEqual(['ORG']);
    const stranger = await orgCaller('Check Elsewhere');
    expect(await refusal(secrets.checkSecrets(h.db, stranger, { keys: ['ORG'], configurationId: cfgId }))).toMatchObject({ status: 'not_found:not_found', fields: ['body.configurationId'] });
  });

  it('keeps organisations apart: another organisation cannot scope to, delete or list these secrets', async () => {
    const owner = await orgCaller('Tenant A');
    const stranger = await orgCaller('Tenant B');
    const repoId = await repoOf(owner);
    const s = await secrets.createSecret(deps(), owner, { key: 'MINE', value: 'tenant-a-value', repoId });
    expect(await refusal(secrets.createSecret(deps(), stranger, { key: 'X', value: 'y', repoId }))).toMatchObject({ status: 'not_found:not_found', fields: ['body.repoId'] });
    expect(await refusal(secrets.deleteSecret(h.db, stranger, s.id))).toMatchObject({ status: 'not_found:not_found', fields: ['params.secretId'] });
    const theirs = await secrets.listSecrets(h.db, stranger, { limit: 100, offset: 0 });
    expect(theirs.secrets.map((x) => x.id)).not.toContain(s.id);
    const mine = await secrets.listSecrets(h.db, owner, { limit: 100, offset: 0, q: 'min' });
    expect(mine).toMatchObject({ total: 1, secrets: [{ id: s.id, key: 'MINE', scope: 'repo', repoId }] });
    expect(JSON.stringify(mine)).not.toContain('tenant-a-value');
    expect(JSON.stringify(mine)).not.toContain('local1.');
  });
});

describe('.env text', () => {
  it('reads KEY=VALUE lines with quotes, export, comments and multi-line values', () => {
    const text = [
      '# a comment',
      '',
      'PLAIN=abc123',
      'export EXPORTED = spaced value   # trailing comment',
      'SINGLE=\'lit $X "q" \\n\'',
      'DOUBLE="esc \\"q\\" \\\\ \\n end" # ok',
      'URL=https://host/path#fragment',
      'EMPTY=',
      'PEM="-----BEGIN-----',
      'line two',
      '-----END-----"',
      'AFTER=1',
    ].join('\r\n');
    const { entries, problems } = parseDotenv(text);
    expect(problems).toEqual([]);
    expect(Object.fromEntries(entries.map((e) => [e.key, e.value]))).toEqual({
      PLAIN: 'abc123',
      EXPORTED: 'spaced value',
      SINGLE: 'lit $X "q" \\n',
      DOUBLE: 'esc "q" \\ \n end',
      URL: 'https://host/path#fragment',
      EMPTY: '',
      PEM: '-----BEGIN-----\nline two\n-----END-----',
      AFTER: '1',
    });
    expect(entries.find((e) => e.key === 'AFTER')?.line).toBe(12);
  });

  it('names the line of every malformed entry, and never echoes its text', () => {
    const { entries, problems } = parseDotenv(['OK=1', 'just some words', '1BAD=x', 'postgres://u:hunter2@db/x?a=b', 'Q="open', 'NEVER=reached'].join('\n'));
    expect(entries.map((e) => e.key)).toEqual(['OK']);
    expect(problems.map((p) => p.line)).toEqual([2, 3, 4, 5]);
    expect(problems.map((p) => p.message).join()).not.toContain('hunter2');
    expect(parseDotenv('A=1\nB="x" trailing\nA=2').problems).toEqual([
      { line: 2, message: 'unexpected text after the closing quote' },
      { line: 3, message: 'A is already set on line 1' },
    ]);
  });

  it('reads back whatever it writes: any map of valid keys to any strings survives a round trip', () => {
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,30}$/);
    // Any string, and strings made of the characters the format gives a meaning to (quotes, escapes, comments, breaks).
    const tricky = fc.string({ maxLength: 40, unit: fc.constantFrom('\\', '"', "'", 'n', 'r', 't', '#', ' ', '\t', '\n', '\r', '=', '$', 'a', 'é', 'export ') });
    const value = fc.oneof(fc.string({ maxLength: 80, unit: 'binary' }), tricky);
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 12 }), (values) => {
        const parsed = parseDotenv(formatDotenv(values));
        expect(parsed.problems).toEqual([]);
        expect(Object.fromEntries(parsed.entries.map((e) => [e.key, e.value]))).toEqual(values);
      }),
      { numRuns: 300 },
    );
    expect(dotenvLine('K', 'a b')).toBe('K="a b"');
    expect(dotenvLine('K', 'plain-value_1.2')).toBe('K=plain-value_1.2');
  });
});

describe('secrets: bulk import', () => {
  it('adds new keys, skips keys already set in that scope, and reports both', async () => {
    const owner = await orgCaller('Import Co');
    await secrets.createSecret(deps(), owner, { key: 'EXISTING', value: 'keep-me' });
    const out = await secrets.importSecrets(deps(), owner, { envText: 'export NEW_ONE="hello world"\nEXISTING=overwrite-attempt\n# done\nNEW_TWO=2\n' });
    expect(out).toEqual({ created: ['NEW_ONE', 'NEW_TWO'], skipped: ['EXISTING'] });
    const resolved = await secrets.resolveSecrets({ db: h.db, keys, logger: new MemoryLogger() }, owner.organizationId, null, ['NEW_ONE', 'EXISTING']);
    expect(resolved).toEqual({ NEW_ONE: 'hello world', EXISTING: 'keep-me' });
  });

  it('adds nothing when a line is malformed, and names the lines', async () => {
    const owner = await orgCaller('Bad Import Co');
    const r = await refusal(secrets.importSecrets(deps(), owner, { envText: 'GOOD=1\nnot a line\nALSO_GOOD=2\n9X=1' }));
    expect(r.status).toBe('validation:validation_failed');
    expect(r.fields).toEqual(['body.envText', 'body.envText']);
    expect(r.messages).toEqual(['line 2: expected KEY=VALUE', expect.stringMatching(/^line 4: /)]);
    expect((await secrets.listSecrets(h.db, owner, { limit: 10, offset: 0 })).total).toBe(0);
    expect(await refusal(secrets.importSecrets(deps(), owner, { envText: '# only a comment\n' }))).toMatchObject({ fields: ['body.envText'] });
  });
});

describe('secrets: the contracts', () => {
  it('refuse bad keys, both scopes at once, and duplicate or oversized submissions', () => {
    expect(secretRoutes.create.body.safeParse({ key: 'lower_ok_1', value: 'v' }).success).toBe(true);
    for (const key of ['1ABC', 'WITH SPACE', 'DASH-KEY', '', 'x'.repeat(201)]) expect(secretRoutes.create.body.safeParse({ key, value: 'v' }).success).toBe(false);
    const both = secretRoutes.create.body.safeParse({ key: 'K', value: 'v', repoId: 'r', configurationId: 'c' });
    expect(both.success ? [] : both.error.issues.map((i) => i.path.join('.'))).toEqual(['configurationId']);
    expect(SubmitEnvBody.safeParse({ secrets: [{ key: 'A', value: '1' }, { key: 'A', value: '2' }] }).success).toBe(false);
    const big = 'x'.repeat(30 * 1024);
    expect(SubmitEnvBody.safeParse({ secrets: [1, 2, 3, 4].map((i) => ({ key: `K${i}`, value: big })) }).success).toBe(false);
    expect(SubmitEnvBody.safeParse({ secrets: [{ key: 'K', value: big }] }).success).toBe(true);
  });
});

describe('boot injection', () => {
  it('fills envValues with the values the env files need, most specific first, and nothing else', async () => {
    const owner = await orgCaller('Boot Co');
    const repoId = await repoOf(owner);
    const cfgId = await configurationOf(owner, [[repoId, '.']], [{ key: 'API_TOKEN', required: true }, { key: 'REGION', required: false }]);
    await secrets.createSecret(deps(), owner, { key: 'API_TOKEN', value: 'org-token' });
    await secrets.createSecret(deps(), owner, { key: 'API_TOKEN', value: 'repo-token', repoId });
    await secrets.createSecret(deps(), owner, { key: 'UNRELATED', value: 'not-needed' });
    await h.db.insert(sandboxSession).values({ id: 'ses_boot', organizationId: owner.organizationId, createdBy: owner.userId, configurationId: cfgId, sandboxProvider: 'local' });
    const logger = new MemoryLogger();
    const boot = await sandboxBootstrap(
      h.db,
      { llm: { model: 'm' }, gitPullCadenceSeconds: 0, systemPromptFor: () => 'p', keys, logger },
      'ses_boot',
      'sbx_boot',
    );
    expect(boot.envValues).toEqual({ API_TOKEN: 'repo-token' });
    expect(boot.envFiles).toEqual([expect.objectContaining({ path: '.env', keys: [{ key: 'API_TOKEN', required: true }, { key: 'REGION', required: false }] })]);
  });
});

describe('values given to a running session', () => {
  /** The daemon's side of a delivery, answering like the real one (through the gateway's record). */
  class AnsweringSockets implements SocketsPort {
    readonly sent: { connectionId: string; data: any }[] = [];
    answer: 'applied' | 'failed' | 'silent' = 'applied';
    constructor(private readonly sandboxId: string) {}
    async postToConnection(connectionId: string, data: any) {
      this.sent.push({ connectionId, data });
      if (this.answer === 'silent') return;
      const msg = { type: 'env_applied' as const, requestId: data.requestId, written: ['.env'], missing: [], deferred: false, ...(this.answer === 'failed' ? { error: 'disk full' } : {}) };
      setTimeout(() => void recordEnvApplied(h.db, 'ses_env', this.sandboxId, msg), 20);
    }
    async deleteConnection() {}
  }

  let owner: OrgCaller;
  let cfgId: string;
  let sockets: AnsweringSockets;
  const envDeps = (over: Partial<SessionEnvDeps> = {}): SessionEnvDeps => ({ ...deps(), sockets, logger: new MemoryLogger(), waitMs: 2_000, ...over });
  const submit = (caller: OrgCaller, body: Parameters<typeof submitSessionEnv>[3], over: Partial<SessionEnvDeps> = {}) => submitSessionEnv(envDeps(over), caller, 'ses_env', body);

  beforeAll(async () => {
    owner = await orgCaller('Submit Co');
    cfgId = await configurationOf(owner, [], [{ key: 'API_TOKEN', required: true }]);
    await h.db.insert(sandboxSession).values({ id: 'ses_env', organizationId: owner.organizationId, createdBy: owner.userId, configurationId: cfgId, sandboxProvider: 'local', status: 'pending' });
    sockets = new AnsweringSockets('sbx_env');
  });

  it('refuses while the session has no running sandbox, or its daemon is not connected', async () => {
    expect(await refusal(submit(owner, { secrets: [{ key: 'A', value: '1' }] }))).toMatchObject({ status: 'conflict:sandbox_not_running', fields: ['params.sessionId'] });
    await h.db.update(sandboxSession).set({ status: 'running', sandboxId: 'sbx_env' }).where(eq(sandboxSession.id, 'ses_env'));
    expect(await outcome(submit(owner, { secrets: [{ key: 'A', value: '1' }] }))).toBe('conflict:sandbox_not_connected');
    // The daemon of an older sandbox of the session never gets them.
    await h.db.insert(wsConnection).values({ connectionId: 'conn_old', kind: 'sandbox', organizationId: owner.organizationId, sessionId: 'ses_env', sandboxId: 'sbx_gone' });
    expect(await outcome(submit(owner, { secrets: [{ key: 'A', value: '1' }] }))).toBe('conflict:sandbox_not_connected');
    expect(sockets.sent).toEqual([]);
    await h.db.insert(wsConnection).values({ connectionId: 'conn_env', kind: 'sandbox', organizationId: owner.organizationId, sessionId: 'ses_env', sandboxId: 'sbx_env' });
  });

  it('delivers every value to the daemon, then saves those marked persist; an existing key is alreadyExisted', async () => {
    await secrets.createSecret(deps(), owner, { key: 'ALREADY', value: 'old' });
    const reply = await submit(owner, {
      secrets: [
        { key: 'ONLY_NOW', value: 'session-only-value' },
        { key: 'SAVE_ME', value: 'saved-value', persist: true },
        { key: 'ALREADY', value: 'new', persist: true },
      ],
    });
    expect(reply).toEqual({
      submitted: true,
      results: [
        { key: 'ONLY_NOW', persisted: false, alreadyExisted: false },
        { key: 'SAVE_ME', persisted: true, alreadyExisted: false },
        { key: 'ALREADY', persisted: false, alreadyExisted: true },
      ],
      delivery: { written: ['.env'], missing: [], deferred: false },
    });
    expect(sockets.sent.at(-1)).toEqual({
      connectionId: 'conn_env',
      data: { type: 'env', requestId: expect.stringMatching(/^env_/), values: { ONLY_NOW: 'session-only-value', SAVE_ME: 'saved-value', ALREADY: 'new' } },
    });
    const resolved = await secrets.resolveSecrets({ db: h.db, keys, logger: new MemoryLogger() }, owner.organizationId, cfgId, ['ONLY_NOW', 'SAVE_ME', 'ALREADY']);
    expect(resolved).toEqual({ SAVE_ME: 'saved-value', ALREADY: 'old' });
    expect(await h.db.select().from(envDelivery)).toEqual([]);
  });

  it('saves to the configuration with saveToConfiguration (also the default of persist)', async () => {
    await submit(owner, { secrets: [{ key: 'CFG_ONLY', value: 'cfg-value' }], saveToConfiguration: true });
    const [row] = await h.db.select().from(secret).where(eq(secret.key, 'CFG_ONLY'));
    expect(row).toMatchObject({ configurationId: cfgId, repoId: null, createdBy: owner.userId });
  });

  it('lets a member give values to their own session only, and never save them', async () => {
    const member = await colleague(owner, 'member');
    expect(await outcome(submit(member, { secrets: [{ key: 'A', value: '1' }] }))).toBe('forbidden:not_session_owner');
    await h.db.update(sandboxSession).set({ createdBy: member.userId }).where(eq(sandboxSession.id, 'ses_env'));
    expect(await outcome(submit(member, { secrets: [{ key: 'A', value: '1', persist: true }] }))).toBe('forbidden:insufficient_role');
    expect(await outcome(submit(member, { secrets: [{ key: 'A', value: '1' }] }))).toBe('ok');
    const admin = await colleague(owner, 'admin');
    expect(await outcome(submit(admin, { secrets: [{ key: 'ADMIN_SAVED', value: '1', persist: true }] }))).toBe('ok');
    await h.db.update(sandboxSession).set({ createdBy: owner.userId }).where(eq(sandboxSession.id, 'ses_env'));
  });

  it('fails without saving anything when the daemon cannot write the values or does not answer', async () => {
    sockets.answer = 'failed';
    expect(await outcome(submit(owner, { secrets: [{ key: 'NOT_SAVED_1', value: '1', persist: true }] }))).toBe('conflict:env_not_written');
    sockets.answer = 'silent';
    expect(await outcome(submit(owner, { secrets: [{ key: 'NOT_SAVED_2', value: '1', persist: true }] }, { waitMs: 300 }))).toBe('conflict:sandbox_not_responding');
    sockets.answer = 'applied';
    const [{ count }] = await h.db.select({ count: sql<number>`count(*)::int` }).from(secret).where(sql`${secret.key} like 'NOT_SAVED%'`);
    expect(count).toBe(0);
    expect(await h.db.select().from(envDelivery)).toEqual([]);
  });

  it('is a 404 for another organisation', async () => {
    const stranger = await orgCaller('Submit Elsewhere');
    expect(await outcome(submit(stranger, { secrets: [{ key: 'A', value: '1' }] }))).toBe('not_found:not_found');
  });
});

describe('snapshots and secret files', () => {
  it('takes no snapshot when the daemon does not confirm it is ready (it removes its secret files then)', async () => {
    const owner = await orgCaller('Snapshot Co');
    await h.db.insert(sandboxSession).values({
      id: 'ses_snap',
      organizationId: owner.organizationId,
      createdBy: owner.userId,
      sandboxProvider: 'local',
      status: 'running',
      sandboxId: 'sbx_snap',
      providerSandboxId: 'prov_snap',
    });
    const provider = new FakeProvider();
    const runtimeDeps = {
      db: h.db,
      clock,
      logger: createLogger({ level: 'silent' }),
      scheduler: new LocalScheduler({ db: h.db, logger: createLogger({ level: 'silent' }), invoke: async () => {}, scheduledQueues: ['sessions'] }),
      sockets: { postToConnection: async () => {}, deleteConnection: async () => {} },
      providers: () => provider,
      daemon: async () => ({ path: '/nowhere/daemon.js', version: 'v-test' }),
      endpoints: { apiUrl: 'http://127.0.0.1:1', wsUrl: 'ws://127.0.0.1:1/ws' },
      sandboxSecret: 'test-secret-0123456789abcdef0123456789',
      publish: (id: string, items: Parameters<typeof appendEvents>[2]) => appendEvents(h.db, id, items),
      snapshotWaitMs: 0,
    } as SandboxRuntimeDeps;
    // No daemon is connected to answer prepare_snapshot.
    const result = await snapshotSession(runtimeDeps, 'ses_snap');
    expect(result).toMatchObject({ success: false, error: expect.stringContaining('nothing was captured') });
    expect(provider.calls.filter((c) => c.startsWith('snapshot'))).toEqual([]);
    expect((await readEvents(h.db, 'ses_snap', 0)).map((e) => e.event)).toEqual([expect.objectContaining({ type: 'snapshot_result', success: false })]);
  });
});
