import { functionSpecs } from '../../infra/manifest';
import { Client, signUpVerified, startRuntime, type TestRuntime } from '../support/runtime';

let rt: TestRuntime;
let alice: Client; // owner of A
let carol: Client; // member of A
let bob: Client; // owner of B
const a: Record<string, string> = {};

beforeAll(async () => {
  rt = await startRuntime();
  alice = await signUpVerified(rt.url, 'Alice', 'alice@a.example');
  bob = await signUpVerified(rt.url, 'Bob', 'bob@b.example');
  carol = await signUpVerified(rt.url, 'Carol', 'carol@a.example');
  a.orgId = (await alice.post('/api/orgs', { name: 'Org A' })).body.id;
  await bob.post('/api/orgs', { name: 'Org B' });
  const invite = await alice.post('/api/org/invitations', { email: 'carol@a.example', role: 'member' });
  await carol.post(`/api/invitations/${invite.body.id}/accept`);
  a.memberId = (await alice.get('/api/org/members')).body.members.find((m: any) => m.email === 'carol@a.example').id;
  a.invitationId = (await alice.post('/api/org/invitations', { email: 'dave@a.example', role: 'member' })).body.id;
  a.keyId = (await alice.post('/api/api-keys', { name: 'a-key' })).body.id;
  a.sessionId = (await alice.post('/api/sessions', { sandboxMode: 'deferred', title: 'A session' })).body.id;
  a.repoId = (await alice.post('/api/repos', { url: 'https://github.com/acme/tenancy', defaultBranch: 'main', createConfiguration: false })).body.repo.id;
  a.configurationId = (await alice.post('/api/configurations', { repos: [{ repoId: a.repoId }] })).body.id;
  a.secretId = (await alice.post('/api/secrets', { key: 'TENANT_KEY', value: 'tenant-a-secret' })).body.id;
  for (const [k, v] of Object.entries(a)) if (!v) throw new Error(`setup failed: ${k}`);
});
afterAll(async () => rt?.stop());

/** Every route of the manifest that names a resource id, and how org B's owner tries it on org A's resource. */
const crossTenant: Record<string, (c: Client) => ReturnType<Client['request']>> = {
  'POST /api/orgs/{orgId}/activate': (c) => c.post(`/api/orgs/${a.orgId}/activate`),
  'POST /api/orgs/{orgId}/join': (c) => c.post(`/api/orgs/${a.orgId}/join`),
  'PATCH /api/org/members/{memberId}': (c) => c.patch(`/api/org/members/${a.memberId}`, { role: 'admin' }),
  'DELETE /api/org/members/{memberId}': (c) => c.delete(`/api/org/members/${a.memberId}`),
  'DELETE /api/org/invitations/{invitationId}': (c) => c.delete(`/api/org/invitations/${a.invitationId}`),
  'DELETE /api/api-keys/{keyId}': (c) => c.delete(`/api/api-keys/${a.keyId}`),
  'GET /api/sessions/{sessionId}': (c) => c.get(`/api/sessions/${a.sessionId}`),
  'PATCH /api/sessions/{sessionId}': (c) => c.patch(`/api/sessions/${a.sessionId}`, { title: 'Hijacked' }),
  'DELETE /api/sessions/{sessionId}': (c) => c.delete(`/api/sessions/${a.sessionId}`),
  'POST /api/sessions/{sessionId}/pause': (c) => c.post(`/api/sessions/${a.sessionId}/pause`),
  'POST /api/sessions/{sessionId}/resume': (c) => c.post(`/api/sessions/${a.sessionId}/resume`),
  'POST /api/sessions/{sessionId}/snapshot': (c) => c.post(`/api/sessions/${a.sessionId}/snapshot`),
  'GET /api/sessions/{sessionId}/status': (c) => c.get(`/api/sessions/${a.sessionId}/status`),
  'POST /api/sessions/{sessionId}/message': (c) => c.post(`/api/sessions/${a.sessionId}/message`, { content: 'hi' }),
  'POST /api/sessions/{sessionId}/cancel': (c) => c.post(`/api/sessions/${a.sessionId}/cancel`),
  'GET /api/sessions/{sessionId}/events': (c) => c.get(`/api/sessions/${a.sessionId}/events`),
  'POST /api/sessions/{sessionId}/previews': (c) => c.post(`/api/sessions/${a.sessionId}/previews`, { port: 3000 }),
  'GET /api/sessions/{sessionId}/shares': (c) => c.get(`/api/sessions/${a.sessionId}/shares`),
  'POST /api/sessions/{sessionId}/shares': (c) => c.post(`/api/sessions/${a.sessionId}/shares`, { port: 3000 }),
  'DELETE /api/sessions/{sessionId}/shares/{shareId}': (c) => c.delete(`/api/sessions/${a.sessionId}/shares/${'0'.repeat(32)}`),
  'GET /api/repos/{repoId}': (c) => c.get(`/api/repos/${a.repoId}`),
  'PATCH /api/repos/{repoId}': (c) => c.patch(`/api/repos/${a.repoId}`, { name: 'hijacked' }),
  'DELETE /api/repos/{repoId}': (c) => c.delete(`/api/repos/${a.repoId}`),
  'GET /api/configurations/{configurationId}': (c) => c.get(`/api/configurations/${a.configurationId}`),
  'PATCH /api/configurations/{configurationId}': (c) => c.patch(`/api/configurations/${a.configurationId}`, { name: 'hijacked' }),
  'DELETE /api/configurations/{configurationId}': (c) => c.delete(`/api/configurations/${a.configurationId}`),
  'PUT /api/configurations/{configurationId}/repos': (c) => c.request('PUT', `/api/configurations/${a.configurationId}/repos`, { repos: [{ repoId: a.repoId }] }),
  'GET /api/configurations/{configurationId}/service-commands': (c) => c.get(`/api/configurations/${a.configurationId}/service-commands`),
  'GET /api/configurations/{configurationId}/status': (c) => c.get(`/api/configurations/${a.configurationId}/status`),
  'POST /api/configurations/{configurationId}/build': (c) => c.post(`/api/configurations/${a.configurationId}/build`),
  'DELETE /api/secrets/{secretId}': (c) => c.delete(`/api/secrets/${a.secretId}`),
  'POST /api/sessions/{sessionId}/env': (c) => c.post(`/api/sessions/${a.sessionId}/env`, { secrets: [{ key: 'HIJACK', value: 'x' }] }),
};
/** Routes with ids that are deliberately not tenant-scoped, and why. */
const byDesign: Record<string, string> = {
  'GET /api/invitations/{invitationId}': 'the invitation link is the credential: whoever holds it sees what they are invited to',
  'POST /api/invitations/{invitationId}/accept': 'only the addressee can accept; anyone else gets 403 invitation_email_mismatch (tested below)',
  'GET /api/dev/mail/{mailId}': 'the dev mailbox exists only in the embedded runtime for local development',
  'GET /api/previews/{shareId}': 'a public share link is the credential; revoked or unknown ids are 404 (sessions e2e test)',
  'POST /api/sandbox/tools/{tool}': 'authenticated by a sandbox token that names one session; a token for another session is refused (sessions e2e test)',
};

