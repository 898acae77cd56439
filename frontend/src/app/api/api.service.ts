import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, catchError, throwError } from 'rxjs';
import { toApiError } from './api-error';
import type {
  AddRepoBody,
  AddRepoReply,
  AdminOrganization,
  AdminStatus,
  AdminUser,
  ApiKey,
  BuildReply,
  Configuration,
  CreateConfigurationBody,
  CreateSecretBody,
  CreateSessionBody,
  CreatedApiKey,
  DevMail,
  Health,
  ImportSecretsBody,
  ImportSecretsReply,
  InvitableRole,
  Invitation,
  InvitationStatus,
  ListQuery,
  Me,
  Member,
  Ok,
  Onboarding,
  Organization,
  Page,
  PublicInvitation,
  Repo,
  Secret,
  SessionListQuery,
  SessionPage,
  SessionStatusReply,
  SessionView,
  SubmitEnvBody,
  SubmitEnvReply,
  UpdateConfigurationBody,
} from './types';

/** Proliferate's own routes under `/api` (better-auth's live in `AuthApi`). Errors arrive as `ApiError`. */
@Injectable({ providedIn: 'root' })
export class Api {
  private readonly http = inject(HttpClient);

  private get<T>(path: string, params?: Record<string, string | number | undefined>): Observable<T> {
    return this.http.get<T>(path, { params: toParams(params) }).pipe(catchError((e) => throwError(() => toApiError(e))));
  }

  private send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Observable<T> {
    return this.http
      .request<T>(method, path, { body: body ?? (method === 'DELETE' ? undefined : {}) })
      .pipe(catchError((e) => throwError(() => toApiError(e))));
  }

  // meta
  health(): Observable<Health> {
    return this.get('/api/health');
  }

  // the caller and their organisations
  me(): Observable<Me> {
    return this.get('/api/me');
  }
  listOrgs(): Observable<{ organizations: Organization[] }> {
    return this.get('/api/orgs');
  }
  createOrg(body: { name: string; slug?: string }): Observable<Organization> {
    return this.send('POST', '/api/orgs', body);
  }
  activateOrg(orgId: string): Observable<Organization> {
    return this.send('POST', `/api/orgs/${enc(orgId)}/activate`);
  }
  joinOrg(orgId: string): Observable<Organization> {
    return this.send('POST', `/api/orgs/${enc(orgId)}/join`);
  }

  // the active organisation
  getOrg(): Observable<Organization> {
    return this.get('/api/org');
  }
  updateOrg(body: { name?: string; allowedDomains?: string[] }): Observable<Organization> {
    return this.send('PATCH', '/api/org', body);
  }
  listMembers(): Observable<{ members: Member[] }> {
    return this.get('/api/org/members');
  }
  updateMember(memberId: string, role: InvitableRole): Observable<Member> {
    return this.send('PATCH', `/api/org/members/${enc(memberId)}`, { role });
  }
  removeMember(memberId: string): Observable<Ok> {
    return this.send('DELETE', `/api/org/members/${enc(memberId)}`);
  }
  listInvitations(status?: InvitationStatus): Observable<{ invitations: Invitation[] }> {
    return this.get('/api/org/invitations', { status });
  }
  invite(body: { email: string; role: InvitableRole }): Observable<Invitation> {
    return this.send('POST', '/api/org/invitations', body);
  }
  revokeInvitation(invitationId: string): Observable<Invitation> {
    return this.send('DELETE', `/api/org/invitations/${enc(invitationId)}`);
  }

  // invitation links
  getInvitation(invitationId: string): Observable<PublicInvitation> {
    return this.get(`/api/invitations/${enc(invitationId)}`);
  }
  acceptInvitation(invitationId: string): Observable<Organization> {
    return this.send('POST', `/api/invitations/${enc(invitationId)}/accept`);
  }

  // API keys
  listApiKeys(): Observable<{ apiKeys: ApiKey[] }> {
    return this.get('/api/api-keys');
  }
  createApiKey(body: { name: string; expiresInDays?: number }): Observable<CreatedApiKey> {
    return this.send('POST', '/api/api-keys', body);
  }
  revokeApiKey(keyId: string): Observable<Ok> {
    return this.send('DELETE', `/api/api-keys/${enc(keyId)}`);
  }

  // onboarding
  onboarding(): Observable<Onboarding> {
    return this.get('/api/onboarding');
  }
  completeOnboarding(): Observable<Onboarding> {
    return this.send('POST', '/api/onboarding/complete');
  }

  // super-admins
  adminStatus(): Observable<AdminStatus> {
    return this.get('/api/admin/status');
  }
  adminUsers(page: Page = {}): Observable<{ users: AdminUser[]; total: number }> {
    return this.get('/api/admin/users', { ...page });
  }
  adminOrganizations(page: Page = {}): Observable<{ organizations: AdminOrganization[]; total: number }> {
    return this.get('/api/admin/organizations', { ...page });
  }
  impersonate(userId: string): Observable<Ok> {
    return this.send('POST', '/api/admin/impersonate', { userId });
  }
  stopImpersonating(): Observable<Ok> {
    return this.send('POST', '/api/admin/stop-impersonating');
  }

