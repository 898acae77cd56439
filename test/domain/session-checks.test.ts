import { eq, sql } from 'drizzle-orm';
import { LocalQueue } from '../../infra/local/queue';
import { LocalScheduler, RUNTIME_GROUP } from '../../infra/local/scheduler';
import { QueueEnvelope, SessionCommandMessage } from '../../shared/contracts/messages';
import type { DbHandle } from '../../shared/db/client';
import { queueMessage, sandboxSession, schedule, sessionSubscription } from '../../shared/db/schema';
import { checkSession } from '../../shared/domain/sessions/check';
import { sessionCheckName, viewersLeft } from '../../shared/domain/sessions/check-schedule';
import { decideSession, DEFAULT_CHECK_SETTINGS } from '../../shared/domain/sessions/decision';
import { appendEvents } from '../../shared/domain/sessions/events';
import { markRunning, pauseSession, startSession, terminateSession, type SandboxRuntimeDeps } from '../../shared/domain/sessions/runtime';
import { createSession } from '../../shared/domain/sessions/sessions';
import * as orgs from '../../shared/domain/orgs/organizations';
import type { SandboxHandle } from '../../shared/sandbox/provider';
import { createLogger } from '../../shared/runtime/logger';
import { loadConfig } from '../../shared/config';
import { GoneConnectionError } from '../../shared/ports';
import { broadcastToSession } from '../../shared/realtime/session-gateway';
import type { Container } from '../../shared/runtime/container';
import { testDb } from '../support/db';
import { FakeProvider } from '../support/fake-provider';
import { makeUser, ManualClock, refresh } from '../support/fixtures';

const minutes = (n: number) => n * 60_000;
const LIFETIME = minutes(60);
const GRACE = DEFAULT_CHECK_SETTINGS.expiryGraceMs;

/** The fake provider with a cloud provider's lifetime: every sandbox it makes or resumes ends an hour later. */
class ExpiringProvider extends FakeProvider {
  constructor(private readonly clock: ManualClock) {
    super();
  }
  override async create(...args: Parameters<FakeProvider['create']>): Promise<SandboxHandle> {
    return { ...(await super.create(...args)), expiresAt: new Date(this.clock.now().getTime() + LIFETIME) };
  }
  override async resume(...args: Parameters<FakeProvider['resume']>): Promise<SandboxHandle> {
    return { ...(await super.resume(...args)), expiresAt: new Date(this.clock.now().getTime() + LIFETIME) };
  }
}

let h: DbHandle;
beforeAll(async () => {
  h = await testDb();
});
afterAll(async () => h.close());

/**
 * The lifecycle with the embedded runtime's scheduler and queue on the test database, all on a clock the test moves:
 * a check fires only when the test calls `fire()`, and arrives as the message the session worker would receive.
 */
function world() {
  // Event log appends stamp real time; starting the manual clock at the real second keeps the two close.
  const clock = new ManualClock(new Date(Math.floor(Date.now() / 1000) * 1000));
  const logger = createLogger({ level: 'silent' });
  const queue = new LocalQueue({ db: h.db, clock });
  const scheduler = new LocalScheduler({ db: h.db, clock, logger, invoke: async () => {}, send: (q, body) => queue.send(q, body), scheduledQueues: ['sessions'] });
  const provider = new ExpiringProvider(clock);
  const deps: SandboxRuntimeDeps = {
    db: h.db,
    clock,
    logger,
    scheduler,
    sockets: { postToConnection: async () => {}, deleteConnection: async () => {} },
    providers: () => provider,
    daemon: async () => ({ path: '/nowhere/daemon.js', version: 'v-test' }),
    endpoints: { apiUrl: 'http://127.0.0.1:1', wsUrl: 'ws://127.0.0.1:1/ws' },
    sandboxSecret: 'test-secret-0123456789abcdef0123456789',
    publish: (id, items) => appendEvents(h.db, id, items),
    snapshotWaitMs: 0,
  };
  /** Fires what is due and hands back the check messages that reached the sessions queue (and takes them off it). */
  const fire = async (): Promise<SessionCommandMessage[]> => {
    await scheduler.runDue();
    const rows = await h.db.delete(queueMessage).where(eq(queueMessage.queue, 'sessions')).returning();
    return rows.map((r) => SessionCommandMessage.parse(QueueEnvelope.parse(JSON.parse(r.body)).payload));
  };
  return { clock, scheduler, provider, deps, fire };
}

async function newSession(options: { watched: boolean }) {
  const u = await makeUser(h.db);
  await orgs.createOrganization(h.db, u, { name: `Checks ${Math.random()}` });
  const caller = await orgs.resolveOrgCaller(h.db, await refresh(h.db, u));
  const s = await createSession({ db: h.db, defaultProvider: 'local', publish: (id, items) => appendEvents(h.db, id, items) }, caller, { sessionType: 'coding', sandboxMode: 'deferred' });
  if (options.watched) await h.db.insert(sessionSubscription).values({ connectionId: `conn-${s.id}`, sessionId: s.id });
  return s.id;
}

