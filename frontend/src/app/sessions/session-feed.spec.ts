import type { LoggedEvent } from '../api/session-events';
import { beginReplay, initialFeed, receiveEvents, receiveSubscribed, type FeedState } from './session-feed';

const ev = (seq: number): LoggedEvent => ({ seq, at: '2026-01-01T00:00:00.000Z', event: { type: 'title_update', title: `t${seq}` } });
const seqs = (events: LoggedEvent[]) => events.map((e) => e.seq);

/** A feed that has replayed up to `lastSeq` and is live. */
function liveAt(lastSeq: number): FeedState {
  return { lastSeq, replaying: false, held: [] };
}

describe('session feed', () => {
  it('holds a replay back until `subscribed`, then applies it in order with the holes compaction left', () => {
    let feed = beginReplay(initialFeed());
    let step = receiveEvents(feed, [ev(1), ev(2), ev(5)]);
    expect(step.apply).toEqual([]);
    feed = step.feed;
    // A live event overtakes the rest of the replay.
    step = receiveEvents(feed, [ev(9)]);
    feed = step.feed;
    step = receiveEvents(feed, [ev(6), ev(8)]);
    feed = step.feed;
    const done = receiveSubscribed(feed, 8);
    expect(seqs(done.apply)).toEqual([1, 2, 5, 6, 8, 9]);
    expect(done.feed).toEqual({ lastSeq: 9, replaying: false, held: [] });
    expect(done.resubscribe).toBe(false);
    expect(done.behind).toBe(false);
  });

  it('drops duplicates: the replay overlaps what was seen, and the server sends some events twice', () => {
    let feed: FeedState = liveAt(4);
    feed = beginReplay(feed);
    const step = receiveEvents(feed, [ev(3), ev(4), ev(5), ev(5), ev(6)]);
    const done = receiveSubscribed(step.feed, 6);
    expect(seqs(done.apply)).toEqual([5, 6]);
    const again = receiveEvents(done.feed, [ev(6), ev(2)]);
    expect(again.apply).toEqual([]);
    expect(again.resubscribe).toBe(false);
  });

  it('applies live events in sequence order, and sorts a batch that came out of order', () => {
    const step = receiveEvents(liveAt(2), [ev(4), ev(3), ev(5)]);
    expect(seqs(step.apply)).toEqual([3, 4, 5]);
    expect(step.feed.lastSeq).toBe(5);
    expect(step.resubscribe).toBe(false);
  });

  it('a live gap asks to resubscribe from the last applied event, holding what came after', () => {
    const step = receiveEvents(liveAt(3), [ev(4), ev(7)]);
    expect(seqs(step.apply)).toEqual([4]);
    expect(step.resubscribe).toBe(true);
    expect(step.feed).toMatchObject({ lastSeq: 4, replaying: true });
    expect(seqs(step.feed.held)).toEqual([7]);
    // The replay fills the hole; 7 arrives again and counts once.
    const filled = receiveEvents(step.feed, [ev(5), ev(6), ev(7)]);
    expect(filled.apply).toEqual([]);
    const done = receiveSubscribed(filled.feed, 7);
    expect(seqs(done.apply)).toEqual([5, 6, 7]);
    expect(done.resubscribe).toBe(false);
  });

  it('says when `subscribed` promised more than arrived (events logged while the replay finished)', () => {
    const step = receiveEvents(beginReplay(initialFeed()), [ev(1), ev(2)]);
    const done = receiveSubscribed(step.feed, 3);
    expect(seqs(done.apply)).toEqual([1, 2]);
    expect(done.behind).toBe(true);
    // The missing one arrives live and is applied.
    const live = receiveEvents(done.feed, [ev(3)]);
    expect(seqs(live.apply)).toEqual([3]);
  });

  it('resubscribes when events beyond `subscribed` leave a hole after the replay', () => {
    const step = receiveEvents(beginReplay(initialFeed()), [ev(1), ev(2), ev(5)]);
    const done = receiveSubscribed(step.feed, 3);
    expect(seqs(done.apply)).toEqual([1, 2]);
    expect(done.resubscribe).toBe(true);
    expect(done.feed).toMatchObject({ lastSeq: 2, replaying: true });
  });
});
