import { previewRoutes as p, sessionRoutes as r } from '../../shared/contracts/sessions';
import * as previews from '../../shared/domain/sessions/previews';
import { readEvents } from '../../shared/domain/sessions/events';
import { sendToDaemon } from '../../shared/domain/sessions/runtime';
import * as sessions from '../../shared/domain/sessions/sessions';
import { bind, httpApi } from '../../shared/http/api';
import { deliverPendingPrompts, publishEvents } from '../../shared/realtime/session-gateway';
import type { AppendItem } from '../../shared/domain/sessions/events';
import type { Container } from '../../shared/runtime/container';

/** Commands reach the session worker through the outbox: publish them now rather than on the dispatcher's tick. */
const written = (c: Container) => async <T>(value: T): Promise<T> => {
  await c.outboxWritten();
  return value;
};

export const handler = httpApi('sessions', [
  bind(r.list, ({ c, org, query }) => sessions.listSessions(c.db, org, query)),
  bind(r.create, ({ c, org, body }) => sessions.createSession({ ...events(c), defaultProvider: c.sandboxes.defaultProvider, idleTimeoutMinutes: c.config.SESSION_IDLE_MINUTES }, org, body).then(written(c))),
  bind(r.get, ({ c, org, params }) => sessions.getSession(c.db, org, params.sessionId)),
  bind(r.rename, ({ c, org, params, body }) => sessions.renameSession(events(c), org, params.sessionId, body.title)),
  bind(r.remove, async ({ c, org, params }) => {
    await sessions.deleteSession(c.db, org, params.sessionId);
    return written(c)({ ok: true as const });
  }),
  bind(r.pause, ({ c, org, params }) => sessions.requestCommand(c.db, org, params.sessionId, 'pause').then(written(c))),
  bind(r.resume, ({ c, org, params }) => sessions.requestCommand(c.db, org, params.sessionId, 'start').then(written(c))),
  bind(r.snapshot, ({ c, org, params }) => sessions.requestCommand(c.db, org, params.sessionId, 'snapshot').then(written(c))),
  bind(r.status, async ({ c, org, params }) => {
    const s = await sessions.getSession(c.db, org, params.sessionId);
    return { status: s.status, displayStatus: s.displayStatus, pauseReason: s.pauseReason, lastError: s.lastError, eventSeq: s.eventSeq };
  }),
  bind(r.message, async ({ c, org, params, body }) => {
    const source = org.via === 'apiKey' ? 'api' : 'web';
    const { messageId, needsStart, duplicate } = await sessions.sendPrompt(events(c), org, params.sessionId, body.content, source, { clientMessageId: body.clientMessageId });
    if (!needsStart) await deliverPending(c, params.sessionId);
    await c.outboxWritten();
    return { messageId, started: needsStart, duplicate };
  }),
  bind(r.cancel, async ({ c, org, params }) => {
    await sessions.findSession(c.db, org.organizationId, params.sessionId);
    await sendToDaemon(c, params.sessionId, { type: 'cancel' });
    return { ok: true as const };
  }),
  bind(p.preview, ({ c, org, params, body }) => previews.createPreview(previewDeps(c), org, params.sessionId, body.port, 'private')),
  bind(p.listShares, async ({ c, org, params }) => ({ shares: await previews.listShares(previewDeps(c), org, params.sessionId) })),
  bind(p.share, ({ c, org, params, body }) => previews.createPreview(previewDeps(c), org, params.sessionId, body.port, 'share')),
  bind(p.revokeShare, ({ c, org, params }) => previews.revokeShare(previewDeps(c), org, params.sessionId, params.shareId)),
  bind(p.publicShare, ({ c, params }) => previews.publicShare(previewDeps(c), params.shareId)),
  bind(r.events, async ({ c, org, params, query }) => {
    const s = await sessions.findSession(c.db, org.organizationId, params.sessionId);
    const events = await readEvents(c.db, params.sessionId, query.after, query.limit);
    return { events, lastSeq: Number(s.eventSeq) };
  }),
]);

const previewDeps = (c: Container) => ({ ...events(c), clock: c.clock, previewUrl: (token: string) => c.sandboxes.previewUrl(token) });
const events = (c: Container) => ({ db: c.db, publish: (id: string, items: AppendItem[]) => publishEvents(c, id, items) });

/** Hands queued prompts to the connected daemon (it acknowledges each, and they leave the queue then). */
const deliverPending = (c: Container, sessionId: string) => deliverPendingPrompts(c, sessionId);
