import { and, eq, notExists, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { member, organization } from '../../db/schema';
import type { Clock } from '../../ports';
import type { Caller, OrgCaller } from '../caller';
import { invitationsFor, type PublicInvitationView } from './invitations';
import { emailDomain } from './organizations';

export interface OnboardingView {
  hasOrg: boolean;
  onboardingComplete: boolean;
  activeOrganizationId: string | null;
  suggestions: { id: string; name: string; slug: string; memberCount: number }[];
  pendingInvitations: PublicInvitationView[];
}

/** Organisations that allow the caller's email domain and that the caller has not joined. Verified emails only. */
export async function domainSuggestions(db: Db, caller: Caller) {
  if (!caller.emailVerified) return [];
  const domain = emailDomain(caller.email);
  const mine = db
    .select({ one: sql`1` })
    .from(member)
    .where(and(eq(member.organizationId, organization.id), eq(member.userId, caller.userId)));
  return db
    .select({
      id: organization.id,
      name: organization.name,
      slug: organization.slug,
      memberCount: sql<number>`(select count(*)::int from "member" m where m.organization_id = "organization"."id")`,
    })
    .from(organization)
    .where(and(sql`${domain} = any(${organization.allowedDomains})`, notExists(mine)))
    .orderBy(organization.name)
    .limit(20);
}

export async function onboardingStatus(deps: { db: Db; clock: Clock }, caller: Caller): Promise<OnboardingView> {
  const memberships = await deps.db
    .select({ id: organization.id, complete: organization.onboardingComplete })
    .from(member)
    .innerJoin(organization, eq(organization.id, member.organizationId))
    .where(eq(member.userId, caller.userId));
  const active = memberships.find((m) => m.id === caller.activeOrganizationId) ?? null;
  return {
    hasOrg: memberships.length > 0,
    // Someone who finished onboarding in one organisation is not sent through it again for another.
    onboardingComplete: memberships.some((m) => m.complete),
    activeOrganizationId: active?.id ?? null,
    suggestions: await domainSuggestions(deps.db, caller),
    pendingInvitations: await invitationsFor(deps, caller),
  };
}

export async function completeOnboarding(deps: { db: Db; clock: Clock }, caller: OrgCaller): Promise<OnboardingView> {
  await deps.db.update(organization).set({ onboardingComplete: true }).where(eq(organization.id, caller.organizationId));
  return onboardingStatus(deps, caller);
}
