import { eq } from 'drizzle-orm';
import { member, outbox } from '../../shared/db/schema';
import type { DbHandle } from '../../shared/db/client';
import * as orgs from '../../shared/domain/orgs/organizations';
import * as members from '../../shared/domain/orgs/members';
import * as onboarding from '../../shared/domain/orgs/onboarding';
import { testDb } from '../support/db';
import { ManualClock, makeUser, refresh, outcome } from '../support/fixtures';

let h: DbHandle;
beforeAll(async () => {
  h = await testDb();
});
afterAll(async () => h.close());

describe('organisations', () => {
  it('creates an organisation with the creator as owner, makes it active, and lists it', async () => {
    const alice = await makeUser(h.db);
    const org = await orgs.createOrganization(h.db, alice, { name: 'Acme Robotics' });
    expect(org).toMatchObject({ name: 'Acme Robotics', slug: 'acme-robotics', role: 'owner', active: true });
    const me = await refresh(h.db, alice);
    expect(me.activeOrganizationId).toBe(org.id);
    expect(await orgs.listOrganizations(h.db, me)).toEqual([expect.objectContaining({ id: org.id, role: 'owner', active: true })]);
  });

  it('refuses a slug in use when asked for explicitly, and picks a free one otherwise', async () => {
    const a = await makeUser(h.db);
    await orgs.createOrganization(h.db, a, { name: 'Globex', slug: 'globex' });
    expect(await outcome(orgs.createOrganization(h.db, a, { name: 'Globex 2', slug: 'globex' }))).toBe('conflict:slug_taken');
    const second = await orgs.createOrganization(h.db, a, { name: 'Globex' });
    expect(second.slug).toMatch(/^globex-[0-9a-f]{6}$/);
  });

  it('switches only to organisations the caller belongs to (others are 404)', async () => {
    const a = await makeUser(h.db);
    const b = await makeUser(h.db);
    const orgA = await orgs.createOrganization(h.db, a, { name: 'A corp' });
    const orgA2 = await orgs.createOrganization(h.db, a, { name: 'A corp two' });
    expect((await orgs.activateOrganization(h.db, a, orgA.id)).active).toBe(true);
    expect((await refresh(h.db, a)).activeOrganizationId).toBe(orgA.id);
    expect(await outcome(orgs.activateOrganization(h.db, b, orgA2.id))).toBe('not_found:not_found');
  });

  it('re-verifies membership on every org-scoped call', async () => {
    const owner = await makeUser(h.db);
    const org = await orgs.createOrganization(h.db, owner, { name: 'Verify Co' });
    const stranger = { ...(await makeUser(h.db)), activeOrganizationId: org.id };
    expect(await outcome(orgs.resolveOrgCaller(h.db, stranger))).toBe('forbidden:not_a_member');
    const none = await makeUser(h.db);
    expect(await outcome(orgs.resolveOrgCaller(h.db, none))).toBe('forbidden:no_active_organization');
    const resolved = await orgs.resolveOrgCaller(h.db, await refresh(h.db, owner));
    expect(resolved).toMatchObject({ organizationId: org.id, role: 'owner' });
  });

  it('updates name and allowed domains, writing an org event to the outbox in the same transaction', async () => {
    const owner = await makeUser(h.db);
    const org = await orgs.createOrganization(h.db, owner, { name: 'Domains Inc' });
    const c = await orgs.resolveOrgCaller(h.db, await refresh(h.db, owner));
    const updated = await orgs.updateOrganization(h.db, c, { name: 'Domains Incorporated', allowedDomains: ['Domains.example', 'domains.example'] });
    expect(updated).toMatchObject({ name: 'Domains Incorporated', allowedDomains: ['domains.example'] });
    const events = await h.db.select().from(outbox).where(eq(outbox.organizationId, org.id));
    expect(events.map((e) => e.payload.type)).toContain('organization.updated');
  });

  it('suggests organisations by verified email domain and lets such users join as members', async () => {
    const owner = await makeUser(h.db, { email: 'boss@initech.example' });
    const org = await orgs.createOrganization(h.db, owner, { name: 'Initech' });
    await orgs.updateOrganization(h.db, await orgs.resolveOrgCaller(h.db, await refresh(h.db, owner)), { allowedDomains: ['initech.example'] });

    const peter = await makeUser(h.db, { email: 'peter@initech.example' });
    const unverified = await makeUser(h.db, { email: 'milton@initech.example', emailVerified: false });
    const outsider = await makeUser(h.db, { email: 'bob@elsewhere.example' });
    const clock = new ManualClock();

    expect((await onboarding.onboardingStatus({ db: h.db, clock }, peter)).suggestions).toEqual([
      expect.objectContaining({ id: org.id, name: 'Initech', memberCount: 1 }),
    ]);
    expect((await onboarding.onboardingStatus({ db: h.db, clock }, unverified)).suggestions).toEqual([]);
    expect((await onboarding.onboardingStatus({ db: h.db, clock }, outsider)).suggestions).toEqual([]);

    expect(await outcome(orgs.joinByDomain(h.db, outsider, org.id))).toBe('not_found:not_found');
    expect(await outcome(orgs.joinByDomain(h.db, unverified, org.id))).toBe('forbidden:email_not_verified');
    const joined = await orgs.joinByDomain(h.db, peter, org.id);
    expect(joined).toMatchObject({ id: org.id, role: 'member', active: true });
    expect(await outcome(orgs.joinByDomain(h.db, peter, org.id))).toBe('conflict:already_member');
    // Once joined, the organisation is no longer suggested.
    expect((await onboarding.onboardingStatus({ db: h.db, clock }, peter)).suggestions).toEqual([]);
  });

  it('completes onboarding for the active organisation', async () => {
    const owner = await makeUser(h.db);
    await orgs.createOrganization(h.db, owner, { name: 'Onboard Ltd' });
    const c = await orgs.resolveOrgCaller(h.db, await refresh(h.db, owner));
    const clock = new ManualClock();
    expect(await onboarding.onboardingStatus({ db: h.db, clock }, c)).toMatchObject({ hasOrg: true, onboardingComplete: false });
    expect(await onboarding.completeOnboarding({ db: h.db, clock }, c)).toMatchObject({ hasOrg: true, onboardingComplete: true, activeOrganizationId: c.organizationId });
  });
});

