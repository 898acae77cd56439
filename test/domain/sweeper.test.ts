import { eq, sql } from 'drizzle-orm';
import type { DbHandle } from '../../shared/db/client';
import { outbox, sandboxSession, sessionSubscription } from '../../shared/db/schema';
import { appendEvents } from '../../shared/domain/sessions/events';
import { createSession } from '../../shared/domain/sessions/sessions';
import { sweepSessions } from '../../shared/domain/sessions/sweeper';
import * as orgs from '../../shared/domain/orgs/organizations';
import { testDb } from '../support/db';
import { makeUser, refresh } from '../support/fixtures';

let h: DbHandle;
beforeAll(async () => {
  h = await testDb();
});
afterAll(async () => h.close());

const minutes = (n: number) => n * 60_000;

async function liveSession(patch: Partial<typeof sandboxSession.$inferInsert>) {
  const u = await makeUser(h.db);
  await orgs.createOrganization(h.db, u, { name: `Sweep ${Math.random()}` });
  const caller = await orgs.resolveOrgCaller(h.db, await refresh(h.db, u));
  const s = await createSession({ db: h.db, defaultProvider: 'local', publish: (id, items) => appendEvents(h.db, id, items) }, caller, { sessionType: 'coding', sandboxMode: 'deferred' });
  const now = Date.now();
  await h.db
    .update(sandboxSession)
    .set({ status: 'running', sandboxId: 'sbx_x', providerSandboxId: 'p_x', lastSeenAliveAt: new Date(now), lastActivityAt: new Date(now), updatedAt: new Date(now), ...patch })
    .where(eq(sandboxSession.id, s.id));
  return s.id;
}

describe('the session sweeper', () => {
  beforeEach(async () => {
    await h.db.execute(sql`delete from ${sandboxSession}`);
    await h.db.execute(sql`delete from ${outbox}`);
  });

  it('pauses sessions whose runtime stopped reporting as orphaned', async () => {
    const id = await liveSession({ lastSeenAliveAt: new Date(Date.now() - minutes(10)) });
    expect(await sweepSessions({ db: h.db, clock: { now: () => new Date() } })).toEqual([expect.objectContaining({ sessionId: id, command: 'pause', reason: 'orphaned' })]);
    expect((await h.db.select().from(outbox)).map((r) => r.payload)).toEqual([expect.objectContaining({ sessionId: id, command: 'pause' })]);
  });

  it('pauses idle sessions nobody watches, and leaves watched or busy ones alone', async () => {
    const idle = await liveSession({ lastActivityAt: new Date(Date.now() - minutes(45)) });
    const busy = await liveSession({ lastActivityAt: new Date(Date.now() - minutes(45)), agentBusy: true });
    const watched = await liveSession({ lastActivityAt: new Date(Date.now() - minutes(45)) });
    await h.db.insert(sessionSubscription).values({ connectionId: 'conn-1', sessionId: watched });
    const fresh = await liveSession({});
    const commands = await sweepSessions({ db: h.db, clock: { now: () => new Date() } });
    expect(commands).toEqual([{ sessionId: idle, organizationId: expect.any(String), command: 'pause', reason: 'inactivity' }]);
    expect(commands.map((c) => c.sessionId)).not.toEqual(expect.arrayContaining([busy, watched, fresh]));
  });

  it('migrates sessions near their provider lifetime when watched, pauses them when not', async () => {
    const soon = new Date(Date.now() + minutes(2));
    const watched = await liveSession({ sandboxExpiresAt: soon });
    await h.db.insert(sessionSubscription).values({ connectionId: 'conn-2', sessionId: watched });
    const alone = await liveSession({ sandboxExpiresAt: soon });
    const commands = await sweepSessions({ db: h.db, clock: { now: () => new Date() } });
    expect(commands).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ sessionId: watched, command: 'migrate' }),
        expect.objectContaining({ sessionId: alone, command: 'pause', reason: 'inactivity' }),
      ]),
    );
  });

  it('looks at every live session, a page at a time, watched ones told apart on each page', async () => {
    const idle = [];
    for (let i = 0; i < 5; i++) idle.push(await liveSession({ lastActivityAt: new Date(Date.now() - minutes(45)) }));
    await h.db.insert(sessionSubscription).values({ connectionId: 'conn-3', sessionId: idle[3] });
    const commands = await sweepSessions({ db: h.db, clock: { now: () => new Date() } }, undefined, 2);
    expect(commands.map((c) => c.sessionId).sort()).toEqual(idle.filter((_, i) => i !== 3).sort());
  });

  it('fails sessions stuck starting', async () => {
    const id = await liveSession({ status: 'starting', updatedAt: new Date(Date.now() - minutes(20)) });
    await sweepSessions({ db: h.db, clock: { now: () => new Date() } });
    const [s] = await h.db.select().from(sandboxSession).where(eq(sandboxSession.id, id));
    expect(s).toMatchObject({ status: 'failed', lastError: 'The sandbox did not come up in time' });
  });
});
