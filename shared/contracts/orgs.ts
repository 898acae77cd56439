import * as z from 'zod';
import { Id, IsoDate, Ok, route } from './route';

export const RoleSchema = z.enum(['owner', 'admin', 'member']);
export const InvitableRole = z.enum(['admin', 'member']);
export const InvitationStatus = z.enum(['pending', 'accepted', 'rejected', 'revoked', 'expired']);

const slug = z
  .string()
  .min(2)
  .max(48)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lowercase letters, digits and single dashes');
const domain = z
  .string()
  .min(3)
  .max(253)
  .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a domain such as example.com');
const email = z.email().max(254).transform((e) => e.toLowerCase());

export const Organization = z.object({
  id: Id,
  name: z.string(),
  slug: z.string(),
  role: RoleSchema,
  active: z.boolean(),
  allowedDomains: z.array(z.string()),
  onboardingComplete: z.boolean(),
  createdAt: IsoDate,
});

export const Member = z.object({
  id: Id,
  userId: Id,
  name: z.string(),
  email: z.string(),
  role: RoleSchema,
  createdAt: IsoDate,
});

export const Invitation = z.object({
  id: Id,
  email: z.string(),
  role: RoleSchema,
  status: InvitationStatus,
  expiresAt: IsoDate,
  createdAt: IsoDate,
  inviterName: z.string().nullable(),
});

export const PublicInvitation = z.object({
  id: Id,
  organizationName: z.string(),
  inviterName: z.string().nullable(),
  email: z.string(),
  role: RoleSchema,
  status: InvitationStatus,
  expiresAt: IsoDate,
});

export const ApiKey = z.object({
  id: Id,
  name: z.string().nullable(),
  start: z.string().nullable(),
  createdAt: IsoDate,
  expiresAt: IsoDate.nullable(),
  lastUsedAt: IsoDate.nullable(),
});

export const Me = z.object({
  user: z.object({ id: Id, name: z.string(), email: z.string(), emailVerified: z.boolean() }),
  activeOrganizationId: Id.nullable(),
  isSuperAdmin: z.boolean(),
  impersonatedBy: Id.nullable(),
});

export const DomainSuggestion = z.object({ id: Id, name: z.string(), slug: z.string(), memberCount: z.number().int() });

export const Onboarding = z.object({
  hasOrg: z.boolean(),
  onboardingComplete: z.boolean(),
  activeOrganizationId: Id.nullable(),
  suggestions: z.array(DomainSuggestion),
  pendingInvitations: z.array(PublicInvitation),
});

const memberIdParams = z.object({ memberId: Id }).strict();
const invitationIdParams = z.object({ invitationId: Id }).strict();
const orgIdParams = z.object({ orgId: Id }).strict();

