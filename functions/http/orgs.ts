import { orgRoutes as r } from '../../shared/contracts/orgs';
import { bind, httpApi } from '../../shared/http/api';
import { isSuperAdmin } from '../../shared/domain/admin/super-admins';
import * as orgs from '../../shared/domain/orgs/organizations';
import * as members from '../../shared/domain/orgs/members';
import * as invitations from '../../shared/domain/orgs/invitations';
import * as apiKeys from '../../shared/domain/orgs/api-keys';
import * as onboarding from '../../shared/domain/orgs/onboarding';
import { issueApiKey } from '../../shared/auth/api-keys';
import type { Container } from '../../shared/runtime/container';

const inviteDeps = (c: Container) => ({ db: c.db, clock: c.clock, publicUrl: c.config.publicUrl, ttlHours: c.config.INVITATION_TTL_HOURS });
/** After a write that queued outbox rows, nudge the dispatcher so mail and events go out now, not on its next tick. */
const written = (c: Container) => async <T>(value: T): Promise<T> => {
  await c.outboxWritten();
  return value;
};

export const handler = httpApi('orgs', [
  bind(r.me, async ({ caller, c }) => ({
    user: { id: caller.userId, name: caller.name, email: caller.email, emailVerified: caller.emailVerified },
    activeOrganizationId: caller.via === 'apiKey' ? (caller.apiKeyOrganizationId ?? null) : caller.activeOrganizationId,
    isSuperAdmin: await isSuperAdmin(c.db, caller, c.config.SUPER_ADMIN_EMAILS),
    impersonatedBy: caller.impersonatedBy,
  })),
  bind(r.listOrgs, async ({ caller, c }) => ({ organizations: await orgs.listOrganizations(c.db, caller) })),
  bind(r.createOrg, ({ caller, c, body }) => orgs.createOrganization(c.db, caller, body)),
  bind(r.activateOrg, ({ caller, c, params }) => orgs.activateOrganization(c.db, caller, params.orgId)),
  bind(r.joinOrg, ({ caller, c, params }) => orgs.joinByDomain(c.db, caller, params.orgId).then(written(c))),
  bind(r.getOrg, ({ org, c }) => orgs.getOrganization(c.db, org)),
  bind(r.updateOrg, ({ org, c, body }) => orgs.updateOrganization(c.db, org, body).then(written(c))),
  bind(r.listMembers, async ({ org, c }) => ({ members: await members.listMembers(c.db, org) })),
  bind(r.updateMember, ({ org, c, params, body }) => members.updateMemberRole(c.db, org, params.memberId, body.role).then(written(c))),
  bind(r.removeMember, async ({ org, c, params }) => {
    await members.removeMember(c.db, org, params.memberId);
    return written(c)({ ok: true as const });
  }),
  bind(r.listInvitations, async ({ org, c, query }) => ({ invitations: await invitations.listInvitations(c, org, query.status) })),
  bind(r.invite, ({ org, c, body }) => invitations.invite(inviteDeps(c), org, body).then(written(c))),
  bind(r.revokeInvitation, ({ org, c, params }) => invitations.revokeInvitation(c, org, params.invitationId).then(written(c))),
  bind(r.getInvitation, ({ c, params }) => invitations.getPublicInvitation(c, params.invitationId)),
  bind(r.acceptInvitation, ({ caller, c, params }) => invitations.acceptInvitation(c, caller, params.invitationId).then(written(c))),
  bind(r.listApiKeys, async ({ org, c }) => ({ apiKeys: await apiKeys.listApiKeys(c.db, org) })),
  bind(r.createApiKey, ({ org, c, body }) => apiKeys.createApiKey({ db: c.db, issue: issueApiKey(c.auth) }, org, body)),
  bind(r.revokeApiKey, async ({ org, c, params }) => {
    await apiKeys.revokeApiKey(c.db, org, params.keyId);
    return { ok: true as const };
  }),
  bind(r.onboarding, ({ caller, c }) => onboarding.onboardingStatus(c, caller)),
  bind(r.completeOnboarding, ({ org, c }) => onboarding.completeOnboarding(c, org)),
]);
