import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { LoggedEvent } from '../../shared/contracts/session-events';
import { ApiError } from '../../cli/api';
import { Feed, Subscription, wsUrl, type SubscriptionHandlers } from '../../cli/live';

const ev = (seq: number): LoggedEvent => ({ seq, at: '2025-01-01T00:00:00.000Z', event: { type: 'token', messageId: 'm', partId: 'p', text: `t${seq} ` } });
const seqs = (events: LoggedEvent[]) => events.map((e) => e.seq);

describe('Feed: the order in which a viewer releases events', () => {
  it('releases live events in order, each once', () => {
    const f = new Feed(0);
    f.subscribe();
    expect(seqs(f.receive([ev(1), ev(2)], true).release)).toEqual([1, 2]);
    expect(f.subscribed(2)).toEqual({ release: [], resubscribe: false });
    expect(seqs(f.receive([ev(3)], false).release)).toEqual([3]);
    expect(f.receive([ev(2), ev(3)], false)).toEqual({ release: [], resubscribe: false });
    expect(f.lastSeq).toBe(3);
  });

  it('holds events after a hole and asks to subscribe again; the replay fills the hole and everything comes out in order', () => {
    const f = new Feed(4);
    f.subscribe();
    f.subscribed(4);
    expect(f.receive([ev(7)], false)).toEqual({ release: [], resubscribe: true });
    expect(f.subscribe()).toBe(4);
    // While the replay is on its way, a hole is expected: no second resubscribe.
    expect(f.receive([ev(8)], false)).toEqual({ release: [], resubscribe: false });
    expect(seqs(f.receive([ev(5), ev(6), ev(7)], true).release)).toEqual([5, 6, 7, 8]);
    expect(f.subscribed(8).resubscribe).toBe(false);
  });

  it('accepts the holes of a compacted replay (deleted token frames), but not holes in live events', () => {
    const f = new Feed(0);
    f.subscribe();
    expect(seqs(f.receive([ev(1), ev(4), ev(5)], true).release)).toEqual([1, 4, 5]);
    expect(f.subscribed(5).resubscribe).toBe(false);
    expect(f.receive([ev(7)], false).resubscribe).toBe(true);
  });

  it('releases live events that arrive before the replay that covers them in order with it', () => {
    const f = new Feed(0);
    f.subscribe();
    // Logged while the subscription was being set up: sent live and in the replay.
    expect(f.receive([ev(3)], false).release).toEqual([]);
    expect(seqs(f.receive([ev(1), ev(2), ev(3)], true).release)).toEqual([1, 2, 3]);
    expect(seqs(f.receive([ev(4)], false).release)).toEqual([4]);
  });

  it('knows when subscribed promised events that have not come yet', () => {
    const f = new Feed(0);
    f.subscribe();
    f.receive([ev(1)], true);
    expect(f.subscribed(3)).toEqual({ release: [], resubscribe: false });
    expect(f.behind).toBe(true);
    expect(seqs(f.receive([ev(2), ev(3)], false).release)).toEqual([2, 3]);
    expect(f.behind).toBe(false);
  });

  it('gives up on a hole the log cannot fill after a few fruitless subscriptions, rather than subscribing forever', () => {
    const f = new Feed(0);
    f.subscribe();
    f.subscribed(0);
    f.receive([ev(3)], false);
    let step = { release: [] as LoggedEvent[], resubscribe: true };
    let rounds = 0;
    while (step.resubscribe && rounds < 10) {
      f.subscribe();
      step = f.subscribed(3);
      rounds++;
    }
    expect(rounds).toBe(3);
    expect(seqs(step.release)).toEqual([3]);
  });
});

/** A stand-in for the realtime WebSocket: records what clients send and lets each test script the replies. */
class FakeRealtime {
  readonly server: WebSocketServer;
  readonly subscribes: number[] = [];
  readonly received: any[] = [];
  readonly headers: Record<string, string | string[] | undefined>[] = [];
  onSubscribe: (ws: WebSocket, afterSeq: number, n: number) => void = () => {};
  onMessage: (ws: WebSocket, m: any) => void = () => {};