  // sessions (the live stream of a session travels over `/ws`: see `sessions/session-live.service.ts`)
  listSessions(query: SessionListQuery = {}): Observable<SessionPage> {
    return this.get('/api/sessions', { ...query });
  }
  createSession(body: CreateSessionBody): Observable<SessionView> {
    return this.send('POST', '/api/sessions', body);
  }
  getSession(sessionId: string): Observable<SessionView> {
    return this.get(`/api/sessions/${enc(sessionId)}`);
  }
  renameSession(sessionId: string, title: string): Observable<SessionView> {
    return this.send('PATCH', `/api/sessions/${enc(sessionId)}`, { title });
  }
  deleteSession(sessionId: string): Observable<Ok> {
    return this.send('DELETE', `/api/sessions/${enc(sessionId)}`);
  }
  /** Pause, resume and snapshot answer 202 at once; the change itself arrives as status events. */
  sessionCommand(sessionId: string, command: 'pause' | 'resume' | 'snapshot'): Observable<SessionView> {
    return this.send('POST', `/api/sessions/${enc(sessionId)}/${command}`);
  }
  sessionStatus(sessionId: string): Observable<SessionStatusReply> {
    return this.get(`/api/sessions/${enc(sessionId)}/status`);
  }
  /** With the same `clientMessageId`, a retried send is answered with the first message (`duplicate`) and changes nothing. */
  sendMessage(sessionId: string, content: string, clientMessageId?: string): Observable<{ messageId: string; started: boolean; duplicate: boolean }> {
    return this.send('POST', `/api/sessions/${enc(sessionId)}/message`, { content, ...(clientMessageId ? { clientMessageId } : {}) });
  }
  cancelTurn(sessionId: string): Observable<Ok> {
    return this.send('POST', `/api/sessions/${enc(sessionId)}/cancel`);
  }
  /** The raw event page; parse it with `parseEventPage` (the events are outside data). */
  sessionEvents(sessionId: string, query: { after?: number; limit?: number } = {}): Observable<unknown> {
    return this.get(`/api/sessions/${enc(sessionId)}/events`, { ...query });
  }

  // repos and configurations (`shared/contracts/repos.ts`)
  listRepos(query: ListQuery = {}): Observable<{ repos: Repo[]; total: number; nextOffset: number | null }> {
    return this.get('/api/repos', { ...query });
  }
  addRepo(body: AddRepoBody): Observable<AddRepoReply> {
    return this.send('POST', '/api/repos', body);
  }
  deleteRepo(repoId: string): Observable<Ok> {
    return this.send('DELETE', `/api/repos/${enc(repoId)}`);
  }
  listConfigurations(query: ListQuery = {}): Observable<{ configurations: Configuration[]; total: number; nextOffset: number | null }> {
    return this.get('/api/configurations', { ...query });
  }
  getConfiguration(configurationId: string): Observable<Configuration> {
    return this.get(`/api/configurations/${enc(configurationId)}`);
  }
  createConfiguration(body: CreateConfigurationBody): Observable<Configuration> {
    return this.send('POST', '/api/configurations', body);
  }
  updateConfiguration(configurationId: string, body: UpdateConfigurationBody): Observable<Configuration> {
    return this.send('PATCH', `/api/configurations/${enc(configurationId)}`, body);
  }
  deleteConfiguration(configurationId: string): Observable<Ok> {
    return this.send('DELETE', `/api/configurations/${enc(configurationId)}`);
  }
  buildConfiguration(configurationId: string): Observable<BuildReply> {
    return this.send('POST', `/api/configurations/${enc(configurationId)}/build`);
  }

  // secrets (`shared/contracts/secrets.ts`): replies carry keys and scopes, never values
  listSecrets(query: ListQuery = {}): Observable<{ secrets: Secret[]; total: number; nextOffset: number | null }> {
    return this.get('/api/secrets', { ...query });
  }
  createSecret(body: CreateSecretBody): Observable<Secret> {
    return this.send('POST', '/api/secrets', body);
  }
  deleteSecret(secretId: string): Observable<Ok> {
    return this.send('DELETE', `/api/secrets/${enc(secretId)}`);
  }
  importSecrets(body: ImportSecretsBody): Observable<ImportSecretsReply> {
    return this.send('POST', '/api/secrets/import', body);
  }
  checkSecrets(body: { keys: string[]; repoId?: string; configurationId?: string }): Observable<{ keys: { key: string; exists: boolean }[] }> {
    return this.send('POST', '/api/secrets/check', body);
  }
  /** Gives the running session's sandbox env values; those marked `persist` are also saved as secrets. */
  submitEnv(sessionId: string, body: SubmitEnvBody): Observable<SubmitEnvReply> {
    return this.send('POST', `/api/sessions/${enc(sessionId)}/env`, body);
  }

  // the dev mailbox (local runtime only)
  devMail(query: { to?: string; limit?: number } = {}): Observable<{ messages: DevMail[] }> {
    return this.get('/api/dev/mail', query);
  }
  devMailMessage(mailId: string): Observable<DevMail> {
    return this.get(`/api/dev/mail/${enc(mailId)}`);
  }
}

function enc(id: string): string {
  return encodeURIComponent(id);
}

/** Drops empty values so `?q=` is never sent. */
function toParams(values?: Record<string, string | number | undefined>): HttpParams {
  let params = new HttpParams();
  for (const [key, value] of Object.entries(values ?? {})) {
    if (value === undefined || value === '') continue;
    params = params.set(key, String(value));
  }
  return params;
}