const row = async (id: string) => (await h.db.select().from(sandboxSession).where(eq(sandboxSession.id, id)))[0];
const checkOf = (id: string) => h.db.select().from(schedule).where(eq(schedule.name, sessionCheckName(id))).then((r) => r[0]);

/** Time passes with the sandbox's daemon reporting in all along (its heartbeats keep it from being orphaned). */
async function later(w: ReturnType<typeof world>, ms: number) {
  w.clock.advance(ms);
  await h.db.update(sandboxSession).set({ lastSeenAliveAt: w.clock.now() }).where(eq(sandboxSession.status, 'running'));
}

/** Starts the session's sandbox and lets its daemon say hello, as a worker and the gateway would. */
async function running(w: ReturnType<typeof world>, id: string) {
  expect(await startSession(w.deps, id)).toBe('started');
  expect(await markRunning(w.deps, id, (await row(id)).sandboxId!)).toBe(true);
}

describe("a session's one-off check", () => {
  beforeEach(async () => {
    await h.db.execute(sql`delete from ${schedule}`);
    await h.db.execute(sql`delete from ${queueMessage}`);
  });

  it('is scheduled when the sandbox starts: at the expiry grace when watched, at the idle timeout when not', async () => {
    const w = world();
    const watched = await newSession({ watched: true });
    const alone = await newSession({ watched: false });

    await running(w, watched);
    await running(w, alone);

    const expiresAt = (await row(watched)).sandboxExpiresAt!;
    expect(expiresAt).toEqual(new Date(w.clock.now().getTime() + LIFETIME));
    expect(await checkOf(watched)).toMatchObject({
      groupName: RUNTIME_GROUP,
      nextRunAt: new Date(expiresAt.getTime() - GRACE),
      target: 'arn:aws:sqs:local:000000000000:sessions',
      payload: { topic: 'session.command', payload: { sessionId: watched, command: 'check' } },
      enabled: true,
    });
    // Nobody watches: idle after SESSION_IDLE_MINUTES (30) from its last activity, before the sandbox's end.
    const idleAt = (await row(alone)).lastActivityAt.getTime() + minutes(30);
    expect(Math.abs((await checkOf(alone)).nextRunAt!.getTime() - idleAt)).toBeLessThanOrEqual(1000);
  });

  it('migrates a watched session when it fires, and is rescheduled for the new sandbox', async () => {
    const w = world();
    const id = await newSession({ watched: true });
    await running(w, id);
    const first = await row(id);

    await later(w, LIFETIME - GRACE - 1000);
    expect(await w.fire()).toEqual([]);
    await later(w, 1000);
    const [delivered] = await w.fire();
    expect(delivered).toMatchObject({ sessionId: id, command: 'check' });
    expect(await checkSession(w.deps, delivered.sessionId)).toBe('migrated');

    const moved = await row(id);
    expect(moved).toMatchObject({ status: 'migrating' });
    expect(moved.sandboxId).not.toBe(first.sandboxId);
    expect(moved.sandboxExpiresAt).toEqual(new Date(w.clock.now().getTime() + LIFETIME));
    expect((await checkOf(id)).nextRunAt).toEqual(new Date(moved.sandboxExpiresAt!.getTime() - GRACE));
    expect(w.provider.calls.filter((c) => c.startsWith('snapshot:') || c.startsWith('create:'))).toHaveLength(3);
  });

  it('pauses an unwatched session reaching its sandbox’s end with reason inactivity', async () => {
    const w = world();
    const id = await newSession({ watched: false });
    await running(w, id);
    // The agent is busy all along (no idle pause), so at its idle time the check only looks again, at the sandbox's end.
    await h.db.update(sandboxSession).set({ agentBusy: true }).where(eq(sandboxSession.id, id));
    // (Its last activity is the start's status event, stamped a fraction of a second after the clock's start.)
    await later(w, minutes(31));
    const [idle] = await w.fire();
    expect(await checkSession(w.deps, idle.sessionId)).toBe('rescheduled');
    expect((await checkOf(id)).nextRunAt).toEqual(new Date((await row(id)).sandboxExpiresAt!.getTime() - GRACE));

    await later(w, LIFETIME - GRACE - minutes(31));
    const [end] = await w.fire();
    expect(await checkSession(w.deps, end.sessionId)).toBe('paused');

    expect(await row(id)).toMatchObject({ status: 'paused', pauseReason: 'inactivity' });
    expect(await checkOf(id)).toBeUndefined();
  });

  it('is cancelled when the session pauses or ends; a late check then changes nothing', async () => {
    const w = world();
    const paused = await newSession({ watched: true });
    const ended = await newSession({ watched: true });
    await running(w, paused);
    await running(w, ended);
    expect(await checkOf(paused)).toBeDefined();

    expect(await pauseSession(w.deps, paused, 'manual')).toBe('paused');
    await terminateSession(w.deps, ended, { deleteRow: false });

    expect(await checkOf(paused)).toBeUndefined();
    expect(await checkOf(ended)).toBeUndefined();
    w.clock.advance(LIFETIME);
    expect(await w.fire()).toEqual([]);
    // A check that was already on its way when the session paused (at least once: it may still arrive).
    const calls = w.provider.calls.length;
    expect(await checkSession(w.deps, paused)).toBe('nothing');
    expect(await row(paused)).toMatchObject({ status: 'paused', pauseReason: 'manual' });
    expect(w.provider.calls).toHaveLength(calls);
    expect(await checkOf(paused)).toBeUndefined();
  });

  it('delivered early, does nothing and keeps its time; delivered twice, acts once', async () => {
    const w = world();
    const id = await newSession({ watched: true });
    await running(w, id);
    const due = (await checkOf(id)).nextRunAt!;

    await later(w, minutes(10));
    expect(await checkSession(w.deps, id)).toBe('rescheduled');
    expect((await checkOf(id)).nextRunAt).toEqual(due);
    expect((await row(id)).status).toBe('running');

    await later(w, due.getTime() - w.clock.now().getTime());
    const [check] = await w.fire();
    const outcomes = [await checkSession(w.deps, check.sessionId), await checkSession(w.deps, check.sessionId)];
    expect(outcomes).toEqual(['migrated', 'rescheduled']);
    expect(w.provider.calls.filter((c) => c.startsWith('snapshot:'))).toHaveLength(1);
    // Once the new sandbox runs, the repeat finds its lifetime far off and schedules for it.
    const moved = await row(id);
    await markRunning(w.deps, id, moved.sandboxId!);
    expect(await checkSession(w.deps, id)).toBe('rescheduled');
    expect((await checkOf(id)).nextRunAt).toEqual(new Date(moved.sandboxExpiresAt!.getTime() - GRACE));
    expect(w.provider.calls.filter((c) => c.startsWith('snapshot:'))).toHaveLength(1);
  });

  it('when the last viewer leaves, idles from then; fresh activity moves it on; then it pauses the idle session', async () => {
    const w = world();
    const id = await newSession({ watched: true });
    await running(w, id);
    await later(w, minutes(5));

    await h.db.delete(sessionSubscription).where(eq(sessionSubscription.sessionId, id));
    await viewersLeft(w.deps, [id]);
    expect((await row(id)).lastActivityAt).toEqual(w.clock.now());
    expect((await checkOf(id)).nextRunAt).toEqual(new Date(w.clock.now().getTime() + minutes(30)));

    // The agent works on for a while (each logged event moves lastActivityAt; the check is not moved for it).
    await later(w, minutes(10));
    await h.db.update(sandboxSession).set({ lastActivityAt: w.clock.now() }).where(eq(sandboxSession.id, id));
    await later(w, minutes(20));
    const [early] = await w.fire();
    expect(await checkSession(w.deps, early.sessionId)).toBe('rescheduled');
    expect((await row(id)).status).toBe('running');
    expect((await checkOf(id)).nextRunAt).toEqual(new Date(w.clock.now().getTime() + minutes(10)));

    await later(w, minutes(10));
    const [due] = await w.fire();
    expect(await checkSession(w.deps, due.sessionId)).toBe('paused');
    expect(await row(id)).toMatchObject({ status: 'paused', pauseReason: 'inactivity' });
  });

  it('a viewer found gone while events go out (no $disconnect came) has left: the idle check is scheduled from then', async () => {
    const w = world();
    const id = await newSession({ watched: true });
    await running(w, id);
    const watchedCheck = (await checkOf(id)).nextRunAt!;
    await later(w, minutes(5));
    const c = {
      db: h.db,
      clock: w.clock,
      logger: createLogger({ level: 'silent' }),
      scheduler: w.scheduler,
      config: loadConfig({}),
      sockets: {
        postToConnection: async (connectionId: string) => {
          throw new GoneConnectionError(connectionId);
        },
        deleteConnection: async () => {},
      },
    } as unknown as Container;

    expect(await broadcastToSession(c, id, { type: 'status', sessionId: id, status: 'running' } as never)).toBe(0);

    expect(await h.db.select().from(sessionSubscription).where(eq(sessionSubscription.sessionId, id))).toEqual([]);
    expect((await row(id)).lastActivityAt).toEqual(w.clock.now());
    const check = (await checkOf(id)).nextRunAt!;
    expect(check).toEqual(new Date(w.clock.now().getTime() + minutes(30)));
    expect(check.getTime()).toBeLessThan(watchedCheck.getTime());
  });

  it('an idle pause finds a viewer who arrived after the decision: the session stays up and is looked at again', async () => {
    const w = world();
    const id = await newSession({ watched: false });
    await running(w, id);
    await later(w, minutes(31));
    const [due] = await w.fire();
    // Between the check's decision and the pause, someone opens the session.
    await h.db.insert(sessionSubscription).values({ connectionId: `late-${id}`, sessionId: id });
    expect(await pauseSession(w.deps, due.sessionId, 'inactivity')).toBe('skipped');
    expect((await row(id)).status).toBe('running');
    expect(w.provider.calls.filter((c) => c.startsWith('pause:'))).toEqual([]);
    expect((await checkOf(id)).nextRunAt!.getTime()).toBeGreaterThan(w.clock.now().getTime());
    // A pause someone asked for is not held back by viewers.
    expect(await pauseSession(w.deps, id, 'manual')).toBe('paused');
  });

  it('a viewer still there keeps the session from idling; the check looks again at the sandbox’s end', async () => {
    const w = world();
    const id = await newSession({ watched: false });
    await running(w, id);
    const idleAt = (await checkOf(id)).nextRunAt!;
    await h.db.insert(sessionSubscription).values({ connectionId: `late-${id}`, sessionId: id });

    await later(w, idleAt.getTime() - w.clock.now().getTime());
    const [check] = await w.fire();
    expect(await checkSession(w.deps, check.sessionId)).toBe('rescheduled');

    expect((await row(id)).status).toBe('running');
    expect((await checkOf(id)).nextRunAt).toEqual(new Date((await row(id)).sandboxExpiresAt!.getTime() - GRACE));
  });

  it('a scheduler that fails does not fail the start: the sweeper is the backstop', async () => {
    const w = world();
    const refusing = new LocalScheduler({ db: h.db, clock: w.clock, logger: createLogger({ level: 'silent' }), invoke: async () => {}, scheduledQueues: [] });
    const id = await newSession({ watched: true });

    expect(await startSession({ ...w.deps, scheduler: refusing }, id)).toBe('started');

    expect(await checkOf(id)).toBeUndefined();
    expect((await row(id)).status).toBe('starting');
  });
});

