import { and, eq } from 'drizzle-orm';
import type { DbHandle } from '../../shared/db/client';
import { invitation, member, outbox } from '../../shared/db/schema';
import * as orgs from '../../shared/domain/orgs/organizations';
import * as inv from '../../shared/domain/orgs/invitations';
import { testDb } from '../support/db';
import { ManualClock, makeUser, refresh, outcome } from '../support/fixtures';

let h: DbHandle;
beforeAll(async () => {
  h = await testDb();
});
afterAll(async () => h.close());

async function setup() {
  const clock = new ManualClock();
  const owner = await makeUser(h.db, { name: 'Ada Owner' });
  const org = await orgs.createOrganization(h.db, owner, { name: `Invites ${Math.random().toString(36).slice(2)}` });
  const ownerC = await orgs.resolveOrgCaller(h.db, await refresh(h.db, owner));
  const deps = { db: h.db, clock, publicUrl: 'https://app.example', ttlHours: 48 };
  return { clock, org, owner: ownerC, deps };
}

describe('invitations', () => {
  it('invites by email and writes the invitation email to the outbox in the same transaction', async () => {
    const { owner, deps, org } = await setup();
    const created = await inv.invite(deps, owner, { email: 'Grace@Example.com', role: 'admin' });
    expect(created).toMatchObject({ email: 'grace@example.com', role: 'admin', status: 'pending', inviterName: 'Ada Owner' });
    expect(new Date(created.expiresAt).getTime() - deps.clock.now().getTime()).toBe(48 * 3600_000);
    const rows = await h.db.select().from(outbox).where(eq(outbox.organizationId, org.id));
    const mail = rows.find((r) => r.topic === 'mail.send')!;
    expect(mail.payload).toMatchObject({ template: 'invitation', to: 'grace@example.com', url: `https://app.example/invite/${created.id}`, organizationName: org.name });
    expect(rows.some((r) => r.topic === 'org.event' && r.payload.type === 'invitation.created')).toBe(true);
  });

  it('rolls back the invitation when the outbox write fails (one transaction)', async () => {
    const { owner, org } = await setup();
    const bad = { db: h.db, clock: new ManualClock(), publicUrl: 'not a url', ttlHours: 1 };
    await expect(inv.invite(bad, owner, { email: 'nobody@example.com', role: 'member' })).rejects.toThrow();
    const left = await h.db.select().from(invitation).where(and(eq(invitation.organizationId, org.id), eq(invitation.email, 'nobody@example.com')));
    expect(left).toEqual([]);
  });

  it('refuses to invite an existing member or someone already invited', async () => {
    const { owner, deps } = await setup();
    expect(await outcome(inv.invite(deps, owner, { email: owner.email.toUpperCase(), role: 'member' }))).toBe('conflict:already_member');
    await inv.invite(deps, owner, { email: 'twice@example.com', role: 'member' });
    expect(await outcome(inv.invite(deps, owner, { email: 'twice@example.com', role: 'member' }))).toBe('conflict:already_invited');
  });

  it('is accepted by the invited user only: adds them with the role, activates the org; a second acceptance fails', async () => {
    const { owner, deps, org } = await setup();
    const grace = await makeUser(h.db, { email: 'grace.hopper@example.com' });
    const mallory = await makeUser(h.db, { email: 'mallory@example.com' });
    const created = await inv.invite(deps, owner, { email: 'grace.hopper@example.com', role: 'admin' });

    expect(await outcome(inv.acceptInvitation(deps, mallory, created.id))).toBe('forbidden:invitation_email_mismatch');
    const joined = await inv.acceptInvitation(deps, grace, created.id);
    expect(joined).toMatchObject({ id: org.id, role: 'admin', active: true });
    expect((await refresh(h.db, grace)).activeOrganizationId).toBe(org.id);
    expect(await outcome(inv.acceptInvitation(deps, grace, created.id))).toBe('conflict:invitation_already_accepted');
    const rows = await h.db.select().from(member).where(and(eq(member.organizationId, org.id), eq(member.userId, grace.userId)));
    expect(rows).toHaveLength(1);
    expect((await inv.getPublicInvitation(deps, created.id)).status).toBe('accepted');
  });

  it('concurrent acceptances of one invitation add the member once', async () => {
    const { owner, deps, org } = await setup();
    const lin = await makeUser(h.db, { email: 'lin@example.com' });
    const created = await inv.invite(deps, owner, { email: 'lin@example.com', role: 'member' });
    const results = await Promise.all([1, 2, 3].map(() => outcome(inv.acceptInvitation(deps, lin, created.id))));
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    expect(results.filter((r) => r !== 'ok').every((r) => r === 'conflict:invitation_already_accepted')).toBe(true);
    const rows = await h.db.select().from(member).where(and(eq(member.organizationId, org.id), eq(member.userId, lin.userId)));
    expect(rows).toHaveLength(1);
  });

  it('requires a verified email to accept', async () => {
    const { owner, deps } = await setup();
    const u = await makeUser(h.db, { email: 'unverified@example.com', emailVerified: false });
    const created = await inv.invite(deps, owner, { email: 'unverified@example.com', role: 'member' });
    expect(await outcome(inv.acceptInvitation(deps, u, created.id))).toBe('forbidden:email_not_verified');
  });

  it('expires: shown expired once past its time, cannot be accepted, and the sweeper marks it', async () => {
    const { owner, deps } = await setup();
    const late = await makeUser(h.db, { email: 'late@example.com' });
    const created = await inv.invite(deps, owner, { email: 'late@example.com', role: 'member' });
    deps.clock.advance(48 * 3600_000 + 1000);
    expect((await inv.getPublicInvitation(deps, created.id)).status).toBe('expired');
    expect(await outcome(inv.acceptInvitation(deps, late, created.id))).toBe('gone:invitation_expired');
    expect(await inv.expireOverdueInvitations(deps)).toBeGreaterThanOrEqual(1);
    const [row] = await h.db.select().from(invitation).where(eq(invitation.id, created.id));
    expect(row.status).toBe('expired');
    // After expiry, a new invitation to the same address is allowed.
    expect((await inv.invite(deps, owner, { email: 'late@example.com', role: 'member' })).status).toBe('pending');
  });

  it('can be revoked while pending; a revoked invitation cannot be accepted or revoked again', async () => {
    const { owner, deps } = await setup();
    const r = await makeUser(h.db, { email: 'revoked@example.com' });
    const created = await inv.invite(deps, owner, { email: 'revoked@example.com', role: 'member' });
    expect((await inv.revokeInvitation(deps, owner, created.id)).status).toBe('revoked');
    expect(await outcome(inv.revokeInvitation(deps, owner, created.id))).toBe('conflict:invitation_not_pending');
    expect(await outcome(inv.acceptInvitation(deps, r, created.id))).toBe('gone:invitation_revoked');
    expect((await inv.listInvitations(deps, owner, 'revoked')).map((i) => i.id)).toContain(created.id);
  });

  it('keeps organisations apart: another org cannot list, revoke or see the invitations', async () => {
    const a = await setup();
    const b = await setup();
    const created = await inv.invite(a.deps, a.owner, { email: 'apart@example.com', role: 'member' });
    expect((await inv.listInvitations(b.deps, b.owner)).map((i) => i.id)).not.toContain(created.id);
    expect(await outcome(inv.revokeInvitation(b.deps, b.owner, created.id))).toBe('not_found:not_found');
    expect(await outcome(inv.getPublicInvitation(a.deps, 'inv_doesnotexist'))).toBe('not_found:not_found');
  });

  it('lists pending invitations addressed to a user for onboarding', async () => {
    const { owner, deps, org } = await setup();
    const invitee = await makeUser(h.db, { email: 'onboard.me@example.com' });
    const created = await inv.invite(deps, owner, { email: 'onboard.me@example.com', role: 'member' });
    expect(await inv.invitationsFor(deps, invitee)).toEqual([expect.objectContaining({ id: created.id, organizationName: org.name, status: 'pending' })]);
  });
});
