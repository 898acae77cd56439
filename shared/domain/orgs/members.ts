import { and, asc, eq } from 'drizzle-orm';
import type { Role } from '../../contracts/route';
import type { Db } from '../../db/client';
import { member, session, user } from '../../db/schema';
import type { OrgCaller } from '../caller';
import { forbidden, notFound } from '../errors';
import { enqueue } from '../outbox/outbox';

export interface MemberView {
  id: string;
  userId: string;
  name: string;
  email: string;
  role: Role;
  createdAt: string;
}

export async function listMembers(db: Db, caller: OrgCaller): Promise<MemberView[]> {
  const rows = await db
    .select({ id: member.id, userId: member.userId, role: member.role, createdAt: member.createdAt, name: user.name, email: user.email })
    .from(member)
    .innerJoin(user, eq(user.id, member.userId))
    .where(eq(member.organizationId, caller.organizationId))
    .orderBy(asc(member.createdAt), asc(member.id));
  return rows.map((r) => ({ ...r, role: r.role as Role, createdAt: r.createdAt.toISOString() }));
}

async function findMember(db: Db, caller: OrgCaller, memberId: string) {
  const [row] = await db
    .select({ id: member.id, userId: member.userId, role: member.role, createdAt: member.createdAt, name: user.name, email: user.email })
    .from(member)
    .innerJoin(user, eq(user.id, member.userId))
    .where(and(eq(member.id, memberId), eq(member.organizationId, caller.organizationId)))
    .limit(1);
  if (!row) throw notFound('Member');
  return row;
}

/** Only owners change roles, and the owner's own role never changes (there is always an owner). */
export async function updateMemberRole(db: Db, caller: OrgCaller, memberId: string, role: 'admin' | 'member'): Promise<MemberView> {
  if (caller.role !== 'owner') throw forbidden('owner_only', 'Only the owner can change roles');
  const target = await findMember(db, caller, memberId);
  if (target.role === 'owner') throw forbidden('owner_role_fixed', "The owner's role cannot be changed");
  return db.transaction(async (tx) => {
    await tx.update(member).set({ role }).where(and(eq(member.id, memberId), eq(member.organizationId, caller.organizationId)));
    await enqueue(tx, 'org.event', { organizationId: caller.organizationId, type: 'member.role_changed', data: { memberId, role } }, caller.organizationId);
    return { ...target, role, createdAt: target.createdAt.toISOString() };
  });
}

/** Owners remove anyone but themselves; admins remove members. Removed members' sessions leave the organisation. */
export async function removeMember(db: Db, caller: OrgCaller, memberId: string): Promise<void> {
  const target = await findMember(db, caller, memberId);
  if (target.role === 'owner') throw forbidden('cannot_remove_owner', 'The owner cannot be removed');
  if (caller.role === 'admin' && target.role !== 'member') throw forbidden('owner_only', 'Only the owner can remove an admin');
  if (caller.role === 'member') throw forbidden('insufficient_role', 'Only owners and admins can remove members');
  await db.transaction(async (tx) => {
    await tx.delete(member).where(and(eq(member.id, memberId), eq(member.organizationId, caller.organizationId)));
    await tx
      .update(session)
      .set({ activeOrganizationId: null })
      .where(and(eq(session.userId, target.userId), eq(session.activeOrganizationId, caller.organizationId)));
    await enqueue(tx, 'org.event', { organizationId: caller.organizationId, type: 'member.removed', data: { memberId, userId: target.userId } }, caller.organizationId);
  });
}
