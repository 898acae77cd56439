import type { ApiKey, Configuration, Invitation, Me, Member, Organization, PublicInvitation, Repo, Secret, SessionView } from '../app/api/types';

const created = '2026-11-01T10:00:00.000Z';

export function org(overrides: Partial<Organization> = {}): Organization {
  return {
    id: 'org_1',
    name: 'Acme',
    slug: 'acme',
    role: 'owner',
    active: true,
    allowedDomains: [],
    onboardingComplete: true,
    createdAt: created,
    ...overrides,
  };
}

export function me(overrides: Partial<Me> = {}): Me {
  return {
    user: { id: 'user_1', name: 'Ada Lovelace', email: 'ada@acme.test', emailVerified: true },
    activeOrganizationId: 'org_1',
    isSuperAdmin: false,
    impersonatedBy: null,
    ...overrides,
  };
}

export function member(overrides: Partial<Member> = {}): Member {
  return { id: 'mem_1', userId: 'user_1', name: 'Ada Lovelace', email: 'ada@acme.test', role: 'owner', createdAt: created, ...overrides };
}

export function invitation(overrides: Partial<Invitation> = {}): Invitation {
  return {
    id: 'inv_1',
    email: 'grace@acme.test',
    role: 'member',
    status: 'pending',
    expiresAt: '2099-01-01T00:00:00.000Z',
    createdAt: created,
    inviterName: 'Ada Lovelace',
    ...overrides,
  };
}

export function publicInvitation(overrides: Partial<PublicInvitation> = {}): PublicInvitation {
  return {
    id: 'inv_1',
    organizationName: 'Acme',
    inviterName: 'Ada Lovelace',
    email: 'grace@acme.test',
    role: 'admin',
    status: 'pending',
    expiresAt: '2099-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export function apiKey(overrides: Partial<ApiKey> = {}): ApiKey {
  return { id: 'key_1', name: 'laptop', start: 'pk_ab', createdAt: created, expiresAt: null, lastUsedAt: null, ...overrides };
}

/** Our error envelope, as the server sends it. */
export function errorBody(code: string, message: string, fields?: { field: string; message: string }[]) {
  return { error: { code, message, ...(fields ? { fields } : {}), requestId: 'req_test' } };
}

export function sessionView(overrides: Partial<SessionView> = {}): SessionView {
  return {
    id: 'ses_1',
    title: 'Fix the login bug',
    status: 'running',
    displayStatus: 'active',
    pauseReason: null,
    sessionType: 'coding',
    clientType: 'web',
    configuration: { id: 'cfg_1', name: 'web app' },
    createdBy: { id: 'user_1', name: 'Ada Lovelace' },
    sandboxProvider: 'local',
    metrics: { toolCalls: 3, messagesExchanged: 4, activeSeconds: 200 },
    latestTask: 'Run the tests',
    outcome: null,
    prUrls: [],
    lastError: null,
    runningSince: null,
    eventSeq: 12,
    createdAt: created,
    lastActivityAt: created,
    ...overrides,
  };
}

export function repo(overrides: Partial<Repo> = {}): Repo {
  return {
    id: 'repo_1',
    name: 'acme/web',
    source: 'git',
    url: 'https://github.com/acme/web.git',
    defaultBranch: 'main',
    addedBy: 'user_1',
    createdAt: created,
    updatedAt: created,
    ...overrides,
  };
}

export function configuration(overrides: Partial<Configuration> = {}): Configuration {
  return {
    id: 'cfg_1',
    name: 'web app',
    notes: null,
    status: 'default',
    error: null,
    sandboxProvider: 'local',
    snapshotId: 'snap_1',
    snapshotVersionKey: 'v1',
    agentCommand: null,
    serviceCommands: [],
    envFiles: [],
    repos: [{ repoId: 'repo_1', name: 'acme/web', source: 'git', url: 'https://github.com/acme/web.git', defaultBranch: 'main', workspacePath: '.' }],
    createdBy: 'user_1',
    createdAt: created,
    updatedAt: created,
    ...overrides,
  };
}

export function secret(overrides: Partial<Secret> = {}): Secret {
  return {
    id: 'sec_1',
    key: 'API_TOKEN',
    description: null,
    scope: 'organization',
    repoId: null,
    configurationId: null,
    createdBy: { id: 'user_1', name: 'Ada Lovelace' },
    createdAt: created,
    updatedAt: created,
    ...overrides,
  };
}
