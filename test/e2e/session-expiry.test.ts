import { realpathSync } from 'node:fs';
import path from 'node:path';
import { and, asc, eq } from 'drizzle-orm';
import { schedule, sandboxSession, sessionEvent } from '../../shared/db/schema';
import { sessionCheckName } from '../../shared/domain/sessions/check-schedule';
import { Client, eventually, signUpVerified, startRuntime, type TestRuntime } from '../support/runtime';
import { makeGitRepo } from '../support/git';

/**
 * Expiry on the embedded runtime, driven by each session's one-off check: local sandboxes report a 30-second lifetime
 * (SANDBOX_LIFETIME_SECONDS) and sessions act 20 seconds before it ends, so a check falls due about 10 seconds after a
 * sandbox starts. The sweeper's schedule is switched off, so whatever happens is the one-off schedules' doing.
 */
let rt: TestRuntime;
let owner: Client;
let configurationId: string;
const sessions: string[] = [];

beforeAll(async () => {
  rt = await startRuntime({ SANDBOX_LIFETIME_SECONDS: '30', SANDBOX_EXPIRY_GRACE_SECONDS: '20' });
  await rt.db.db.update(schedule).set({ enabled: false }).where(eq(schedule.name, 'session-sweep'));

  const repoDir = makeGitRepo(path.join(rt.dataDir, 'project'), { files: { 'README.md': '# Project\n' } });

  owner = await signUpVerified(rt.url, 'Owner', 'owner@expiry.example');
  await owner.post('/api/orgs', { name: 'Expiry Co' });
  const added = await owner.post('/api/repos', { path: realpathSync(repoDir) });
  configurationId = added.body.configuration.id;
}, 120_000);

afterAll(async () => {
  for (const id of sessions) await owner?.delete(`/api/sessions/${id}`);
  await eventually(
    async () => (await Promise.all(sessions.map(async (id) => (await row(id)) === undefined))).every(Boolean),
    20_000,
    'sessions deleted',
  ).catch(() => {});
  await rt?.stop();
});

const row = async (id: string) => (await rt.db.db.select().from(sandboxSession).where(eq(sandboxSession.id, id)))[0];
const checkOf = async (id: string) => (await rt.db.db.select().from(schedule).where(eq(schedule.name, sessionCheckName(id))))[0];
const statuses = async (id: string) =>
  (await rt.db.db.select().from(sessionEvent).where(and(eq(sessionEvent.sessionId, id), eq(sessionEvent.type, 'status'))).orderBy(asc(sessionEvent.seq))).map(
    (e) => e.payload as { status: string; pauseReason?: string },
  );

async function newSession(): Promise<string> {
  const created = await owner.post('/api/sessions', { configurationId, sandboxMode: 'immediate' });
  expect(created.status).toBe(201);
  sessions.push(created.body.id);
  return created.body.id;
}

describe('sandbox expiry on the embedded runtime, by one-off schedules', () => {
  it('moves a watched session to a new sandbox before its lifetime ends: viewers see migrating, then running', async () => {
    const id = await newSession();
    const viewer = await owner.socket();
    viewer.ws.send(JSON.stringify({ type: 'subscribe', sessionId: id, afterSeq: 0 }));
    const seen = () =>
      viewer.messages
        .filter((m) => m.type === 'events' && m.sessionId === id)
        .flatMap((m) => m.events)
        .filter((e: any) => e.event.type === 'status')
        .map((e: any) => e.event.status as string);
    await eventually(async () => seen().includes('running'), 60_000, 'the first sandbox running');
    const first = await row(id);

    await eventually(async () => seen().includes('migrating') && seen().lastIndexOf('running') > seen().indexOf('migrating'), 60_000, 'migrating, then running');

    const moved = await row(id);
    expect(moved.status).toBe('running');
    expect(moved.sandboxId).not.toBe(first.sandboxId);
    expect(moved.providerSandboxId).not.toBe(first.providerSandboxId);
    expect(moved.sandboxExpiresAt!.getTime()).toBeGreaterThan(first.sandboxExpiresAt!.getTime());
    // Nothing else asks for a migration: the sweeper never ran, and the session's check now stands for the new sandbox.
    // The worker schedules the new sandbox's check as its migration ends, which may be just after viewers see it running.
    const check = await eventually(async () => {
      const c = await checkOf(id);
      return c?.enabled ? c : null;
    }, 10_000, 'the check scheduled for the new sandbox');
    expect(check).toMatchObject({ enabled: true, target: 'arn:aws:sqs:local:000000000000:sessions' });
    expect(check.nextRunAt!.getTime()).toBeGreaterThanOrEqual(moved.sandboxExpiresAt!.getTime() - 20_000);
    const sweep = (await rt.db.db.select().from(schedule).where(eq(schedule.name, 'session-sweep')))[0];
    expect(sweep).toMatchObject({ enabled: false, lastRunAt: null });
    viewer.ws.close();
  }, 120_000);

  it('pauses a session nobody watches when its sandbox nears its end, with reason inactivity', async () => {
    const id = await newSession();

    // The row says paused a moment before the status event is logged: wait for both.
    await eventually(async () => (await row(id)).status === 'paused' && (await statuses(id)).some((e) => e.status === 'paused'), 60_000, 'the session paused');

    expect(await row(id)).toMatchObject({ status: 'paused', pauseReason: 'inactivity' });
    expect((await statuses(id)).map((s) => s.status)).toEqual(['starting', 'running', 'paused']);
    expect((await statuses(id)).at(-1)).toMatchObject({ pauseReason: 'inactivity' });
    const view = await owner.get(`/api/sessions/${id}`);
    expect(view.body).toMatchObject({ status: 'paused', pauseReason: 'inactivity', displayStatus: 'idle' });
    // Paused: its check is gone.
    expect(await checkOf(id)).toBeUndefined();
  }, 120_000);

  it('delivers a one-off schedule that fell due while the runtime was down once it is back', async () => {
    const id = sessions[1];
    const s = await row(id);
    const name = `resume-${id}`;
    const due = new Date(Date.now() + 1500);
    await rt.runtime.container.scheduler.at(name, due, {
      queue: 'sessions',
      body: { id: name, topic: 'session.command', payload: { sessionId: id, organizationId: s.organizationId, command: 'start' } },
    });

    await rt.restart({
      whileDown: async () => {
        await new Promise((r) => setTimeout(r, Math.max(0, due.getTime() - Date.now()) + 1500));
        const [pending] = await rt.db.db.select().from(schedule).where(eq(schedule.name, name));
        expect(pending).toMatchObject({ enabled: true, lastRunAt: null });
        expect((await row(id)).status).toBe('paused');
      },
    });

    await eventually(async () => ['starting', 'running'].includes((await row(id)).status), 30_000, 'the session started by the schedule');
    const [fired] = await rt.db.db.select().from(schedule).where(eq(schedule.name, name));
    expect(fired).toMatchObject({ enabled: false });
    expect(fired.lastRunAt).not.toBeNull();
  }, 120_000);
});
