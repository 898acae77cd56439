import { randomBytes } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Role } from '../../contracts/route';
import type { Db, DbOrTx } from '../../db/client';
import { member, organization, session } from '../../db/schema';
import type { Caller, OrgCaller } from '../caller';
import { conflict, forbidden, notFound } from '../errors';
import { enqueue } from '../outbox/outbox';

export interface OrganizationView {
  id: string;
  name: string;
  slug: string;
  role: Role;
  active: boolean;
  allowedDomains: string[];
  onboardingComplete: boolean;
  createdAt: string;
}

type OrgRow = typeof organization.$inferSelect;

export function toView(org: OrgRow, role: string, activeId: string | null): OrganizationView {
  return {
    id: org.id,
    name: org.name,
    slug: org.slug,
    role: role as Role,
    active: org.id === activeId,
    allowedDomains: org.allowedDomains,
    onboardingComplete: org.onboardingComplete,
    createdAt: org.createdAt.toISOString(),
  };
}

export const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url')}`;

export function slugify(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return base.length >= 2 ? base : 'org';
}

export async function listOrganizations(db: Db, caller: Caller): Promise<OrganizationView[]> {
  const rows = await db
    .select({ org: organization, role: member.role })
    .from(member)
    .innerJoin(organization, eq(organization.id, member.organizationId))
    .where(eq(member.userId, caller.userId))
    .orderBy(asc(member.createdAt), asc(organization.id));
  const active = caller.via === 'apiKey' ? (caller.apiKeyOrganizationId ?? null) : caller.activeOrganizationId;
  return rows.map((r) => toView(r.org, r.role, active));
}

/** Sets the organisation the caller's session acts in. */
export async function setActiveOrganization(tx: DbOrTx, caller: Caller, organizationId: string): Promise<void> {
  if (!caller.sessionId) return;
  await tx.update(session).set({ activeOrganizationId: organizationId }).where(eq(session.id, caller.sessionId));
}

export async function createOrganization(db: Db, caller: Caller, input: { name: string; slug?: string }): Promise<OrganizationView> {
  if (caller.via === 'apiKey') throw forbidden('api_key_not_allowed', 'Create organisations from a signed-in session, not an API key');
  return db.transaction(async (tx) => {
    let slug = input.slug ?? slugify(input.name);
    const taken = await tx.select({ id: organization.id }).from(organization).where(eq(organization.slug, slug)).limit(1);
    if (taken.length > 0) {
      if (input.slug) throw conflict('slug_taken', `The slug "${input.slug}" is already in use`);
      slug = `${slug}-${randomBytes(3).toString('hex')}`;
    }
    const [org] = await tx
      .insert(organization)
      .values({ id: newId('org'), name: input.name, slug, createdAt: new Date() })
      .returning();
    await tx.insert(member).values({ id: newId('mem'), organizationId: org.id, userId: caller.userId, role: 'owner', createdAt: new Date() });
    await setActiveOrganization(tx, caller, org.id);
    return toView(org, 'owner', org.id);
  });
}

export async function membershipOf(db: DbOrTx, userId: string, organizationId: string) {
  const [row] = await db
    .select({ org: organization, role: member.role, memberId: member.id })
    .from(member)
    .innerJoin(organization, eq(organization.id, member.organizationId))
    .where(and(eq(member.userId, userId), eq(member.organizationId, organizationId)))
    .limit(1);
  return row;
}

/** Switches the caller's session to another organisation they belong to; any other id is a 404. */
export async function activateOrganization(db: Db, caller: Caller, organizationId: string): Promise<OrganizationView> {
  if (caller.via === 'apiKey') {
    throw forbidden('api_key_not_allowed', 'An API key acts in the organisation it was created in and cannot switch');
  }
  const membership = await membershipOf(db, caller.userId, organizationId);
  if (!membership) throw notFound('Organization');
  await setActiveOrganization(db, caller, organizationId);
  return toView(membership.org, membership.role, organizationId);
}

export const emailDomain = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

/** Joins an organisation that lists the caller's (verified) email domain among its allowed domains. */
export async function joinByDomain(db: Db, caller: Caller, organizationId: string): Promise<OrganizationView> {
  if (!caller.emailVerified) throw forbidden('email_not_verified', 'Verify your email address first');
  const domain = emailDomain(caller.email);
  return db.transaction(async (tx) => {
    const [org] = await tx
      .select()
      .from(organization)
      .where(and(eq(organization.id, organizationId), sql`${domain} = any(${organization.allowedDomains})`))
      .limit(1);
    if (!org) throw notFound('Organization');
    if (await membershipOf(tx, caller.userId, organizationId)) throw conflict('already_member', 'You are already a member');
    const memberId = newId('mem');
    await tx.insert(member).values({ id: memberId, organizationId, userId: caller.userId, role: 'member', createdAt: new Date() });
    await setActiveOrganization(tx, caller, organizationId);
    await enqueue(tx, 'org.event', { organizationId, type: 'member.joined', data: { memberId, userId: caller.userId, via: 'domain' } }, organizationId);
    return toView(org, 'member', organizationId);
  });
}

export async function getOrganization(db: Db, caller: OrgCaller): Promise<OrganizationView> {
  const membership = await membershipOf(db, caller.userId, caller.organizationId);
  if (!membership) throw notFound('Organization');
  return toView(membership.org, membership.role, caller.organizationId);
}

export async function updateOrganization(
  db: Db,
  caller: OrgCaller,
  input: { name?: string; allowedDomains?: string[] },
): Promise<OrganizationView> {
  return db.transaction(async (tx) => {
    const patch: Partial<typeof organization.$inferInsert> = {};
    if (input.name !== undefined) patch.name = input.name;
    if (input.allowedDomains !== undefined) patch.allowedDomains = [...new Set(input.allowedDomains.map((d) => d.toLowerCase()))];
    const [org] = Object.keys(patch).length
      ? await tx.update(organization).set(patch).where(eq(organization.id, caller.organizationId)).returning()
      : await tx.select().from(organization).where(eq(organization.id, caller.organizationId));
    if (!org) throw notFound('Organization');
    if (Object.keys(patch).length) {
      await enqueue(tx, 'org.event', { organizationId: org.id, type: 'organization.updated', data: { fields: Object.keys(patch) } }, org.id);
    }
    return toView(org, caller.role, caller.organizationId);
  });
}

/**
 * Establishes the organisation a request acts in and re-verifies membership: an API key's own organisation, else an
 * explicit `x-org-id`, else the session's active organisation. The active organisation is only a hint.
 */
export async function resolveOrgCaller(db: Db, caller: Caller, requestedOrgId?: string): Promise<OrgCaller> {
  const organizationId =
    caller.via === 'apiKey' ? caller.apiKeyOrganizationId : (requestedOrgId ?? caller.activeOrganizationId);
  if (!organizationId) {
    throw forbidden('no_active_organization', 'Choose or create an organisation first');
  }
  if (caller.via === 'apiKey' && requestedOrgId && requestedOrgId !== organizationId) {
    throw forbidden('not_a_member', 'This API key belongs to another organisation');
  }
  const membership = await membershipOf(db, caller.userId, organizationId);
  if (!membership) throw forbidden('not_a_member', 'You are not a member of this organisation');
  return { ...caller, organizationId, role: membership.role as Role };
}
