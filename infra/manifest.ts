/**
 * Every function of Proliferate, declared once. The CDK stacks and the embedded runtime both iterate this list,
 * so what runs on one machine is what deploys.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'ANY';

/** An API Gateway HTTP API route: `{name}` is a path parameter, `{proxy+}` a greedy tail. */
export interface HttpRoute {
  method: HttpMethod;
  path: string;
}

/** What a function may touch; the CDK grants exactly these, the runtime wires exactly these. */
export type Access = 'db' | 'queues' | 'sockets' | 'objects' | 'mail' | 'workflows' | 'keys' | 'scheduler' | 'sandboxes';

export interface ScheduleSpec {
  name: string;
  /** EventBridge syntax: `rate(5 minutes)` or `cron(0 3 * * ? *)`. */
  expression: string;
  timezone?: string;
}

export interface FunctionSpec {
  /** Source file relative to the repository root, exporting `handler`. */
  entry: string;
  description: string;
  http?: HttpRoute[];
  /** WebSocket API route keys. */
  ws?: string[];
  /** Consumes this queue (see `queues`). */
  queue?: string;
  schedules?: ScheduleSpec[];
  /** Used as a Lambda task by state machines. */
  task?: boolean;
  access: Access[];
  memoryMb?: number;
  timeoutSeconds?: number;
  /** Only mounted by the embedded runtime (e.g. the dev mailbox); never deployed. */
  localOnly?: boolean;
  /** Ships the sandbox daemon's bundle next to its handler: it creates sandboxes, which providers copy it into. */
  carriesDaemon?: boolean;
}

export interface QueueSpec {
  visibilityTimeoutSeconds: number;
  /** After this many receives a message goes to the dead-letter queue. */
  maxReceiveCount: number;
  batchSize: number;
  /** One-off schedules (SchedulerPort.at) may deliver to this queue; on AWS the Scheduler's role may send to it and to no other. */
  scheduled?: boolean;
}

export interface StateMachineSpec {
  /** ASL file under state-machines/. */
  file: string;
  /** `${Placeholder}` in the ASL → the function whose ARN replaces it. */
  functions: Record<string, FunctionName>;
  /** `${Placeholder}` → queue whose URL replaces it. */
  queues?: Record<string, QueueName>;
}

export const queues = {
  mail: { visibilityTimeoutSeconds: 60, maxReceiveCount: 5, batchSize: 10 },
  events: { visibilityTimeoutSeconds: 30, maxReceiveCount: 5, batchSize: 10 },
  /** Sandbox lifecycle commands: one at a time per message, minutes each at most. Sessions' checks arrive here when due. */
  sessions: { visibilityTimeoutSeconds: 900, maxReceiveCount: 3, batchSize: 1, scheduled: true },
} satisfies Record<string, QueueSpec>;
export type QueueName = keyof typeof queues;

/** The queues one-off schedules may deliver to. */
export function scheduledQueues(): QueueName[] {
  return (Object.entries(queues) as [QueueName, QueueSpec][]).filter(([, q]) => q.scheduled).map(([name]) => name);
}

