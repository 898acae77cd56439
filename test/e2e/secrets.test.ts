import fc from 'fast-check';
import { Client, signUpVerified, startRuntime, type TestRuntime } from '../support/runtime';

let rt: TestRuntime;
let owner: Client; // org A
let member: Client; // org A, role member
let outsider: Client; // org B
const a: Record<string, string> = {};
const fields = (res: { body: Record<string, any> }) => (res.body?.error?.fields ?? []).map((f: { field: string }) => f.field);

beforeAll(async () => {
  rt = await startRuntime();
  owner = await signUpVerified(rt.url, 'Owner', 'owner@secrets-a.example');
  await owner.post('/api/orgs', { name: 'Secrets A' });
  const invite = await owner.post('/api/org/invitations', { email: 'member@secrets-a.example', role: 'member' });
  member = await signUpVerified(rt.url, 'Member', 'member@secrets-a.example');
  await member.post(`/api/invitations/${invite.body.id}/accept`);
  outsider = await signUpVerified(rt.url, 'Outsider', 'outsider@secrets-b.example');
  await outsider.post('/api/orgs', { name: 'Secrets B' });
  a.repoId = (await owner.post('/api/repos', { url: 'https://github.com/acme/secrets', defaultBranch: 'main', createConfiguration: false })).body.repo.id;
  a.configurationId = (await owner.post('/api/configurations', { repos: [{ repoId: a.repoId }] })).body.id;
  a.sessionId = (await owner.post('/api/sessions', { sandboxMode: 'deferred', configurationId: a.configurationId })).body.id;
  for (const [k, v] of Object.entries(a)) if (!v) throw new Error(`setup failed: ${k}`);
}, 60_000);
afterAll(async () => rt?.stop());

