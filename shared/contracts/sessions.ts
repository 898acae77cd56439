import * as z from 'zod';
import { Id, IsoDate, Ok, route } from './route';
import { LoggedEvent, SessionStatus } from './session-events';

export const SessionView = z.object({
  id: Id,
  title: z.string().nullable(),
  status: SessionStatus,
  displayStatus: z.enum(['active', 'idle', 'recovering', 'blocked', 'paused', 'completed', 'failed']),
  pauseReason: z.string().nullable(),
  sessionType: z.string(),
  clientType: z.string(),
  configuration: z.object({ id: Id, name: z.string() }).nullable(),
  createdBy: z.object({ id: Id, name: z.string() }).nullable(),
  sandboxProvider: z.string(),
  metrics: z.object({ toolCalls: z.number(), messagesExchanged: z.number(), activeSeconds: z.number() }),
  latestTask: z.string().nullable(),
  outcome: z.string().nullable(),
  prUrls: z.array(z.string()),
  lastError: z.string().nullable(),
  runningSince: IsoDate.nullable(),
  eventSeq: z.number().int(),
  createdAt: IsoDate,
  lastActivityAt: IsoDate,
});

const sessionParams = z.object({ sessionId: Id }).strict();

export const sessionRoutes = {
  list: route({
    method: 'GET',
    path: '/api/sessions',
    summary: "The organisation's sessions, newest first, with telemetry",
    access: 'org',
    query: z
      .object({
        status: SessionStatus.optional(),
        configurationId: Id.optional(),
        limit: z.coerce.number().int().min(1).max(100).default(25),
        before: IsoDate.optional(),
      })
      .strict(),
    response: z.object({ sessions: z.array(SessionView), nextCursor: IsoDate.nullable() }),
  }),
  create: route({
    method: 'POST',
    path: '/api/sessions',
    summary: 'Create a session on a configuration (or a scratch session without one)',
    access: 'org',
    status: 201,
    body: z
      .object({
        configurationId: Id.nullable().optional(),
        title: z.string().trim().min(1).max(200).optional(),
        initialPrompt: z.string().min(1).max(100_000).optional(),
        sessionType: z.enum(['coding', 'setup']).default('coding'),
        sandboxMode: z.enum(['deferred', 'immediate']).default('immediate'),
      })
      .strict()
      .refine((b) => b.sessionType !== 'setup' || b.configurationId, { message: 'a setup session needs a configuration', path: ['configurationId'] }),
    response: SessionView,
  }),
  get: route({ method: 'GET', path: '/api/sessions/{sessionId}', summary: 'One session', access: 'org', params: sessionParams, response: SessionView }),
  rename: route({
    method: 'PATCH',
    path: '/api/sessions/{sessionId}',
    summary: 'Rename a session',
    access: 'org',
    params: sessionParams,
    body: z.object({ title: z.string().trim().min(1).max(200) }).strict(),
    response: SessionView,
  }),
  remove: route({
    method: 'DELETE',
    path: '/api/sessions/{sessionId}',
    summary: 'Delete a session and its sandbox',
    access: 'org',
    params: sessionParams,
    status: 202,
    response: Ok,
  }),
  pause: route({ method: 'POST', path: '/api/sessions/{sessionId}/pause', summary: 'Pause: snapshot and stop the sandbox', access: 'org', params: sessionParams, status: 202, response: SessionView }),
  resume: route({ method: 'POST', path: '/api/sessions/{sessionId}/resume', summary: 'Resume a paused session', access: 'org', params: sessionParams, status: 202, response: SessionView }),
  snapshot: route({ method: 'POST', path: '/api/sessions/{sessionId}/snapshot', summary: "Save the sandbox's state", access: 'org', params: sessionParams, status: 202, response: SessionView }),
  status: route({
    method: 'GET',
    path: '/api/sessions/{sessionId}/status',
    summary: 'Where the session is in its lifecycle',
    access: 'org',
    params: sessionParams,
    response: z.object({ status: SessionStatus, displayStatus: SessionView.shape.displayStatus, pauseReason: z.string().nullable(), lastError: z.string().nullable(), eventSeq: z.number().int() }),
  }),
  message: route({
    method: 'POST',
    path: '/api/sessions/{sessionId}/message',
    summary: 'Send a prompt to the agent (starts or resumes the sandbox if needed)',
    access: 'org',
    params: sessionParams,
    status: 202,
    body: z
      .object({
        content: z.string().min(1).max(100_000),
        /** The sender's id for this prompt: sending it again with the same id is answered with the first message. */
        clientMessageId: z.string().min(1).max(200).optional(),
      })
      .strict(),
    response: z.object({ messageId: Id, started: z.boolean(), duplicate: z.boolean() }),
  }),
  cancel: route({ method: 'POST', path: '/api/sessions/{sessionId}/cancel', summary: "Cancel the agent's current turn", access: 'org', params: sessionParams, status: 202, response: Ok }),
  events: route({
    method: 'GET',
    path: '/api/sessions/{sessionId}/events',
    summary: 'The event log after a sequence number (what a reconnecting client replays)',
    access: 'org',
    params: sessionParams,
    query: z.object({ after: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(5000).default(1000) }).strict(),
    response: z.object({ events: z.array(LoggedEvent), lastSeq: z.number().int() }),
  }),
};

export const PreviewView = z.object({
  id: z.string(),
  kind: z.enum(['private', 'share']),
  port: z.number().int(),
  url: z.string(),
  revoked: z.boolean(),
  expiresAt: IsoDate.nullable(),
  createdAt: IsoDate,
});

const port = z.number().int().min(1).max(65535);

export const previewRoutes = {
  preview: route({
    method: 'POST',
    path: '/api/sessions/{sessionId}/previews',
    summary: "A link to a port of the session's sandbox for the caller (expires after 12 hours)",
    access: 'org',
    status: 201,
    params: sessionParams,
    body: z.object({ port }).strict(),
    response: PreviewView,
  }),
  listShares: route({
    method: 'GET',
    path: '/api/sessions/{sessionId}/shares',
    summary: "The session's public preview links",
    access: 'org',
    params: sessionParams,
    response: z.object({ shares: z.array(PreviewView) }),
  }),
  share: route({
    method: 'POST',
    path: '/api/sessions/{sessionId}/shares',
    summary: "A public link to the session's preview, until revoked",
    access: 'org',
    status: 201,
    params: sessionParams,
    body: z.object({ port }).strict(),
    response: PreviewView,
  }),
  revokeShare: route({
    method: 'DELETE',
    path: '/api/sessions/{sessionId}/shares/{shareId}',
    summary: 'Revoke a public preview link',
    access: 'org',
    params: z.object({ sessionId: Id, shareId: z.string().regex(/^[0-9a-f]{32}$/, 'a share id') }).strict(),
    response: PreviewView,
  }),
  publicShare: route({
    method: 'GET',
    path: '/api/previews/{shareId}',
    summary: 'What a public preview link shows',
    access: 'public',
    params: z.object({ shareId: z.string().regex(/^[0-9a-f]{32}$/, 'a share id') }).strict(),
    response: z.object({ id: z.string(), title: z.string().nullable(), port: z.number().int(), url: z.string(), live: z.boolean() }),
  }),
};