describe('tenant isolation', () => {
  it('covers every route that takes an id', () => {
    const withIds = functionSpecs()
      .flatMap(([, s]) => s.http ?? [])
      .filter((r) => /\{\w+\}/.test(r.path))
      .map((r) => `${r.method} ${r.path}`);
    expect(withIds.filter((k) => !(k in crossTenant) && !(k in byDesign))).toEqual([]);
  });

  it.each(Object.keys(crossTenant))('%s on an org-A resource is 404 for the owner of org B', async (key) => {
    const res = await crossTenant[key](bob);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('leaves org-A resources untouched after those attempts', async () => {
    expect((await alice.get(`/api/sessions/${a.sessionId}`)).body).toMatchObject({ title: 'A session', status: 'pending' });
    const members = (await alice.get('/api/org/members')).body.members;
    expect(members.find((m: any) => m.id === a.memberId)).toMatchObject({ role: 'member' });
    const invitations = (await alice.get('/api/org/invitations')).body.invitations;
    expect(invitations.find((i: any) => i.id === a.invitationId)).toMatchObject({ status: 'pending' });
    expect((await alice.get('/api/api-keys')).body.apiKeys.map((k: any) => k.id)).toContain(a.keyId);
    expect((await alice.get('/api/secrets')).body.secrets.map((s: any) => s.id)).toContain(a.secretId);
  });

  it('shows org B none of org A in its lists', async () => {
    const lists = await Promise.all(['/api/org/members', '/api/org/invitations', '/api/api-keys', '/api/orgs', '/api/sessions', '/api/secrets'].map((p) => bob.get(p)));
    const text = JSON.stringify(lists.map((l) => l.body));
    for (const id of Object.values(a)) expect(text).not.toContain(id);
    expect(text).not.toContain('alice@a.example');
  });

  it('refuses an x-org-id of an organisation the caller is not in', async () => {
    const res = await bob.get('/api/org/members', { 'x-org-id': a.orgId });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('not_a_member');
  });

  it('does not let someone else accept an invitation', async () => {
    const res = await bob.post(`/api/invitations/${a.invitationId}/accept`);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('invitation_email_mismatch');
  });

  it.each([
    ['PATCH', '/api/org', { name: 'Hijacked' }],
    ['POST', '/api/org/invitations', { email: 'x@a.example', role: 'member' }],
    ['DELETE', '/api/org/invitations/{invitationId}', undefined],
    ['PATCH', '/api/org/members/{memberId}', { role: 'admin' }],
    ['DELETE', '/api/org/members/{memberId}', undefined],
  ])('refuses a plain member %s %s (403)', async (method, path, body) => {
    const res = await carol.request(method, path.replace('{invitationId}', a.invitationId).replace('{memberId}', a.memberId), body);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('insufficient_role');
  });
});
