import { randomBytes } from 'node:crypto';
import { and, desc, eq, gt, lt, sql } from 'drizzle-orm';
import type { Role } from '../../contracts/route';
import type { Db } from '../../db/client';
import { invitation, member, organization, user } from '../../db/schema';
import type { Clock } from '../../ports';
import type { Caller, OrgCaller } from '../caller';
import { conflict, forbidden, gone, notFound } from '../errors';
import { enqueue } from '../outbox/outbox';
import { newId, setActiveOrganization, toView, type OrganizationView } from './organizations';

export type InvitationStatus = 'pending' | 'accepted' | 'rejected' | 'revoked' | 'expired';

export interface InvitationView {
  id: string;
  email: string;
  role: Role;
  status: InvitationStatus;
  expiresAt: string;
  createdAt: string;
  inviterName: string | null;
}

export interface PublicInvitationView {
  id: string;
  organizationName: string;
  inviterName: string | null;
  email: string;
  role: Role;
  status: InvitationStatus;
  expiresAt: string;
}

export interface InvitationDeps {
  db: Db;
  clock: Clock;
  /** Base of links in emails, e.g. https://app.example.com */
  publicUrl: string;
  ttlHours: number;
}

/** A pending invitation past its expiry is expired even before the sweeper has marked it. */
const effectiveStatus = (status: string, expiresAt: Date, now: Date): InvitationStatus =>
  status === 'pending' && expiresAt <= now ? 'expired' : (status as InvitationStatus);

type InvitationRow = typeof invitation.$inferSelect;

const invitationView = (inv: InvitationRow, inviterName: string | null, now: Date): InvitationView => ({
  id: inv.id,
  email: inv.email,
  role: (inv.role ?? 'member') as Role,
  status: effectiveStatus(inv.status, inv.expiresAt, now),
  expiresAt: inv.expiresAt.toISOString(),
  createdAt: inv.createdAt.toISOString(),
  inviterName,
});

const toPublicView = (r: { inv: InvitationRow; organizationName: string; inviterName: string | null }, now: Date): PublicInvitationView => ({
  id: r.inv.id,
  organizationName: r.organizationName,
  inviterName: r.inviterName,
  email: r.inv.email,
  role: (r.inv.role ?? 'member') as Role,
  status: effectiveStatus(r.inv.status, r.inv.expiresAt, now),
  expiresAt: r.inv.expiresAt.toISOString(),
});

export async function listInvitations(
  deps: Pick<InvitationDeps, 'db' | 'clock'>,
  caller: OrgCaller,
  status?: InvitationStatus,
): Promise<InvitationView[]> {
  const now = deps.clock.now();
  const rows = await deps.db
    .select({ inv: invitation, inviterName: user.name })
    .from(invitation)
    .leftJoin(user, eq(user.id, invitation.inviterId))
    .where(eq(invitation.organizationId, caller.organizationId))
    .orderBy(desc(invitation.createdAt), desc(invitation.id));
  return rows.map(({ inv, inviterName }) => invitationView(inv, inviterName, now)).filter((v) => !status || v.status === status);
}

export async function invite(
  deps: InvitationDeps,
  caller: OrgCaller,
  input: { email: string; role: 'admin' | 'member' },
): Promise<InvitationView> {
  const email = input.email.toLowerCase();
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [org] = await tx.select().from(organization).where(eq(organization.id, caller.organizationId));
    if (!org) throw notFound('Organization');
    const existingMember = await tx
      .select({ id: member.id })
      .from(member)
      .innerJoin(user, eq(user.id, member.userId))
      .where(and(eq(member.organizationId, org.id), sql`lower(${user.email}) = ${email}`))
      .limit(1);
    if (existingMember.length) throw conflict('already_member', `${email} is already a member`);
    const pending = await tx
      .select({ id: invitation.id })
      .from(invitation)
      .where(
        and(
          eq(invitation.organizationId, org.id),
          eq(invitation.email, email),
          eq(invitation.status, 'pending'),
          gt(invitation.expiresAt, now),
        ),
      )
      .limit(1);
    if (pending.length) throw conflict('already_invited', `${email} already has a pending invitation; revoke it to send a new one`);

    const id = `inv_${randomBytes(18).toString('base64url')}`;
    const expiresAt = new Date(now.getTime() + deps.ttlHours * 3600_000);
    const [row] = await tx
      .insert(invitation)
      .values({ id, organizationId: org.id, email, role: input.role, status: 'pending', expiresAt, createdAt: now, inviterId: caller.userId })
      .returning();
    await enqueue(
      tx,
      'mail.send',
      {
        template: 'invitation',
        to: email,
        organizationName: org.name,
        inviterName: caller.name,
        role: input.role,
        url: `${deps.publicUrl}/invite/${id}`,
        expiresAt: expiresAt.toISOString(),
      },
      org.id,
    );
    await enqueue(tx, 'org.event', { organizationId: org.id, type: 'invitation.created', data: { invitationId: id, email, role: input.role } }, org.id);
    return invitationView(row, caller.name, now);
  });
}

