import type { ServerMessage } from './types';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a WebSocket frame against the shapes of `shared/contracts/ws.ts`; anything else is `null`. */
export function parseServerMessage(raw: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  return toServerMessage(value);
}

/** The same check on a frame already parsed from JSON. */
export function toServerMessage(value: unknown): ServerMessage | null {
  if (!isRecord(value)) return null;
  switch (value['type']) {
    case 'hello':
      return typeof value['connectionId'] === 'string'
        ? {
            type: 'hello',
            connectionId: value['connectionId'],
            userId: typeof value['userId'] === 'string' ? value['userId'] : null,
            organizationId: typeof value['organizationId'] === 'string' ? value['organizationId'] : null,
          }
        : null;
    case 'org.event':
      return typeof value['event'] === 'string' && typeof value['organizationId'] === 'string'
        ? {
            type: 'org.event',
            event: value['event'],
            organizationId: value['organizationId'],
            data: isRecord(value['data']) ? value['data'] : {},
          }
        : null;
    case 'pong':
      return { type: 'pong', id: typeof value['id'] === 'string' ? value['id'] : undefined };
    case 'error':
      return typeof value['code'] === 'string' && typeof value['message'] === 'string'
        ? { type: 'error', code: value['code'], message: value['message'] }
        : null;
    default:
      return null;
  }
}
