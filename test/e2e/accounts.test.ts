import { connect } from 'node:net';
import { eq } from 'drizzle-orm';
import { wsConnection } from '../../shared/db/schema';
import { Client, eventually, signUpVerified, startRuntime, verificationLink, type TestRuntime } from '../support/runtime';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(async () => rt?.stop());

describe('accounts and organisations over HTTP and WebSocket', () => {
  let alice: Client;
  let bob: Client;
  let orgId: string;

  it('answers health with the database and the runtime parts', async () => {
    const res = await new Client(rt.url).get('/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', runtime: 'local', checks: { database: { ok: true }, queues: { ok: true }, scheduler: { ok: true } } });
  });

  it('signs up, refuses sign-in until the email is verified, verifies from the dev mailbox', async () => {
    const anon = new Client(rt.url);
    const signUp = await anon.post('/api/auth/sign-up/email', { name: 'Alice Admin', email: 'alice@acme.example', password: 'correct horse battery' });
    expect(signUp.status).toBe(200);
    const early = await anon.post('/api/auth/sign-in/email', { email: 'alice@acme.example', password: 'correct horse battery' });
    expect(early.status).toBe(403);
    expect(early.body.code).toBe('EMAIL_NOT_VERIFIED');

    const link = await verificationLink(anon, 'alice@acme.example');
    expect(link.startsWith(rt.url)).toBe(true);
    alice = new Client(rt.url);
    const verified = await alice.get(link.replace(rt.url, ''));
    expect(verified.status).toBe(302);
    const me = await alice.get('/api/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: { email: 'alice@acme.example', emailVerified: true }, activeOrganizationId: null, isSuperAdmin: true });

    const wrong = await new Client(rt.url).post('/api/auth/sign-in/email', { email: 'alice@acme.example', password: 'wrong password!' });
    expect(wrong.status).toBe(401);
  });

  it('sends org-scoped requests without an organisation to onboarding (403 no_active_organization)', async () => {
    const res = await alice.get('/api/org/members');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('no_active_organization');
    const onboarding = await alice.get('/api/onboarding');
    expect(onboarding.body).toMatchObject({ hasOrg: false, onboardingComplete: false });
  });

  it('creates an organisation during onboarding and completes it', async () => {
    const created = await alice.post('/api/orgs', { name: 'Acme' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Acme', slug: 'acme', role: 'owner', active: true });
    orgId = created.body.id;
    const done = await alice.post('/api/onboarding/complete');
    expect(done.body).toMatchObject({ hasOrg: true, onboardingComplete: true, activeOrganizationId: orgId });
  });

  it('invites a colleague, who accepts as the second user; the first user sees it live over the WebSocket', async () => {
    const socket = await alice.socket();
    socket.ws.send(JSON.stringify({ type: 'whoami' }));
    const hello = await socket.next((m) => m.type === 'hello');
    expect(hello).toMatchObject({ organizationId: orgId, userId: expect.any(String) });

    const invite = await alice.post('/api/org/invitations', { email: 'Bob@Acme.example', role: 'member' });
    expect(invite.status).toBe(201);
    const invitationId = invite.body.id;
    await socket.next((m) => m.type === 'org.event' && m.event === 'invitation.created');

    const mail = await eventually(async () => {
      const box = await alice.get('/api/dev/mail?to=bob@acme.example');
      return box.body.messages.find((m: any) => m.subject.includes('invited you'));
    });
    expect(mail.text).toContain(`${rt.url}/invite/${invitationId}`);

    const preview = await new Client(rt.url).get(`/api/invitations/${invitationId}`);
    expect(preview.body).toMatchObject({ organizationName: 'Acme', inviterName: 'Alice Admin', email: 'bob@acme.example', status: 'pending' });

    bob = await signUpVerified(rt.url, 'Bob Builder', 'bob@acme.example');
    const pending = await bob.get('/api/onboarding');
    expect(pending.body.pendingInvitations).toEqual([expect.objectContaining({ id: invitationId, organizationName: 'Acme' })]);
    const accepted = await bob.post(`/api/invitations/${invitationId}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ id: orgId, role: 'member', active: true });
    const again = await bob.post(`/api/invitations/${invitationId}/accept`);
    expect(again.status).toBe(409);

    const joined = await socket.next((m) => m.type === 'org.event' && m.event === 'member.joined');
    expect(joined.data).toMatchObject({ email: 'bob@acme.example' });

    const members = await alice.get('/api/org/members');
    expect(members.body.members.map((m: any) => [m.email, m.role])).toEqual([
      ['alice@acme.example', 'owner'],
      ['bob@acme.example', 'member'],
    ]);

    // The connection is recorded while open and removed on disconnect.
    const before = await rt.db.db.select().from(wsConnection).where(eq(wsConnection.organizationId, orgId));
    expect(before).toHaveLength(1);
    socket.ws.close();
    await eventually(async () => (await rt.db.db.select().from(wsConnection).where(eq(wsConnection.organizationId, orgId))).length === 0, 5000, 'connection removed');
  });

  it('refuses a WebSocket without credentials', async () => {
    await expect(new Client(rt.url).socket()).rejects.toThrow(/401/);
  });

  it('survives a client that resets its socket while $connect is still deciding', async () => {
    const { port } = new URL(rt.url);
    for (let i = 0; i < 20; i++) {
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      const key = Buffer.from(`reset-${i}-0123456`).toString('base64');
      socket.write(`GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\nAuthorization: Bearer nope\r\n\r\n`);
      socket.resetAndDestroy();
    }
    // The process is still here and still answers.
    expect((await new Client(rt.url).get('/api/health')).status).toBe(200);
  });

  it('switches organisations', async () => {
    const second = await bob.post('/api/orgs', { name: "Bob's Side Project" });
    expect(second.body.active).toBe(true);
    let list = await bob.get('/api/orgs');
    expect(list.body.organizations.filter((o: any) => o.active).map((o: any) => o.id)).toEqual([second.body.id]);
    const switched = await bob.post(`/api/orgs/${orgId}/activate`);
    expect(switched.status).toBe(200);
    list = await bob.get('/api/orgs');
    expect(list.body.organizations.find((o: any) => o.active).id).toBe(orgId);
    expect((await bob.get('/api/org')).body.name).toBe('Acme');
  });

  it('creates an API key shown once, acts with it in its organisation, and revokes it', async () => {
    const created = await alice.post('/api/api-keys', { name: 'ci' });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^prl_/);
    const key = created.body.key as string;

    const listed = await alice.get('/api/api-keys');
    expect(listed.body.apiKeys).toEqual([expect.objectContaining({ id: created.body.id, name: 'ci' })]);
    expect(JSON.stringify(listed.body)).not.toContain(key);

    const viaKey = new Client(rt.url, { 'x-api-key': key });
    const members = await viaKey.get('/api/org/members');
    expect(members.status).toBe(200);
    expect(members.body.members).toHaveLength(2);
    const viaBearer = await new Client(rt.url, { authorization: `Bearer ${key}` }).get('/api/org');
    expect(viaBearer.body.id).toBe(orgId);
    // A key cannot mint keys.
    expect((await viaKey.post('/api/api-keys', { name: 'nested' })).status).toBe(403);

    expect((await alice.delete(`/api/api-keys/${created.body.id}`)).status).toBe(200);
    const after = await viaKey.get('/api/org/members');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('invalid_api_key');
  });

  it('lets the first user, a super-admin, list users and organisations and impersonate', async () => {
    const users = await alice.get('/api/admin/users');
    expect(users.status).toBe(200);
    expect(users.body.users.map((u: any) => u.email).sort()).toEqual(['alice@acme.example', 'bob@acme.example']);
    expect(users.body.users.find((u: any) => u.email === 'alice@acme.example').isSuperAdmin).toBe(true);
    const orgs = await alice.get('/api/admin/organizations?q=acme');
    expect(orgs.body.organizations).toEqual([expect.objectContaining({ name: 'Acme', memberCount: 2 })]);

    expect((await bob.get('/api/admin/users')).status).toBe(403);
    expect((await bob.get('/api/admin/status')).body).toEqual({ isSuperAdmin: false, impersonating: null });

    const bobId = users.body.users.find((u: any) => u.email === 'bob@acme.example').id;
    const imp = await alice.post('/api/admin/impersonate', { userId: bobId });
    expect(imp.status).toBe(200);
    const me = await alice.get('/api/me');
    expect(me.body.user.email).toBe('bob@acme.example');
    expect(me.body.impersonatedBy).toEqual(expect.any(String));
    const status = await alice.get('/api/admin/status');
    expect(status.body.impersonating).toMatchObject({ userId: bobId, email: 'bob@acme.example' });

    expect((await alice.post('/api/admin/stop-impersonating')).status).toBe(200);
    expect((await alice.get('/api/me')).body.user.email).toBe('alice@acme.example');
  });

  it('signs out', async () => {
    expect((await bob.post('/api/auth/sign-out')).status).toBe(200);
    expect((await bob.get('/api/me')).status).toBe(401);
  });

  it('serves the OpenAPI document generated from the contracts', async () => {
    const doc = await new Client(rt.url).get('/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.0.3');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/org/members', '/api/invitations/{invitationId}/accept', '/api/health']));
    expect(doc.body.paths['/api/org/invitations'].post.requestBody.content['application/json'].schema.properties.email).toBeDefined();
  });
});
