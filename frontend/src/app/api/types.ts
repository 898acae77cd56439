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

// ---------------------------------------------------------------------------------------------------------------
// Sessions (`shared/contracts/sessions.ts`). The realtime protocol lives in `session-events.ts`.

export type SessionStatus = 'pending' | 'starting' | 'running' | 'migrating' | 'paused' | 'stopped' | 'failed';
export type DisplayStatus = 'active' | 'idle' | 'recovering' | 'blocked' | 'paused' | 'completed' | 'failed';
export type SessionType = 'coding' | 'setup';

export interface SessionMetrics {
  toolCalls: number;
  messagesExchanged: number;
  activeSeconds: number;
}

export interface SessionView {
  id: string;
  title: string | null;
  status: SessionStatus;
  displayStatus: DisplayStatus;
  pauseReason: string | null;
  sessionType: string;
  clientType: string;
  configuration: { id: string; name: string } | null;
  createdBy: { id: string; name: string } | null;
  sandboxProvider: string;
  metrics: SessionMetrics;
  /** While running: since when; the active time shown adds the current stretch to `metrics.activeSeconds`. */
  runningSince: string | null;
  latestTask: string | null;
  outcome: string | null;
  prUrls: string[];
  lastError: string | null;
  eventSeq: number;
  createdAt: string;
  lastActivityAt: string;
}

export interface SessionPage {
  sessions: SessionView[];
  /** Pass as `before` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface SessionListQuery {
  status?: SessionStatus;
  configurationId?: string;
  limit?: number;
  before?: string;
}

export interface CreateSessionBody {
  configurationId?: string | null;
  title?: string;
  initialPrompt?: string;
  sessionType: SessionType;
  sandboxMode: 'deferred' | 'immediate';
}

export interface SessionStatusReply {
  status: SessionStatus;
  displayStatus: DisplayStatus;
  pauseReason: string | null;
  lastError: string | null;
  eventSeq: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Repos and configurations (`shared/contracts/repos.ts`).

export type RepoSource = 'git' | 'local';

export interface Repo {
  id: string;
  name: string;
  source: RepoSource;
  /** The clone URL, or the path on the machine for a local repo. */
  url: string;
  defaultBranch: string;
  addedBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AddRepoBody {
  url?: string;
  path?: string;
  name?: string;
  defaultBranch?: string;
  /** A new repo gets a single-repo configuration unless this is false. */
  createConfiguration?: boolean;
}

/** 201 when added; 200 with `created: false` (and no configuration) when the URL was already there. */
export interface AddRepoReply {
  repo: Repo;
  created: boolean;
  configuration: Configuration | null;
}

/** A page of a list that takes `q`, `limit` and `offset`. */
export interface ListQuery {
  q?: string;
  limit?: number;
  offset?: number;
}

export type ConfigurationStatus = 'building' | 'default' | 'ready' | 'failed';

export interface ServiceCommand {
  name: string;
  command: string;
  cwd?: string;
  workspacePath?: string;
}

export interface EnvFileKey {
  key: string;
  required: boolean;
}

export interface EnvFileSpec {
  path: string;
  workspacePath: string;
  format: 'dotenv';
  mode: 'secret';
  keys: EnvFileKey[];
}

export interface ConfigurationRepo {
  repoId: string;
  name: string;
  source: RepoSource;
  url: string;
  defaultBranch: string;
  workspacePath: string;
}

export interface Configuration {
  id: string;
  name: string;
  notes: string | null;
  status: ConfigurationStatus;
  error: string | null;
  sandboxProvider: string;
  snapshotId: string | null;
  snapshotVersionKey: string | null;
  agentCommand: string | null;
  serviceCommands: ServiceCommand[];
  envFiles: EnvFileSpec[];
  repos: ConfigurationRepo[];
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface CreateConfigurationBody {
  name?: string;
  notes?: string;
  repos: { repoId: string; workspacePath?: string }[];
}

export interface UpdateConfigurationBody {
  name?: string;
  notes?: string | null;
  agentCommand?: string | null;
  serviceCommands?: ServiceCommand[];
  envFiles?: EnvFileSpec[];
}

export interface BuildReply {
  /** False when a build was already running (asking again starts nothing). */
  started: boolean;
  executionName: string | null;
  configuration: Configuration;
}

// ---- secrets (`shared/contracts/secrets.ts`): values go in and never come back ----------------------------------

export type SecretScope = 'organization' | 'repo' | 'configuration';

export interface Secret {
  id: string;
  key: string;
  description: string | null;
  scope: SecretScope;
  repoId: string | null;
  configurationId: string | null;
  createdBy: { id: string; name: string } | null;
  createdAt: string;
  updatedAt: string;
}

export interface SecretScopeInput {
  repoId?: string;
  configurationId?: string;
}

export interface CreateSecretBody extends SecretScopeInput {
  key: string;
  value: string;
  description?: string;
}

export interface ImportSecretsBody extends SecretScopeInput {
  envText: string;
  description?: string;
}

export interface ImportSecretsReply {
  created: string[];
  skipped: string[];
}

export interface SubmitEnvBody {
  secrets: { key: string; value: string; persist?: boolean }[];
  saveToConfiguration?: boolean;
}

export interface SubmitEnvReply {
  submitted: true;
  results: { key: string; persisted: boolean; alreadyExisted: boolean }[];
  delivery: { written: string[]; missing: string[]; deferred: boolean };
}