  private constructor(options: { refuse?: number }) {
    this.server = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      verifyClient: options.refuse ? (_info, cb) => cb(false, options.refuse) : undefined,
    });
    this.server.on('connection', (ws, req) => {
      ws.on('error', () => {});
      this.headers.push(req.headers);
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString());
        this.received.push(m);
        if (m.type === 'subscribe') {
          this.subscribes.push(m.afterSeq);
          this.onSubscribe(ws, m.afterSeq, this.subscribes.length);
        } else this.onMessage(ws, m);
      });
    });
  }

  private port = 0;

  static async start(options: { refuse?: number } = {}): Promise<FakeRealtime> {
    const fake = new FakeRealtime(options);
    await new Promise((r) => fake.server.once('listening', r));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const c of this.server.clients) c.terminate();
    await new Promise((r) => this.server.close(r));
  }
}

const send = (ws: WebSocket, m: unknown) => ws.send(JSON.stringify(m));
const events = (ws: WebSocket, list: LoggedEvent[], replay = false) => send(ws, { type: 'events', sessionId: 's1', events: list, ...(replay ? { replay } : {}) });
const subscribed = (ws: WebSocket, lastSeq: number) => send(ws, { type: 'subscribed', sessionId: 's1', lastSeq, status: 'running' });

async function until(what: string, fn: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function recorder() {
  const got: LoggedEvent[] = [];
  const log: string[] = [];
  const failures: Error[] = [];
  const handlers: SubscriptionHandlers = {
    events: (e) => got.push(...e),
    subscribed: ({ lastSeq, reconnected }) => log.push(`subscribed ${lastSeq}${reconnected ? ' again' : ''}`),
    refused: (e) => log.push(`refused ${e.code}: ${e.message}`),
    failed: (e) => failures.push(e),
    reconnecting: (attempt) => log.push(`reconnecting ${attempt}`),
  };
  return { got, log, failures, handlers };
}

describe('Subscription: a session’s events over the WebSocket', () => {
  let fake: FakeRealtime;
  let sub: Subscription | undefined;
  afterEach(async () => {
    sub?.close();
    sub = undefined;
    await fake?.close();
  });

  it('connects to /ws with the API key, and after a drop reconnects and subscribes from the last seq: nothing twice, nothing missing', async () => {
    fake = await FakeRealtime.start();
    fake.onSubscribe = (ws, afterSeq, n) => {
      if (n === 1) {
        events(ws, [ev(1), ev(2)], true);
        subscribed(ws, 2);
        events(ws, [ev(3)]);
        events(ws, [ev(4)]);
        // The connection dies mid-stream (after the server sent what it had).
        setTimeout(() => ws.terminate(), 20);
      } else {
        expect(afterSeq).toBe(4);
        // What was logged meanwhile, a duplicate among it, then live again.
        events(ws, [ev(4), ev(5)], true);
        subscribed(ws, 5);
        events(ws, [ev(6)]);
      }
    };
    const r = recorder();
    sub = new Subscription({ baseUrl: fake.url, apiKey: 'prl_test', sessionId: 's1', afterSeq: 0, handlers: r.handlers, backoff: { initialMs: 10 } });
    sub.start();
    await until('event 6', () => r.got.some((e) => e.seq === 6));
    expect(seqs(r.got)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(fake.subscribes).toEqual([0, 4]);
    expect(r.log).toEqual(['subscribed 2', 'reconnecting 1', 'subscribed 5 again']);
    expect(fake.headers[0]['x-api-key']).toBe('prl_test');
    expect(sub.lastSeq).toBe(6);
  });

  it('subscribes again from the last seq when live events skip one', async () => {
    fake = await FakeRealtime.start();
    fake.onSubscribe = (ws, afterSeq, n) => {
      if (n === 1) {
        events(ws, [ev(1)], true);
        subscribed(ws, 1);
        events(ws, [ev(3)]);
      } else {
        events(ws, [ev(2), ev(3)], true);
        subscribed(ws, 3);
      }
    };
    const r = recorder();
    sub = new Subscription({ baseUrl: fake.url, sessionId: 's1', afterSeq: 0, handlers: r.handlers });
    sub.start();
    await until('subscribed twice', () => r.log.length === 2);
    expect(fake.subscribes).toEqual([0, 1]);
    expect(seqs(r.got)).toEqual([1, 2, 3]);
    expect(fake.headers[0]['x-api-key']).toBeUndefined();
  });

  it('asks again when events subscribed promised do not come', async () => {
    fake = await FakeRealtime.start();
    fake.onSubscribe = (ws, _afterSeq, n) => {
      if (n === 1) {
        events(ws, [ev(1)], true);
        subscribed(ws, 3);
      } else {
        events(ws, [ev(2), ev(3)], true);
        subscribed(ws, 3);
      }
    };
    const r = recorder();
    sub = new Subscription({ baseUrl: fake.url, sessionId: 's1', afterSeq: 0, handlers: r.handlers, catchUpMs: 10 });
    sub.start();
    await until('events 2 and 3', () => r.got.length === 3);
    expect(fake.subscribes).toEqual([0, 1]);
    expect(seqs(r.got)).toEqual([1, 2, 3]);
  });

  it('sends messages on the connection, and passes on what the server refuses', async () => {
    fake = await FakeRealtime.start();
    fake.onSubscribe = (ws) => subscribed(ws, 0);
    fake.onMessage = (ws, m) => {
      if (m.type === 'prompt') send(ws, { type: 'error', code: 'session_stopped', message: 'This session has ended', sessionId: 's1' });
    };
    const r = recorder();
    sub = new Subscription({ baseUrl: fake.url, sessionId: 's1', afterSeq: 0, handlers: r.handlers });
    sub.start();
    await until('subscribed', () => r.log.length === 1);
    await expect(sub.send({ type: 'prompt', sessionId: 's1', content: 'hello' })).resolves.toBe(true);
    await until('refusal', () => r.log.length === 2);
    expect(r.log[1]).toBe('refused session_stopped: This session has ended');
    expect(fake.received.find((m) => m.type === 'prompt')).toEqual({ type: 'prompt', sessionId: 's1', content: 'hello' });
    // Another session's events are not this subscription's business.
    fake.server.clients.forEach((ws) => send(ws, { type: 'events', sessionId: 'other', events: [ev(1)] }));
    sub.close();
    await expect(sub.send({ type: 'cancel', sessionId: 's1' })).resolves.toBe(false);
    expect(r.got).toEqual([]);
  });

  it('fails at once, without retrying, when the server refuses the API key', async () => {
    fake = await FakeRealtime.start({ refuse: 401 });
    const r = recorder();
    sub = new Subscription({ baseUrl: fake.url, apiKey: 'prl_revoked', sessionId: 's1', afterSeq: 0, handlers: r.handlers, backoff: { initialMs: 10 } });
    sub.start();
    await until('failure', () => r.failures.length === 1);
    expect(r.failures[0]).toBeInstanceOf(ApiError);
    expect((r.failures[0] as ApiError).status).toBe(401);
    expect(r.log).toEqual([]);
  });

  it('treats a connection that goes silent after a ping as dead, and reconnects', async () => {
    fake = await FakeRealtime.start();
    fake.onSubscribe = (ws, _afterSeq, n) => {
      events(ws, [ev(n)], true);
      subscribed(ws, n);
    };
    const r = recorder();
    sub = new Subscription({ baseUrl: fake.url, sessionId: 's1', afterSeq: 0, handlers: r.handlers, heartbeat: { intervalMs: 20, timeoutMs: 20 }, backoff: { initialMs: 10 } });
    sub.start();
    await until('a second subscription', () => r.log.includes('subscribed 2 again'));
    expect(fake.received.some((m) => m.type === 'ping')).toBe(true);
    expect(fake.subscribes.slice(0, 2)).toEqual([0, 1]);
  });

  it('retries a server that is away or answers with an error, and gives up after a while', async () => {
    for (const away of [true, false]) {
      fake = await FakeRealtime.start(away ? {} : { refuse: 503 });
      if (away) await fake.close();
      const r = recorder();
      sub = new Subscription({ baseUrl: fake.url, sessionId: 's1', afterSeq: 0, handlers: r.handlers, backoff: { initialMs: 5, maxMs: 5, giveUpMs: 100 } });
      sub.start();
      await until('failure', () => r.failures.length === 1);
      expect(r.log.filter((l) => l.startsWith('reconnecting')).length).toBeGreaterThan(1);
      expect(r.failures[0]).toBeInstanceOf(ApiError);
      expect(r.failures[0].message).toContain('Lost the connection');
      if (!away) await fake.close();
    }
  });

  it('derives the WebSocket address from the server URL', () => {
    expect(wsUrl('http://localhost:4100')).toBe('ws://localhost:4100/ws');
    expect(wsUrl('https://app.example.com/')).toBe('wss://app.example.com/ws');
  });
});