describe('decideSession, the rule the sweeper and the checks share', () => {
  const now = new Date('2026-11-26T10:00:00Z');
  const at = (ms: number) => new Date(now.getTime() + ms);
  const facts = {
    status: 'running',
    sandboxExpiresAt: at(minutes(60)),
    lastActivityAt: at(-minutes(5)),
    lastSeenAliveAt: at(-1000),
    startedAt: at(-minutes(5)),
    updatedAt: at(-minutes(5)),
    agentBusy: false,
    idleTimeoutMinutes: 30,
  };

  it('names the earliest time something may fall due, or acts when it has', () => {
    expect(decideSession(facts, true, now)).toEqual({ action: 'none', checkAt: at(minutes(55)) });
    expect(decideSession(facts, false, now)).toEqual({ action: 'none', checkAt: at(minutes(25)) });
    const alive = (ms: number) => ({ ...facts, lastSeenAliveAt: at(ms) });
    expect(decideSession(alive(minutes(25)), false, at(minutes(25)))).toEqual({ action: 'pause', reason: 'inactivity', why: 'idle' });
    expect(decideSession(alive(minutes(55)), true, at(minutes(55)))).toEqual({ action: 'migrate' });
    expect(decideSession({ ...alive(minutes(55)), agentBusy: true }, false, at(minutes(55)))).toEqual({ action: 'pause', reason: 'inactivity', why: 'expiry' });
    expect(decideSession({ ...facts, lastSeenAliveAt: at(-minutes(4)) }, true, now)).toEqual({ action: 'pause', reason: 'orphaned', why: 'orphaned' });
  });

  it('never idles a busy agent, and looks again a timeout later', () => {
    const busy = { ...facts, agentBusy: true, lastActivityAt: at(-minutes(45)) };
    expect(decideSession(busy, false, now)).toEqual({ action: 'none', checkAt: at(minutes(30)) });
  });

  it('acts only on running sessions; a start that hangs fails; a session without a sandbox has nothing to check', () => {
    expect(decideSession({ ...facts, status: 'migrating' }, true, at(minutes(58)))).toEqual({ action: 'none', checkAt: at(minutes(55)) });
    expect(decideSession({ ...facts, status: 'starting', updatedAt: at(-minutes(10)) }, true, now)).toEqual({ action: 'fail_start' });
    expect(decideSession({ ...facts, status: 'paused' }, false, at(minutes(90)))).toEqual({ action: 'none', checkAt: null });
    expect(decideSession({ ...facts, sandboxExpiresAt: null }, true, now)).toEqual({ action: 'none', checkAt: null });
  });
});