export const orgRoutes = {
  me: route({ method: 'GET', path: '/api/me', summary: 'The signed-in user', access: 'user', response: Me }),
  listOrgs: route({
    method: 'GET',
    path: '/api/orgs',
    summary: "The caller's organisations",
    access: 'user',
    response: z.object({ organizations: z.array(Organization) }),
  }),
  createOrg: route({
    method: 'POST',
    path: '/api/orgs',
    summary: 'Create an organisation; the caller becomes its owner and it becomes active',
    access: 'user',
    status: 201,
    body: z.object({ name: z.string().trim().min(1).max(80), slug: slug.optional() }).strict(),
    response: Organization,
  }),
  activateOrg: route({
    method: 'POST',
    path: '/api/orgs/{orgId}/activate',
    summary: 'Switch the active organisation of this session',
    access: 'user',
    params: orgIdParams,
    response: Organization,
  }),
  joinOrg: route({
    method: 'POST',
    path: '/api/orgs/{orgId}/join',
    summary: "Join an organisation offered because it allows the caller's email domain",
    access: 'user',
    params: orgIdParams,
    response: Organization,
  }),
  getOrg: route({ method: 'GET', path: '/api/org', summary: 'The active organisation', access: 'org', response: Organization }),
  updateOrg: route({
    method: 'PATCH',
    path: '/api/org',
    summary: 'Rename the active organisation or set its allowed email domains',
    access: 'org',
    roles: ['owner', 'admin'],
    body: z
      .object({ name: z.string().trim().min(1).max(80).optional(), allowedDomains: z.array(domain).max(20).optional() })
      .strict(),
    response: Organization,
  }),
  listMembers: route({
    method: 'GET',
    path: '/api/org/members',
    summary: 'Members of the active organisation',
    access: 'org',
    response: z.object({ members: z.array(Member) }),
  }),
  updateMember: route({
    method: 'PATCH',
    path: '/api/org/members/{memberId}',
    summary: "Change a member's role (owners only; the owner's role cannot change)",
    access: 'org',
    roles: ['owner'],
    params: memberIdParams,
    body: z.object({ role: InvitableRole }).strict(),
    response: Member,
  }),
  removeMember: route({
    method: 'DELETE',
    path: '/api/org/members/{memberId}',
    summary: 'Remove a member (owners and admins; never the owner)',
    access: 'org',
    roles: ['owner', 'admin'],
    params: memberIdParams,
    response: Ok,
  }),
  listInvitations: route({
    method: 'GET',
    path: '/api/org/invitations',
    summary: 'Invitations of the active organisation',
    access: 'org',
    query: z.object({ status: InvitationStatus.optional() }).strict(),
    response: z.object({ invitations: z.array(Invitation) }),
  }),
  invite: route({
    method: 'POST',
    path: '/api/org/invitations',
    summary: 'Invite someone by email; the invitation email is sent through the outbox',
    access: 'org',
    roles: ['owner', 'admin'],
    status: 201,
    body: z.object({ email, role: InvitableRole.default('member') }).strict(),
    response: Invitation,
  }),
  revokeInvitation: route({
    method: 'DELETE',
    path: '/api/org/invitations/{invitationId}',
    summary: 'Revoke a pending invitation',
    access: 'org',
    roles: ['owner', 'admin'],
    params: invitationIdParams,
    response: Invitation,
  }),
  getInvitation: route({
    method: 'GET',
    path: '/api/invitations/{invitationId}',
    summary: 'What an invitation link shows before accepting',
    access: 'public',
    params: invitationIdParams,
    response: PublicInvitation,
  }),
  acceptInvitation: route({
    method: 'POST',
    path: '/api/invitations/{invitationId}/accept',
    summary: "Accept an invitation addressed to the caller's email; its organisation becomes active",
    access: 'user',
    params: invitationIdParams,
    response: Organization,
  }),
  listApiKeys: route({
    method: 'GET',
    path: '/api/api-keys',
    summary: "The caller's API keys for the active organisation",
    access: 'org',
    response: z.object({ apiKeys: z.array(ApiKey) }),
  }),
  createApiKey: route({
    method: 'POST',
    path: '/api/api-keys',
    summary: 'Create an API key acting as the caller in the active organisation; the key is shown once',
    access: 'org',
    status: 201,
    body: z
      .object({
        name: z.string().trim().min(1).max(64),
        expiresInDays: z.number().int().min(1).max(365).optional(),
      })
      .strict(),
    response: ApiKey.extend({ key: z.string() }),
  }),
  revokeApiKey: route({
    method: 'DELETE',
    path: '/api/api-keys/{keyId}',
    summary: 'Revoke an API key',
    access: 'org',
    params: z.object({ keyId: Id }).strict(),
    response: Ok,
  }),
  onboarding: route({
    method: 'GET',
    path: '/api/onboarding',
    summary: 'Onboarding state: organisations, domain suggestions, pending invitations',
    access: 'user',
    response: Onboarding,
  }),
  completeOnboarding: route({
    method: 'POST',
    path: '/api/onboarding/complete',
    summary: 'Mark onboarding of the active organisation complete',
    access: 'org',
    response: Onboarding,
  }),
};
