import type { SessionEvent } from '../../contracts/session-events';

/**
 * An event must fit in one WebSocket message (API Gateway: 128 KiB). The translator already trims tool output and
 * results; this is the last guard for whatever else is large (tool arguments with a whole file, many diffs): the
 * longest strings are shortened until the event fits.
 */
export const MAX_EVENT_BYTES = 100 * 1024;

export function fitEvent(event: SessionEvent, maxBytes = MAX_EVENT_BYTES): SessionEvent {
  if (JSON.stringify(event).length <= maxBytes) return event;
  for (let limit = 32 * 1024; limit >= 256; limit = Math.floor(limit / 2)) {
    const shortened = shorten(event, limit) as SessionEvent;
    if (JSON.stringify(shortened).length <= maxBytes) return shortened;
  }
  return shorten(event, 128) as SessionEvent;
}

function shorten(value: unknown, limit: number): unknown {
  if (typeof value === 'string') return value.length > limit ? `${value.slice(0, limit)}… [${value.length - limit} characters omitted]` : value;
  if (Array.isArray(value)) return value.map((v) => shorten(v, limit));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shorten(v, limit)]));
  return value;
}