describe('secrets over HTTP', () => {
  it('adds a secret (201, metadata only) and refuses the same key in the same scope (409 naming body.key)', async () => {
    const res = await owner.post('/api/secrets', { key: 'STRIPE_KEY', value: 'sk_test_http_value', description: 'Payments' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ key: 'STRIPE_KEY', scope: 'organization', description: 'Payments', createdBy: { name: 'Owner' } });
    expect(res.text).not.toContain('sk_test_http_value');
    a.secretId = res.body.id;

    const again = await owner.post('/api/secrets', { key: 'STRIPE_KEY', value: 'other' });
    expect([again.status, again.body.error.code, fields(again)]).toEqual([409, 'secret_exists', ['body.key']]);
    const repoScoped = await owner.post('/api/secrets', { key: 'STRIPE_KEY', value: 'repo-value', repoId: a.repoId });
    expect([repoScoped.status, repoScoped.body.scope]).toEqual([201, 'repo']);
  });

  it('names the field of a bad request (400)', async () => {
    const cases: [unknown, string[]][] = [
      [{ key: 'not a name', value: 'x' }, ['body.key']],
      [{ key: 'OK', value: 'x', repoId: a.repoId, configurationId: a.configurationId }, ['body.configurationId']],
      [{ key: 'OK', value: 'x', extra: true }, ['body.extra']],
      [{ key: 'OK' }, ['body.value']],
    ];
    for (const [body, expected] of cases) {
      const res = await owner.post('/api/secrets', body);
      expect([res.status, fields(res)]).toEqual([400, expected]);
    }
    const unknownRepo = await owner.post('/api/secrets', { key: 'OK', value: 'x', repoId: 'repo_nope' });
    expect([unknownRepo.status, fields(unknownRepo)]).toEqual([404, ['body.repoId']]);
  });

  it('lists keys and scopes, never values', async () => {
    const res = await owner.get('/api/secrets');
    expect(res.status).toBe(200);
    expect(res.body.secrets.map((s: any) => [s.key, s.scope])).toEqual([
      ['STRIPE_KEY', 'repo'],
      ['STRIPE_KEY', 'organization'],
    ]);
    expect(res.text).not.toMatch(/sk_test_http_value|repo-value|local1\./);
    expect((await owner.get('/api/secrets?q=nothing')).body).toMatchObject({ secrets: [], total: 0 });
  });

  it('imports pasted .env text: created and skipped; a malformed line is a 400 naming its line, and nothing is added', async () => {
    const res = await owner.post('/api/secrets/import', { envText: '# from my laptop\nexport DATABASE_URL="postgres://u:p@db/x"\nSTRIPE_KEY=dup\nREDIS_URL=redis://cache:6379 # local\n' });
    expect([res.status, res.body]).toEqual([200, { created: ['DATABASE_URL', 'REDIS_URL'], skipped: ['STRIPE_KEY'] }]);
    const bad = await owner.post('/api/secrets/import', { envText: 'GOOD_ONE=1\nthis is not env\n' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toEqual([{ field: 'body.envText', message: 'line 2: expected KEY=VALUE' }]);
    expect((await owner.post('/api/secrets/check', { keys: ['GOOD_ONE'] })).body.keys).toEqual([{ key: 'GOOD_ONE', exists: false }]);
  });

  it('checks keys, with a configuration also at its repos', async () => {
    const res = await member.post('/api/secrets/check', { keys: ['STRIPE_KEY', 'REDIS_URL', 'MISSING'], configurationId: a.configurationId });
    expect([res.status, res.body.keys]).toEqual([200, [{ key: 'STRIPE_KEY', exists: true }, { key: 'REDIS_URL', exists: true }, { key: 'MISSING', exists: false }]]);
    const unknown = await member.post('/api/secrets/check', { keys: ['X'], configurationId: 'cfg_nope' });
    expect([unknown.status, fields(unknown)]).toEqual([404, ['body.configurationId']]);
  });

  it('lets members list and check, but not add, delete or import (403)', async () => {
    expect((await member.get('/api/secrets')).status).toBe(200);
    for (const res of [
      await member.post('/api/secrets', { key: 'MINE', value: 'x' }),
      await member.delete(`/api/secrets/${a.secretId}`),
      await member.post('/api/secrets/import', { envText: 'MINE=x' }),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([403, 'insufficient_role']);
    }
  });

  it('keeps other organisations out (404 on id routes, nothing in their lists)', async () => {
    expect((await outsider.delete(`/api/secrets/${a.secretId}`)).status).toBe(404);
    const env = await outsider.post(`/api/sessions/${a.sessionId}/env`, { secrets: [{ key: 'A', value: 'x' }] });
    expect([env.status, env.body.error.code]).toEqual([404, 'not_found']);
    const scoped = await outsider.post('/api/secrets', { key: 'A', value: 'x', configurationId: a.configurationId });
    expect([scoped.status, fields(scoped)]).toEqual([404, ['body.configurationId']]);
    const list = await outsider.get('/api/secrets');
    expect(list.body).toMatchObject({ secrets: [], total: 0 });
    expect((await owner.get('/api/secrets')).body.total).toBe(4);
  });

  it('refuses env values for a session without a running sandbox (409) and bad submissions (400)', async () => {
    const res = await owner.post(`/api/sessions/${a.sessionId}/env`, { secrets: [{ key: 'API_TOKEN', value: 'x' }] });
    expect([res.status, res.body.error.code, fields(res)]).toEqual([409, 'sandbox_not_running', ['params.sessionId']]);
    const dup = await owner.post(`/api/sessions/${a.sessionId}/env`, { secrets: [{ key: 'A', value: '1' }, { key: 'A', value: '2' }] });
    expect([dup.status, fields(dup)]).toEqual([400, ['body.secrets']]);
    const empty = await owner.post(`/api/sessions/${a.sessionId}/env`, { secrets: [] });
    expect([empty.status, fields(empty)]).toEqual([400, ['body.secrets']]);
  });

  it('deletes a secret; deleting it again is a 404', async () => {
    expect((await owner.delete(`/api/secrets/${a.secretId}`)).body).toEqual({ ok: true });
    expect((await owner.delete(`/api/secrets/${a.secretId}`)).status).toBe(404);
  });

  it('never answers 5xx to fuzzed bodies, and a 400 names a field', async () => {
    const key = fc.oneof(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), fc.string({ maxLength: 20 }));
    const secretArb = fc.record({ key, value: fc.oneof(fc.string({ maxLength: 50 }), fc.anything()), persist: fc.oneof(fc.boolean(), fc.anything()) }, { requiredKeys: [] });
    const bodies: [string, fc.Arbitrary<unknown>][] = [
      ['/api/secrets', fc.record({ key, value: fc.string(), description: fc.string({ maxLength: 600 }), repoId: fc.string(), configurationId: fc.string() }, { requiredKeys: [] })],
      ['/api/secrets/check', fc.record({ keys: fc.array(key, { maxLength: 5 }), configurationId: fc.string() }, { requiredKeys: [] })],
      ['/api/secrets/import', fc.record({ envText: fc.oneof(fc.string({ maxLength: 300 }), fc.array(fc.tuple(key, fc.string({ maxLength: 30 })), { maxLength: 8 }).map((kv) => kv.map(([k, v]) => `${k}=${v}`).join('\n'))) }, { requiredKeys: [] })],
      [`/api/sessions/${a.sessionId}/env`, fc.record({ secrets: fc.array(secretArb, { maxLength: 4 }), saveToConfiguration: fc.anything() }, { requiredKeys: [] })],
    ];
    for (const [path, arb] of bodies) {
      await fc.assert(
        fc.asyncProperty(arb, async (body) => {
          const res = await owner.post(path, body);
          expect(res.status).toBeLessThan(500);
          if (res.status === 400) expect(fields(res).length).toBeGreaterThan(0);
        }),
        { numRuns: 30 },
      );
    }
  });
});
