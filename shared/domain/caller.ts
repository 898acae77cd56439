import type { Role } from '../contracts/route';

/** Who is calling, as established by the edge from a session cookie, a bearer session token or an API key. */
export interface Caller {
  userId: string;
  email: string;
  name: string;
  emailVerified: boolean;
  /** The better-auth session (absent for API keys). */
  sessionId: string | null;
  activeOrganizationId: string | null;
  via: 'session' | 'apiKey';
  /** For API keys: the organisation the key was created in. */
  apiKeyOrganizationId?: string | null;
  impersonatedBy: string | null;
}

/** A caller acting in one organisation whose membership was just verified. */
export interface OrgCaller extends Caller {
  organizationId: string;
  role: Role;
}