export const functions = {
  meta: {
    entry: 'functions/http/meta.ts',
    description: 'Health and the OpenAPI document',
    http: [
      { method: 'GET', path: '/api/health' },
      { method: 'GET', path: '/api/openapi.json' },
    ],
    access: ['db'],
  },
  auth: {
    entry: 'functions/http/auth.ts',
    description: 'better-auth: sign-up, sign-in, sessions, email verification, impersonation',
    http: [{ method: 'ANY', path: '/api/auth/{proxy+}' }],
    // queues: verification mail is published before the sign-up reply (see Container.outboxWritten).
    access: ['db', 'keys', 'queues'],
  },
  orgs: {
    entry: 'functions/http/orgs.ts',
    description: 'Organisations, members, invitations, API keys, onboarding',
    http: [
      { method: 'GET', path: '/api/me' },
      { method: 'GET', path: '/api/orgs' },
      { method: 'POST', path: '/api/orgs' },
      { method: 'POST', path: '/api/orgs/{orgId}/activate' },
      { method: 'POST', path: '/api/orgs/{orgId}/join' },
      { method: 'GET', path: '/api/org' },
      { method: 'PATCH', path: '/api/org' },
      { method: 'GET', path: '/api/org/members' },
      { method: 'PATCH', path: '/api/org/members/{memberId}' },
      { method: 'DELETE', path: '/api/org/members/{memberId}' },
      { method: 'GET', path: '/api/org/invitations' },
      { method: 'POST', path: '/api/org/invitations' },
      { method: 'DELETE', path: '/api/org/invitations/{invitationId}' },
      { method: 'GET', path: '/api/invitations/{invitationId}' },
      { method: 'POST', path: '/api/invitations/{invitationId}/accept' },
      { method: 'GET', path: '/api/api-keys' },
      { method: 'POST', path: '/api/api-keys' },
      { method: 'DELETE', path: '/api/api-keys/{keyId}' },
      { method: 'GET', path: '/api/onboarding' },
      { method: 'POST', path: '/api/onboarding/complete' },
    ],
    access: ['db', 'queues'],
  },
  admin: {
    entry: 'functions/http/admin.ts',
    description: 'Super-admin: users, organisations, impersonation',
    http: [
      { method: 'GET', path: '/api/admin/status' },
      { method: 'GET', path: '/api/admin/users' },
      { method: 'GET', path: '/api/admin/organizations' },
      { method: 'POST', path: '/api/admin/impersonate' },
      { method: 'POST', path: '/api/admin/stop-impersonating' },
    ],
    access: ['db'],
  },
  devMail: {
    entry: 'functions/http/dev-mail.ts',
    description: 'The dev mailbox: mail kept on this machine',
    http: [
      { method: 'GET', path: '/api/dev/mail' },
      { method: 'GET', path: '/api/dev/mail/{mailId}' },
    ],
    access: ['db'],
    localOnly: true,
  },
  realtime: {
    entry: 'functions/ws/realtime.ts',
    description: 'WebSocket connections of dashboards, CLIs and sandbox daemons: authorise, log and relay session events',
    ws: ['$connect', '$disconnect', '$default'],
    // scheduler: when the last viewer of a session leaves, its idle check is scheduled.
    access: ['db', 'sockets', 'queues', 'sandboxes', 'scheduler'],
  },
  sessions: {
    entry: 'functions/http/sessions.ts',
    description: 'Sessions: create, list, rename, delete, pause, resume, snapshot, prompts, event log',
    http: [
      { method: 'GET', path: '/api/sessions' },
      { method: 'POST', path: '/api/sessions' },
      { method: 'GET', path: '/api/sessions/{sessionId}' },
      { method: 'PATCH', path: '/api/sessions/{sessionId}' },
      { method: 'DELETE', path: '/api/sessions/{sessionId}' },
      { method: 'POST', path: '/api/sessions/{sessionId}/pause' },
      { method: 'POST', path: '/api/sessions/{sessionId}/resume' },
      { method: 'POST', path: '/api/sessions/{sessionId}/snapshot' },
      { method: 'GET', path: '/api/sessions/{sessionId}/status' },
      { method: 'POST', path: '/api/sessions/{sessionId}/message' },
      { method: 'POST', path: '/api/sessions/{sessionId}/cancel' },
      { method: 'GET', path: '/api/sessions/{sessionId}/events' },
      { method: 'POST', path: '/api/sessions/{sessionId}/previews' },
      { method: 'GET', path: '/api/sessions/{sessionId}/shares' },
      { method: 'POST', path: '/api/sessions/{sessionId}/shares' },
      { method: 'DELETE', path: '/api/sessions/{sessionId}/shares/{shareId}' },
      { method: 'GET', path: '/api/previews/{shareId}' },
    ],
    access: ['db', 'queues', 'sockets', 'sandboxes'],
  },
  previewProxy: {
    entry: 'functions/http/preview-proxy.ts',
    description: 'Preview origins on AWS: CloudFront hands p-<token>.<preview domain> requests here; forwarded to the sandbox port',
    // Locally each preview origin is served by the embedded server itself (with WebSockets); this route works there too.
    http: [
      { method: 'ANY', path: '/api/_preview' },
      { method: 'ANY', path: '/api/_preview/{proxy+}' },
    ],
    access: ['db', 'sandboxes'],
    timeoutSeconds: 30,
  },
  sandboxApi: {
    entry: 'functions/http/sandbox-api.ts',
    description: "The in-sandbox daemon's API: bootstrap and platform tools (sandbox token)",
    http: [
      { method: 'GET', path: '/api/sandbox/bootstrap' },
      { method: 'POST', path: '/api/sandbox/tools/{tool}' },
    ],
    // keys: the bootstrap opens the secrets the session's env files need.
    access: ['db', 'queues', 'sockets', 'objects', 'sandboxes', 'keys'],
    timeoutSeconds: 120,
  },
  sessionWorker: {
    entry: 'functions/queues/session-worker.ts',
    description: 'Sandbox lifecycle: start, pause, snapshot, migrate, terminate',
    queue: 'sessions',
    // scheduler: each start, migration, pause and check moves or cancels the session's one-off check.
    access: ['db', 'sockets', 'queues', 'objects', 'sandboxes', 'scheduler'],
    carriesDaemon: true,
    timeoutSeconds: 840,
    memoryMb: 1024,
  },
  sessionSweeper: {
    entry: 'functions/schedules/session-sweeper.ts',
    description: 'Backstop of the sessions one-off checks: migrates expiring sessions, pauses idle and orphaned ones, fails stuck starts',
    // Each session's expiry and idle time are checked by its own one-off schedule; this only catches what they miss.
    schedules: [{ name: 'session-sweep', expression: 'rate(5 minutes)' }],
    access: ['db', 'queues'],
  },
  repos: {
    entry: 'functions/http/repos.ts',
    description: 'Repos and configurations: add, search, update, delete, workspace folders, commands, snapshot builds',
    http: [
      { method: 'GET', path: '/api/repos' },
      { method: 'POST', path: '/api/repos' },
      { method: 'GET', path: '/api/repos/{repoId}' },
      { method: 'PATCH', path: '/api/repos/{repoId}' },
      { method: 'DELETE', path: '/api/repos/{repoId}' },
      { method: 'GET', path: '/api/configurations' },
      { method: 'POST', path: '/api/configurations' },
      { method: 'GET', path: '/api/configurations/{configurationId}' },
      { method: 'PATCH', path: '/api/configurations/{configurationId}' },
      { method: 'DELETE', path: '/api/configurations/{configurationId}' },
      { method: 'PUT', path: '/api/configurations/{configurationId}/repos' },
      { method: 'GET', path: '/api/configurations/{configurationId}/service-commands' },
      { method: 'GET', path: '/api/configurations/{configurationId}/status' },
      { method: 'POST', path: '/api/configurations/{configurationId}/build' },
    ],
    // workflows: starts snapshot-build. ls-remote to detect a new repo's default branch takes up to 10 s.
    access: ['db', 'workflows'],
  },
  secrets: {
    entry: 'functions/http/secrets.ts',
    description: 'Organisation secrets (list, add, delete, check, .env import; values never returned) and env values given to a running session',
    http: [
      { method: 'GET', path: '/api/secrets' },
      { method: 'POST', path: '/api/secrets' },
      { method: 'DELETE', path: '/api/secrets/{secretId}' },
      { method: 'POST', path: '/api/secrets/check' },
      { method: 'POST', path: '/api/secrets/import' },
      { method: 'POST', path: '/api/sessions/{sessionId}/env' },
    ],
    // keys: values are sealed and opened with the envelope key. sockets: submitted values go to the sandbox's daemon,
    // whose answer this function waits for (up to 15 s).
    access: ['db', 'keys', 'sockets'],
    timeoutSeconds: 30,
  },
  snapshotBuild: {
    entry: 'functions/steps/snapshot-build.ts',
    description: 'Tasks of the snapshot-build workflow: mark building, clone and snapshot in a throwaway sandbox, mark ready or failed',
    task: true,
    access: ['db', 'sandboxes'],
    carriesDaemon: true,
    timeoutSeconds: 900,
    memoryMb: 1024,
  },
  mailSender: {
    entry: 'functions/queues/mail-sender.ts',
    description: 'Sends queued mail (SES on AWS, the dev mailbox locally)',
    queue: 'mail',
    access: ['db', 'mail'],
  },
  eventFanout: {
    entry: 'functions/queues/event-fanout.ts',
    description: 'Pushes organisation events to connected dashboards',
    queue: 'events',
    // scheduler: a dashboard found gone here has left its sessions, whose idle checks are scheduled then.
    access: ['db', 'sockets', 'scheduler'],
  },
  outboxDispatcher: {
    entry: 'functions/schedules/outbox-dispatcher.ts',
    description: 'Publishes outbox rows to queues and workflows; recovers expired leases',
    schedules: [{ name: 'outbox-dispatch', expression: 'rate(1 minute)' }],
    access: ['db', 'queues', 'workflows'],
    timeoutSeconds: 60,
  },
  invitationSweeper: {
    entry: 'functions/schedules/invitation-sweeper.ts',
    description: 'Marks pending invitations past their expiry as expired',
    schedules: [{ name: 'invitation-sweep', expression: 'rate(15 minutes)' }],
    access: ['db'],
  },
} satisfies Record<string, FunctionSpec>;
export type FunctionName = keyof typeof functions;

export const stateMachines: Record<string, StateMachineSpec> = {
  'snapshot-build': { file: 'state-machines/snapshot-build.asl.json', functions: { SnapshotBuildFunction: 'snapshotBuild' } },
};

export function functionSpecs(): [FunctionName, FunctionSpec][] {
  return Object.entries(functions) as [FunctionName, FunctionSpec][];
}
