import * as z from 'zod';

/** Outbox topics and the payload each carries. The dispatcher routes each topic to a queue or a workflow. */
export const MailTemplate = z.discriminatedUnion('template', [
  z.object({ template: z.literal('verify-email'), to: z.email(), name: z.string(), url: z.url() }),
  z.object({
    template: z.literal('invitation'),
    to: z.email(),
    organizationName: z.string(),
    inviterName: z.string(),
    role: z.string(),
    url: z.url(),
    expiresAt: z.string(),
  }),
  z.object({ template: z.literal('password-reset'), to: z.email(), name: z.string(), url: z.url() }),
]);
export type MailTemplate = z.infer<typeof MailTemplate>;

export const OrgEvent = z.object({
  organizationId: z.string(),
  type: z.enum(['member.joined', 'member.removed', 'member.role_changed', 'invitation.created', 'invitation.revoked', 'organization.updated']),
  data: z.record(z.string(), z.unknown()).default({}),
});
export type OrgEvent = z.infer<typeof OrgEvent>;

/**
 * A lifecycle command for the session worker: sandboxes take seconds to minutes, so never inside a request. `check`
 * arrives from the session's one-off schedule: look at its expiry and idleness now, act or schedule the next check.
 */
export const SessionCommandMessage = z.object({
  sessionId: z.string(),
  organizationId: z.string(),
  command: z.enum(['start', 'pause', 'snapshot', 'migrate', 'terminate', 'check']),
  reason: z.string().max(100).optional(),
});
export type SessionCommandMessage = z.infer<typeof SessionCommandMessage>;

/** Starts a workflow execution; the name makes a re-published start a no-op (Step Functions refuses a second one). */
export const WorkflowStartMessage = z.object({
  stateMachine: z.string().min(1),
  name: z.string().min(1).max(80),
  input: z.record(z.string(), z.unknown()),
});
export type WorkflowStartMessage = z.infer<typeof WorkflowStartMessage>;

export const outboxTopics = {
  'mail.send': { payload: MailTemplate, queue: 'mail' },
  'org.event': { payload: OrgEvent, queue: 'events' },
  'session.command': { payload: SessionCommandMessage, queue: 'sessions' },
  'workflow.start': { payload: WorkflowStartMessage, queue: null },
} as const;
export type OutboxTopic = keyof typeof outboxTopics;

/** Every queue message is this envelope; `id` is the outbox row, so consumers can be idempotent. */
export const QueueEnvelope = z.object({ id: z.string(), topic: z.string(), payload: z.unknown() });
export type QueueEnvelope = z.infer<typeof QueueEnvelope>;
