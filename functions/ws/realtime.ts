import * as z from 'zod';
import { ClientMessage } from '../../shared/contracts/ws';
import { DaemonMessage, ViewerMessage } from '../../shared/contracts/session-events';
import { DomainError } from '../../shared/domain/errors';
import { onDaemonMessage, onViewerMessage } from '../../shared/realtime/session-gateway';
import { zodFields } from '../../shared/http/errors';
import { resolveCaller, verifySandboxCaller } from '../../shared/http/caller';
import { resolveOrgCaller } from '../../shared/domain/orgs/organizations';
import { dropConnection, findConnection, recordConnection, sendTo } from '../../shared/realtime/connections';
import { WebSocketEvent, type WebSocketResult } from '../../shared/realtime/event';
import { createAuth } from '../../shared/auth/auth';
import { getContainer, type Container } from '../../shared/runtime/container';

/** Browsers cannot set headers on a WebSocket: they send the session cookie, or `?token=` with a session token. */
function credentials(event: WebSocketEvent): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(event.headers ?? {})) headers.set(k, v);
  const token = event.queryStringParameters?.token;
  if (token && !headers.get('authorization')) headers.set('authorization', `Bearer ${token}`);
  return headers;
}

async function connect(c: Container, event: WebSocketEvent): Promise<WebSocketResult> {
  const sandboxToken = event.queryStringParameters?.sandboxToken;
  if (sandboxToken) {
    // A daemon: its token names one session and one sandbox, which must still be the session's current one.
    const sandbox = await verifySandboxCaller(c, sandboxToken);
    if (!sandbox) return { statusCode: 401, body: 'invalid sandbox token' };
    await recordConnection(c.db, {
      connectionId: event.requestContext.connectionId,
      kind: 'sandbox',
      userId: null,
      organizationId: sandbox.organizationId,
      sessionId: sandbox.sessionId,
      sandboxId: sandbox.sandboxId,
    });
    return { statusCode: 200 };
  }
  const caller = await resolveCaller(c, credentials(event)).catch(() => null);
  if (!caller) return { statusCode: 401, body: 'unauthenticated' };
  const org = await resolveOrgCaller(c.db, caller).catch(() => null);
  await recordConnection(c.db, {
    connectionId: event.requestContext.connectionId,
    kind: 'user',
    userId: caller.userId,
    organizationId: org?.organizationId ?? null,
    via: caller.via,
  });
  return { statusCode: 200 };
}

async function message(c: Container, event: WebSocketEvent): Promise<WebSocketResult> {
  const { connectionId } = event.requestContext;
  // Identity comes from the recorded connection, never from the payload.
  const connection = await findConnection(c.db, connectionId);
  if (!connection) return { statusCode: 403 };
  const raw = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : (event.body ?? '');
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    await sendTo(c, connectionId, { type: 'error', code: 'validation_failed', message: 'Messages are JSON', fields: [{ field: 'body', message: 'must be valid JSON' }] });
    return { statusCode: 200 };
  }
  if (connection.kind === 'sandbox') {
    const msg = DaemonMessage.safeParse(body);
    if (!msg.success) return reject(c, connectionId, msg.error);
    await onDaemonMessage(c, connection, msg.data);
    return { statusCode: 200 };
  }
  const type = (body as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && ViewerMessage.options.some((o) => o.shape.type.value === type)) {
    const msg = ViewerMessage.safeParse(body);
    if (!msg.success) return reject(c, connectionId, msg.error);
    try {
      await onViewerMessage(c, connection, msg.data);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const about = msg.data as { sessionId: string; requestId?: string; terminalId?: string };
      await sendTo(c, connectionId, {
        type: 'error',
        code: err.code,
        message: err.message,
        sessionId: about.sessionId,
        ...(about.requestId ?? about.terminalId ? { requestId: about.requestId ?? about.terminalId } : {}),
        ...(err.fields ? { fields: err.fields } : {}),
      });
    }
    return { statusCode: 200 };
  }
  const parsed = ClientMessage.safeParse(body);
  if (!parsed.success) return reject(c, connectionId, parsed.error);
  switch (parsed.data.type) {
    case 'ping':
      await sendTo(c, connectionId, { type: 'pong', id: parsed.data.id });
      break;
    case 'whoami':
      await sendTo(c, connectionId, { type: 'hello', connectionId, userId: connection.userId, organizationId: connection.organizationId });
      break;
  }
  return { statusCode: 200 };
}

async function reject(c: Container, connectionId: string, error: z.ZodError): Promise<WebSocketResult> {
  await sendTo(c, connectionId, { type: 'error', code: 'validation_failed', message: 'Unknown or malformed message', fields: zodFields(error, 'body') });
  return { statusCode: 200 };
}

/** $connect, $disconnect and $default of the WebSocket API. */
export const handler = async (raw: unknown): Promise<WebSocketResult> => {
  const c = await getContainer({ createAuth });
  const parsed = WebSocketEvent.safeParse(raw);
  if (!parsed.success) {
    c.logger.warn({ issues: parsed.error.issues.slice(0, 5) }, 'malformed websocket event');
    return { statusCode: 400 };
  }
  const event = parsed.data;
  try {
    switch (event.requestContext.eventType) {
      case 'CONNECT':
        return await connect(c, event);
      case 'DISCONNECT': {
        await dropConnection(c, event.requestContext.connectionId);
        return { statusCode: 200 };
      }
      case 'MESSAGE':
        return await message(c, event);
    }
  } catch (err) {
    c.logger.error({ err, connectionId: event.requestContext.connectionId }, 'websocket handler failed');
    return { statusCode: 500 };
  }
};