export async function revokeInvitation(deps: Pick<InvitationDeps, 'db' | 'clock'>, caller: OrgCaller, invitationId: string): Promise<InvitationView> {
  return deps.db.transaction(async (tx) => {
    const [row] = await tx
      .update(invitation)
      .set({ status: 'revoked' })
      .where(and(eq(invitation.id, invitationId), eq(invitation.organizationId, caller.organizationId), eq(invitation.status, 'pending')))
      .returning();
    if (!row) {
      const [existing] = await tx
        .select({ status: invitation.status })
        .from(invitation)
        .where(and(eq(invitation.id, invitationId), eq(invitation.organizationId, caller.organizationId)));
      if (!existing) throw notFound('Invitation');
      throw conflict('invitation_not_pending', `The invitation is already ${existing.status}`);
    }
    await enqueue(tx, 'org.event', { organizationId: caller.organizationId, type: 'invitation.revoked', data: { invitationId } }, caller.organizationId);
    const [inviter] = await tx.select({ name: user.name }).from(user).where(eq(user.id, row.inviterId));
    return invitationView(row, inviter?.name ?? null, deps.clock.now());
  });
}

/** What the invitation page shows to anyone holding the (unguessable) link, signed in or not. */
export async function getPublicInvitation(deps: Pick<InvitationDeps, 'db' | 'clock'>, invitationId: string): Promise<PublicInvitationView> {
  const [row] = await deps.db
    .select({ inv: invitation, organizationName: organization.name, inviterName: user.name })
    .from(invitation)
    .innerJoin(organization, eq(organization.id, invitation.organizationId))
    .leftJoin(user, eq(user.id, invitation.inviterId))
    .where(eq(invitation.id, invitationId))
    .limit(1);
  if (!row) throw notFound('Invitation');
  return toPublicView(row, deps.clock.now());
}

/** Pending, unexpired invitations addressed to the caller (shown during onboarding). */
export async function invitationsFor(deps: Pick<InvitationDeps, 'db' | 'clock'>, caller: Caller): Promise<PublicInvitationView[]> {
  const now = deps.clock.now();
  const rows = await deps.db
    .select({ inv: invitation, organizationName: organization.name, inviterName: user.name })
    .from(invitation)
    .innerJoin(organization, eq(organization.id, invitation.organizationId))
    .leftJoin(user, eq(user.id, invitation.inviterId))
    .where(and(eq(invitation.email, caller.email.toLowerCase()), eq(invitation.status, 'pending'), gt(invitation.expiresAt, now)))
    .orderBy(desc(invitation.createdAt));
  return rows.map((r) => toPublicView(r, now));
}

/**
 * Accepts an invitation for the signed-in user whose (verified) email it was sent to. The status moves from pending
 * to accepted with a compare-and-set, so a second acceptance — even a concurrent one — fails instead of adding twice.
 */
export async function acceptInvitation(deps: Pick<InvitationDeps, 'db' | 'clock'>, caller: Caller, invitationId: string): Promise<OrganizationView> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [inv] = await tx.select().from(invitation).where(eq(invitation.id, invitationId)).limit(1);
    if (!inv) throw notFound('Invitation');
    if (inv.email.toLowerCase() !== caller.email.toLowerCase()) {
      throw forbidden('invitation_email_mismatch', 'This invitation was sent to a different email address');
    }
    if (!caller.emailVerified) throw forbidden('email_not_verified', 'Verify your email address first');
    const status = effectiveStatus(inv.status, inv.expiresAt, now);
    if (status === 'accepted') throw conflict('invitation_already_accepted', 'This invitation has already been accepted');
    if (status === 'expired') throw gone('invitation_expired', 'This invitation has expired; ask for a new one');
    if (status === 'revoked') throw gone('invitation_revoked', 'This invitation was revoked');
    if (status !== 'pending') throw gone('invitation_closed', `This invitation is ${status}`);

    const claimed = await tx
      .update(invitation)
      .set({ status: 'accepted' })
      .where(and(eq(invitation.id, inv.id), eq(invitation.status, 'pending')))
      .returning({ id: invitation.id });
    if (claimed.length === 0) throw conflict('invitation_already_accepted', 'This invitation has already been accepted');

    const role = (inv.role ?? 'member') as Role;
    const memberId = newId('mem');
    const inserted = await tx
      .insert(member)
      .values({ id: memberId, organizationId: inv.organizationId, userId: caller.userId, role, createdAt: now })
      .onConflictDoNothing()
      .returning({ id: member.id, role: member.role });
    const [org] = await tx.select().from(organization).where(eq(organization.id, inv.organizationId));
    const [current] = inserted.length
      ? inserted
      : await tx
          .select({ id: member.id, role: member.role })
          .from(member)
          .where(and(eq(member.organizationId, inv.organizationId), eq(member.userId, caller.userId)));
    await setActiveOrganization(tx, caller, inv.organizationId);
    if (inserted.length) {
      await enqueue(
        tx,
        'org.event',
        { organizationId: inv.organizationId, type: 'member.joined', data: { memberId, userId: caller.userId, name: caller.name, email: caller.email, via: 'invitation' } },
        inv.organizationId,
      );
    }
    return toView(org, current.role, inv.organizationId);
  });
}

/** The sweeper: pending invitations past their expiry become `expired`. Returns how many changed. */
export async function expireOverdueInvitations(deps: Pick<InvitationDeps, 'db' | 'clock'>): Promise<number> {
  const rows = await deps.db
    .update(invitation)
    .set({ status: 'expired' })
    .where(and(eq(invitation.status, 'pending'), lt(invitation.expiresAt, deps.clock.now())))
    .returning({ id: invitation.id });
  return rows.length;
}