describe('members', () => {
  async function team() {
    const owner = await makeUser(h.db, { name: 'Olive Owner' });
    const org = await orgs.createOrganization(h.db, owner, { name: `Team ${Math.random()}` });
    const add = async (role: 'admin' | 'member') => {
      const u = await makeUser(h.db);
      await h.db.insert(member).values({ id: orgs.newId('mem'), organizationId: org.id, userId: u.userId, role, createdAt: new Date() });
      return orgs.resolveOrgCaller(h.db, { ...u, activeOrganizationId: org.id });
    };
    return { org, owner: await orgs.resolveOrgCaller(h.db, await refresh(h.db, owner)), admin: await add('admin'), member: await add('member'), other: await add('member') };
  }

  it('lists members with their names, emails and roles, owner first', async () => {
    const t = await team();
    const list = await members.listMembers(h.db, t.member);
    expect(list.map((m) => m.role)).toEqual(['owner', 'admin', 'member', 'member']);
    expect(list[0]).toMatchObject({ name: 'Olive Owner', userId: t.owner.userId });
  });

  it('lets only the owner change roles, never the owner role itself', async () => {
    const t = await team();
    const list = await members.listMembers(h.db, t.owner);
    const memberRow = list.find((m) => m.userId === t.member.userId)!;
    const ownerRow = list.find((m) => m.role === 'owner')!;
    expect(await outcome(members.updateMemberRole(h.db, t.admin, memberRow.id, 'admin'))).toBe('forbidden:owner_only');
    expect(await outcome(members.updateMemberRole(h.db, t.owner, ownerRow.id, 'member'))).toBe('forbidden:owner_role_fixed');
    expect((await members.updateMemberRole(h.db, t.owner, memberRow.id, 'admin')).role).toBe('admin');
  });

  it('lets owners and admins remove members, never the owner; admins cannot remove admins; removal clears the active org', async () => {
    const t = await team();
    const list = await members.listMembers(h.db, t.owner);
    const row = (userId: string) => list.find((m) => m.userId === userId)!;
    expect(await outcome(members.removeMember(h.db, t.member, row(t.other.userId).id))).toBe('forbidden:insufficient_role');
    expect(await outcome(members.removeMember(h.db, t.admin, row(t.owner.userId).id))).toBe('forbidden:cannot_remove_owner');
    expect(await outcome(members.removeMember(h.db, t.admin, row(t.admin.userId).id))).toBe('forbidden:owner_only');
    await orgs.setActiveOrganization(h.db, t.other, t.org.id);
    await members.removeMember(h.db, t.admin, row(t.other.userId).id);
    expect((await refresh(h.db, t.other)).activeOrganizationId).toBeNull();
    expect(await outcome(orgs.resolveOrgCaller(h.db, { ...t.other, activeOrganizationId: t.org.id }))).toBe('forbidden:not_a_member');
  });

  it('treats a member id of another organisation as not found', async () => {
    const a = await team();
    const b = await team();
    const bMember = (await members.listMembers(h.db, b.owner)).find((m) => m.role === 'member')!;
    expect(await outcome(members.removeMember(h.db, a.owner, bMember.id))).toBe('not_found:not_found');
    expect(await outcome(members.updateMemberRole(h.db, a.owner, bMember.id, 'admin'))).toBe('not_found:not_found');
  });
});
