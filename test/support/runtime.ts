import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { loadConfig } from '../../shared/config';
import { createLogger } from '../../shared/runtime/logger';
import { LocalRuntime } from '../../infra/local/runtime';
import { eq } from 'drizzle-orm';
import { queueMessage, workflowExecution } from '../../shared/db/schema';
import { testDb } from './db';

export interface TestRuntime {
  runtime: LocalRuntime;
  url: string;
  db: Awaited<ReturnType<typeof testDb>>;
  dataDir: string;
  /**
   * Stops the runtime (not the database) and starts a new one on the same data and port, as a process restart would;
   * `whileDown` runs in between.
   */
  restart(options?: { whileDown?: () => Promise<void> }): Promise<void>;
  stop(): Promise<void>;
}

/** The embedded runtime on a free port over a fresh database, as `npm start` runs it. */
export async function startRuntime(env: Record<string, string> = {}, options: { staticDir?: string } = {}): Promise<TestRuntime> {
  const db = await testDb();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'proliferate-test-'));
  const config = loadConfig({ PORT: '0', PROLIFERATE_DATA_DIR: dataDir, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', NODE_ENV: 'test', ...env });
  const start = (cfg: typeof config) =>
    LocalRuntime.start({
      config: cfg,
      db,
      logger: createLogger({ level: cfg.LOG_LEVEL }),
      staticDir: options.staticDir ?? path.join(dataDir, 'no-frontend'),
      // Workflows retry in milliseconds, not seconds, so background builds settle before a test file ends.
      workflowOverrides: { retryIntervalMs: 20, waitMs: 20 },
    });
  const t: TestRuntime = {
    runtime: await start(config),
    url: '',
    db,
    dataDir,
    async restart(options = {}) {
      await t.runtime.stop(1000);
      await options.whileDown?.();
      // Same port and address: sandboxes reconnect to where they were told the platform is.
      t.runtime = await start({ ...config, PORT: t.runtime.port, PUBLIC_URL: t.url, publicUrl: t.url });
    },
    async stop() {
      // Let background work (snapshot builds, queued commands) finish first: it must not outlive its database.
      await eventually(async () => {
        const running = await db.db.select({ id: workflowExecution.id }).from(workflowExecution).where(eq(workflowExecution.status, 'RUNNING')).limit(1);
        const queued = await db.db.select({ id: queueMessage.id }).from(queueMessage).limit(1);
        return running.length === 0 && queued.length === 0;
      }, 20_000, 'background work to finish').catch(() => {});
      await t.runtime.stop(1000);
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  t.url = t.runtime.url;
  return t;
}

/** A user agent with a cookie jar, speaking JSON to the API the way the dashboard does. */
export class Client {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string, readonly headers: Record<string, string> = {}) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(this.base + path, {
      method,
      redirect: 'manual',
      headers: {
        origin: this.base,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookies.size ? { cookie: this.cookieHeader() } : {}),
        ...this.headers,
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /max-age=0/i.test(a.trim())) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, body: json as Record<string, any>, text };
  }

  get = (path: string, headers?: Record<string, string>) => this.request('GET', path, undefined, headers);
  post = (path: string, body: unknown = {}, headers?: Record<string, string>) => this.request('POST', path, body, headers);
  patch = (path: string, body: unknown, headers?: Record<string, string>) => this.request('PATCH', path, body, headers);
  delete = (path: string, headers?: Record<string, string>) => this.request('DELETE', path, undefined, headers);

  /** Opens the realtime WebSocket with this client's session cookie. */
  socket(): Promise<{ ws: WebSocket; messages: any[]; next(pred: (m: any) => boolean, timeoutMs?: number): Promise<any> }> {
    const ws = new WebSocket(this.base.replace(/^http/, 'ws') + '/ws', { headers: { cookie: this.cookieHeader(), origin: this.base } });
    const messages: any[] = [];
    const waiters: { pred: (m: any) => boolean; resolve: (m: any) => void }[] = [];
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      messages.push(m);
      for (const w of [...waiters]) if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    });
    const next = (pred: (m: any) => boolean, timeoutMs = 10_000) =>
      new Promise<any>((resolve, reject) => {
        const found = messages.find(pred);
        if (found) return resolve(found);
        const t = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`)), timeoutMs);
        waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
      });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.on('error', () => {});
        resolve({ ws, messages, next });
      });
      ws.once('unexpected-response', (_req, res) => reject(new Error(`websocket refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }
}

/** Polls until `fn` returns a value (not undefined/null/false), or fails after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Signs up and verifies through the dev mailbox, as a person would; returns a signed-in client. */
export async function signUpVerified(base: string, name: string, email: string, password = 'correct horse battery'): Promise<Client> {
  const client = new Client(base);
  const signUp = await client.post('/api/auth/sign-up/email', { name, email, password, callbackURL: '/onboarding' });
  if (signUp.status !== 200) throw new Error(`sign-up failed: ${signUp.status} ${signUp.text}`);
  const link = await verificationLink(client, email);
  const verified = await client.get(link.replace(base, ''));
  if (verified.status !== 302) throw new Error(`verification failed: ${verified.status} ${verified.text}`);
  return client;
}

export async function verificationLink(client: Client, email: string): Promise<string> {
  const mail = await eventually(async () => {
    const box = await client.get(`/api/dev/mail?to=${encodeURIComponent(email)}`);
    return box.body?.messages?.find((m: any) => m.subject.includes('Verify'));
  }, 10_000, `verification mail to ${email}`);
  const url = mail.text.match(/https?:\/\/\S+verify-email\S+/)?.[0];
  if (!url) throw new Error(`no link in ${mail.text}`);
  return url;
}
