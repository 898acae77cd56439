/**
 * Reply and request shapes of the API, mirrored by hand from `shared/contracts/*.ts` (the zod schemas are the
 * source of truth). The dashboard keeps its own copy so its build never depends on backend modules.
 */

export type Role = 'owner' | 'admin' | 'member';
export type InvitableRole = Exclude<Role, 'owner'>;
export type InvitationStatus = 'pending' | 'accepted' | 'rejected' | 'revoked' | 'expired';

export interface Organization {
  id: string;
  name: string;
  slug: string;
  role: Role;
  active: boolean;
  allowedDomains: string[];
  onboardingComplete: boolean;
  createdAt: string;
}

export interface Member {
  id: string;
  userId: string;
  name: string;
  email: string;
  role: Role;
  createdAt: string;
}

export interface Invitation {
  id: string;
  email: string;
  role: Role;
  status: InvitationStatus;
  expiresAt: string;
  createdAt: string;
  inviterName: string | null;
}

export interface PublicInvitation {
  id: string;
  organizationName: string;
  inviterName: string | null;
  email: string;
  role: Role;
  status: InvitationStatus;
  expiresAt: string;
}

export interface ApiKey {
  id: string;
  name: string | null;
  start: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

export interface CreatedApiKey extends ApiKey {
  /** The secret; the API returns it only in the reply that creates the key. */
  key: string;
}

export interface Me {
  user: { id: string; name: string; email: string; emailVerified: boolean };
  activeOrganizationId: string | null;
  isSuperAdmin: boolean;
  impersonatedBy: string | null;
}

export interface DomainSuggestion {
  id: string;
  name: string;
  slug: string;
  memberCount: number;
}

export interface Onboarding {
  hasOrg: boolean;
  onboardingComplete: boolean;
  activeOrganizationId: string | null;
  suggestions: DomainSuggestion[];
  pendingInvitations: PublicInvitation[];
}

export interface AdminStatus {
  isSuperAdmin: boolean;
  impersonating: { userId: string; email: string; realUserId: string } | null;
}

export interface AdminUser {
  id: string;
  name: string;
  email: string;
  emailVerified: boolean;
  isSuperAdmin: boolean;
  organizationCount: number;
  createdAt: string;
}

export interface AdminOrganization {
  id: string;
  name: string;
  slug: string;
  memberCount: number;
  createdAt: string;
}

export interface Page {
  q?: string;
  limit?: number;
  offset?: number;
}

export interface DevMail {
  id: string;
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string | null;
  createdAt: string;
}

export interface Health {
  status: 'ok' | 'degraded';
  version: string;
  runtime: 'local' | 'aws';
  checks: Record<string, { ok: boolean; detail?: string; ms?: number }>;
}

export interface Ok {
  ok: true;
}

/** better-auth's user and session, as `GET /api/auth/get-session` returns them. */
export interface AuthUser {
  id: string;
  name: string;
  email: string;
  emailVerified: boolean;
}

export interface AuthSession {
  session: { id: string; userId: string; expiresAt: string };
  user: AuthUser;
}

export interface SignUpReply {
  token: string | null;
  user: AuthUser;
}

/** Messages the server sends over `/ws` (see `shared/contracts/ws.ts`). */
export type ServerMessage =
  | { type: 'pong'; id?: string }
  | { type: 'hello'; connectionId: string; userId: string | null; organizationId: string | null }
  | { type: 'org.event'; event: string; organizationId: string; data: Record<string, unknown> }
  | { type: 'error'; code: string; message: string };

export type OrgEventMessage = Extract<ServerMessage, { type: 'org.event' }>;
