/**
 * Sessions in realtime, on the embedded runtime (PGlite unless DATABASE_URL is set):
 *  1. event relay: a daemon (a WebSocket client with a real sandbox token) sends agent events; viewers subscribed to
 *     the session receive them through the server (log append + fan-out). p50/p99 latency and events/s with 1 and 20
 *     viewers; the same on a bare `ws` relay (no database, no validation) as the floor.
 *  2. session create → running with the local provider and the real daemon (platform overhead).
 *  3. replay of a 10,000-event session to a reconnecting viewer: time and server memory.
 * Run: npm run bench:sessions
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import WebSocket, { WebSocketServer } from 'ws';
import { LocalRuntime } from '../infra/local/runtime';
import { loadConfig } from '../shared/config';
import { createDb, migrate } from '../shared/db/client';
import { sandboxSession } from '../shared/db/schema';
import { appendEvents } from '../shared/domain/sessions/events';
import { mintSandboxToken } from '../shared/domain/sessions/sandbox-token';
import { createLogger } from '../shared/runtime/logger';
import { Client, signUpVerified } from '../test/support/runtime';

const EVENTS = 2000;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const open = (url: string, headers: Record<string, string> = {}) =>
  new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });

async function relayThroughRuntime(runtime: LocalRuntime, owner: Client, sessionId: string, viewers: number, count: number, intervalMs: number) {
  const EVENTS = count;
  const wsUrl = runtime.url.replace(/^http/, 'ws') + '/ws';
  const clients: WebSocket[] = [];
  const latencies: number[] = [];
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  for (let i = 0; i < viewers; i++) {
    const ws = await open(wsUrl, { cookie: owner.cookieHeader() });
    const subscribed = new Promise<void>((r) => ws.on('message', (d) => JSON.parse(d.toString()).type === 'subscribed' && r()));
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.type !== 'events') return;
      for (const e of m.events) {
        if (e.event.type !== 'thought' || !e.event.text.startsWith('t:')) continue;
        latencies.push(Date.now() - Number(e.event.text.slice(2)));
        if (++received === EVENTS * viewers) done();
      }
    });
    const [row] = await runtime.container.db.select({ seq: sandboxSession.eventSeq }).from(sandboxSession).where(eq(sandboxSession.id, sessionId));
    ws.send(JSON.stringify({ type: 'subscribe', sessionId, afterSeq: Number(row.seq) }));
    await subscribed;
    clients.push(ws);
  }
  const [s] = await runtime.container.db.select().from(sandboxSession).where(eq(sandboxSession.id, sessionId));
  const daemon = await open(`${wsUrl}?sandboxToken=${encodeURIComponent(mintSandboxToken(runtime.container.sandboxSecret, sessionId, s.sandboxId!))}`);
  daemon.on('message', () => {});
  const dseqBase = Date.now();
  const started = Date.now();
  for (let i = 1; i <= EVENTS; i++) {
    daemon.send(JSON.stringify({ type: 'events', events: [{ dseq: dseqBase + i, event: { type: 'thought', messageId: 'bench', text: `t:${Date.now()}` } }] }));
    if (intervalMs) await new Promise((r) => setTimeout(r, intervalMs));
    else if (i % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  await finished;
  const seconds = (Date.now() - started) / 1000;
  for (const c of [...clients, daemon]) c.close();
  return { p50: pct(latencies, 50), p99: pct(latencies, 99), perSecond: Math.round(EVENTS / seconds) };
}

async function bareRelay(viewers: number, count: number, intervalMs: number) {
  const EVENTS = count;
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as { port: number }).port;
  const sinks: WebSocket[] = [];
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {});
    if (req.url === '/viewer') sinks.push(ws);
    else ws.on('message', (d) => sinks.forEach((s) => s.send(d)));
  });
  const latencies: number[] = [];
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const viewersWs = await Promise.all(Array.from({ length: viewers }, () => open(`ws://127.0.0.1:${port}/viewer`)));
  for (const v of viewersWs) {
    v.on('message', (d) => {
      latencies.push(Date.now() - Number(d.toString()));
      if (++received === EVENTS * viewers) done();
    });
  }
  await new Promise((r) => setTimeout(r, 100));
  const source = await open(`ws://127.0.0.1:${port}/source`);
  const started = Date.now();
  for (let i = 0; i < EVENTS; i++) {
    source.send(String(Date.now()));
    if (intervalMs) await new Promise((r) => setTimeout(r, intervalMs));
    else if (i % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  await finished;
  const seconds = (Date.now() - started) / 1000;
  [source, ...viewersWs].forEach((w) => w.close());
  wss.close();
  return { p50: pct(latencies, 50), p99: pct(latencies, 99), perSecond: Math.round(EVENTS / seconds) };
}

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'proliferate-bench-sessions-'));
  // With DATABASE_URL, a scratch database next to it (never the one named there).
  const db = process.env.DATABASE_URL ? await scratchDatabase(process.env.DATABASE_URL) : await createDb({ dataDir: path.join(dataDir, 'pgdata') });
  await migrate(db);
  const config = loadConfig({ PORT: '0', PROLIFERATE_DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const runtime = await LocalRuntime.start({ config, db, logger: createLogger({ level: 'silent' }) });
  try {
    const owner = await signUpVerified(runtime.url, 'Bench', `bench-${randomBytes(3).toString('hex')}@bench.example`);
    await owner.post('/api/orgs', { name: 'Bench' });

    // 2. create → running, with the real daemon (no model configured: the agent is not needed to boot).
    const createTimes: number[] = [];
    let sessionId = '';
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const t = Date.now();
      const created = await owner.post('/api/sessions', { sandboxMode: 'immediate', title: `bench ${i}` });
      sessionId = created.body.id;
      ids.push(sessionId);
      for (;;) {
        const s = await owner.get(`/api/sessions/${sessionId}/status`);
        if (s.body.status === 'running') break;
        if (s.body.status === 'failed') throw new Error(s.body.lastError);
        await new Promise((r) => setTimeout(r, 10));
      }
      createTimes.push(Date.now() - t);
    }
    console.log(`session create → running (local provider, real daemon): ${createTimes.map((t) => `${t} ms`).join(', ')}`);

    // 1. relay.
    // Latency at a steady 50 events/s (one event per message: the daemon's frames usually carry several), then the
    // most events per second a burst gets through.
    for (const viewers of [1, 20]) {
      const r = await relayThroughRuntime(runtime, owner, sessionId, viewers, 500, 20);
      const b = await bareRelay(viewers, 500, 20);
      const rt = await relayThroughRuntime(runtime, owner, sessionId, viewers, EVENTS, 0);
      const bt = await bareRelay(viewers, EVENTS, 0);
      console.log(`${viewers} viewer(s): runtime p50 ${r.p50} ms, p99 ${r.p99} ms, burst ${rt.perSecond} events/s | bare ws p50 ${b.p50} ms, p99 ${b.p99} ms, burst ${bt.perSecond} events/s`);
    }

    // 3. replay of 10,000 events.
    const replayId = (await owner.post('/api/sessions', { sandboxMode: 'deferred', title: 'replay' })).body.id;
    for (let i = 0; i < 10_000; i += 500) {
      await appendEvents(db.db, replayId, Array.from({ length: 500 }, (_, j) => ({ event: { type: 'thought' as const, messageId: 'm', text: `event ${i + j} ${'x'.repeat(80)}` } })));
    }
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const ws = await open(runtime.url.replace(/^http/, 'ws') + '/ws', { cookie: owner.cookieHeader() });
    let got = 0;
    const t = Date.now();
    await new Promise<void>((resolve) => {
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString());
        if (m.type === 'events') got += m.events.length;
        if (m.type === 'subscribed') resolve();
      });
      ws.send(JSON.stringify({ type: 'subscribe', sessionId: replayId, afterSeq: 0 }));
    });
    clearInterval(sampler);
    ws.close();
    console.log(`replay of ${got} events to a reconnecting viewer: ${Date.now() - t} ms, server RSS +${((peak - rssBefore) / 1048576).toFixed(0)} MiB at peak`);
    for (const id of ids) await owner.delete(`/api/sessions/${id}`);
    await new Promise((r) => setTimeout(r, 2000));
  } finally {
    await runtime.stop(2000);
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function scratchDatabase(serverUrl: string) {
  const { default: postgres } = await import('postgres');
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe('drop database if exists bench_sessions with (force)');
  await admin.unsafe('create database bench_sessions');
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = '/bench_sessions';
  return createDb({ url: u.toString(), maxConnections: 10 });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
