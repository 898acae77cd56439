import { eq } from 'drizzle-orm';
import { Writable } from 'node:stream';
import type { DbHandle } from '../../shared/db/client';
import { superAdmin, user } from '../../shared/db/schema';
import { grantSuperAdminOnSignUp, isSuperAdmin } from '../../shared/domain/admin/super-admins';
import { listOrganizations, listUsers } from '../../shared/domain/admin/directory';
import { createOrganization } from '../../shared/domain/orgs/organizations';
import { createLogger } from '../../shared/runtime/logger';
import { testDb } from '../support/db';
import { makeUser } from '../support/fixtures';

let h: DbHandle;
beforeAll(async () => {
  h = await testDb();
});
afterAll(async () => h.close());

describe('super-admins', () => {
  it('makes the first user a super-admin, later ones only when configured, and gives them the admin role', async () => {
    const first = await makeUser(h.db, { email: 'first@example.com' });
    const second = await makeUser(h.db, { email: 'second@example.com' });
    const listed = await makeUser(h.db, { email: 'Ops@Example.com' });
    const config = ['ops@example.com'];
    // Concurrent sign-ups: exactly one of them is "first".
    const granted = await Promise.all([first, second].map((u) => grantSuperAdminOnSignUp(h.db, u, config)));
    expect(granted.filter(Boolean)).toHaveLength(1);
    expect(await grantSuperAdminOnSignUp(h.db, listed, config)).toBe(true);
    const winner = granted[0] ? first : second;
    const loser = granted[0] ? second : first;
    expect(await isSuperAdmin(h.db, winner, config)).toBe(true);
    expect(await isSuperAdmin(h.db, loser, config)).toBe(false);
    expect(await isSuperAdmin(h.db, listed, config)).toBe(true);
    const [row] = await h.db.select({ role: user.role }).from(user).where(eq(user.id, winner.userId));
    expect(row.role).toBe('admin');
    expect((await h.db.select().from(superAdmin)).map((r) => r.grantedBy).sort()).toEqual(['config', 'first-user']);
  });

  it('lists users and organisations with counts, search and paging', async () => {
    const owner = await makeUser(h.db, { name: 'Zed Searchable', email: 'zed@search.example' });
    await createOrganization(h.db, owner, { name: 'Searchable Org' });
    const found = await listUsers(h.db, { q: 'zed', limit: 10, offset: 0 }, []);
    expect(found).toEqual({ total: 1, users: [expect.objectContaining({ email: 'zed@search.example', organizationCount: 1, isSuperAdmin: false })] });
    const page = await listUsers(h.db, { limit: 2, offset: 0 }, []);
    expect(page.users).toHaveLength(2);
    expect(page.total).toBeGreaterThanOrEqual(4);
    // A LIKE wildcard in the search is taken literally.
    expect((await listUsers(h.db, { q: '%', limit: 10, offset: 0 }, [])).total).toBe(0);
    const orgs = await listOrganizations(h.db, { q: 'searchable', limit: 10, offset: 0 });
    expect(orgs.organizations).toEqual([expect.objectContaining({ name: 'Searchable Org', memberCount: 1 })]);
  });
});

describe('logs', () => {
  it('never write secrets, whatever the caller passes', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const log = createLogger({ level: 'info', destination: sink });
    log.info({ password: 'hunter2', headers: { authorization: 'Bearer abc', cookie: 'session=xyz' }, user: { token: 't0k' }, apiKey: 'prl_secret', ok: 'visible' }, 'request');
    const text = lines.join('');
    for (const secret of ['hunter2', 'Bearer abc', 'session=xyz', 't0k', 'prl_secret']) expect(text).not.toContain(secret);
    expect(text).toContain('visible');
    expect(JSON.parse(lines[0]).password).toBe('[redacted]');
  });
});
