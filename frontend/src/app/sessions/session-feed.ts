import type { LoggedEvent } from '../api/session-events';

/**
 * Puts a session's events in order, whatever order and however often they arrive.
 *
 * - Events are applied in sequence order; an event at or below `lastSeq` is a duplicate (the server sends some twice
 *   by design: it subscribes before it replays).
 * - While a replay runs (from `subscribe` until `subscribed`) everything is held back: live events can overtake the
 *   replay's batches. At `subscribed` the held events up to its `lastSeq` are applied in order, gaps and all: the
 *   log has holes where the server compacted the token frames of completed text (their text is in
 *   `text_part_complete`), so a hole in a replay is expected.
 * - After that, events are live: one that leaves a hole (`seq > lastSeq + 1`) means something was missed, so the
 *   caller resubscribes from `lastSeq` to fill it.
 */
export interface FeedState {
  lastSeq: number;
  replaying: boolean;
  /** Received but not applied yet, ascending, each above `lastSeq`. */
  held: LoggedEvent[];
}

export interface FeedStep {
  feed: FeedState;
  /** Apply these, in this order. */
  apply: LoggedEvent[];
  /** Send `subscribe` with `afterSeq = feed.lastSeq` (the feed is already in replay mode). */
  resubscribe: boolean;
}

export function initialFeed(lastSeq = 0): FeedState {
  return { lastSeq, replaying: false, held: [] };
}

/** Call when sending `subscribe` (first time, after a reconnect, or to fill a gap). */
export function beginReplay(feed: FeedState): FeedState {
  return { ...feed, replaying: true };
}

export function receiveEvents(feed: FeedState, events: readonly LoggedEvent[]): FeedStep {
  const held = hold(feed, events);
  if (feed.replaying) return { feed: { ...feed, held }, apply: [], resubscribe: false };
  return drainLive({ ...feed, held });
}

/** The replay is complete up to `lastSeq` (the session's last sequence number when the server finished it). */
export function receiveSubscribed(feed: FeedState, lastSeq: number): FeedStep & { behind: boolean } {
  const replayed = feed.held.filter((e) => e.seq <= lastSeq);
  const rest = feed.held.filter((e) => e.seq > lastSeq);
  const applied = replayed.length ? replayed[replayed.length - 1].seq : feed.lastSeq;
  const step = drainLive({ lastSeq: Math.max(feed.lastSeq, applied), replaying: false, held: rest });
  // Events logged while the replay finished may still be on their way as live events; the caller checks back.
  return { ...step, apply: [...replayed, ...step.apply], behind: !step.resubscribe && step.feed.lastSeq < lastSeq };
}

function hold(feed: FeedState, events: readonly LoggedEvent[]): LoggedEvent[] {
  const fresh = events.filter((e) => e.seq > feed.lastSeq);
  if (fresh.length === 0) return feed.held;
  const bySeq = new Map(feed.held.map((e) => [e.seq, e]));
  for (const e of fresh) if (!bySeq.has(e.seq)) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

function drainLive(feed: FeedState): FeedStep {
  const apply: LoggedEvent[] = [];
  let lastSeq = feed.lastSeq;
  let i = 0;
  while (i < feed.held.length && feed.held[i].seq === lastSeq + 1) {
    apply.push(feed.held[i]);
    lastSeq = feed.held[i].seq;
    i++;
  }
  const held = feed.held.slice(i);
  if (held.length === 0) return { feed: { lastSeq, replaying: false, held }, apply, resubscribe: false };
  // A hole: ask for everything after what we have. What is held stays (the replay's duplicates are dropped).
  return { feed: { lastSeq, replaying: true, held }, apply, resubscribe: true };
}
