import { eq } from 'drizzle-orm';
import { LocalScheduler } from '../../infra/local/scheduler';
import type { DbHandle } from '../../shared/db/client';
import { outbox, pendingPrompt, sandboxBaseSnapshot, sandboxSession, sessionToolCall } from '../../shared/db/schema';
import { appendEvents, compactMessage, readEvents } from '../../shared/domain/sessions/events';
import { canTransition, displayStatus } from '../../shared/domain/sessions/lifecycle';
import { markRunning, migrateSession, pauseSession, startSession, type SandboxRuntimeDeps } from '../../shared/domain/sessions/runtime';
import { mintSandboxToken, verifySandboxToken } from '../../shared/domain/sessions/sandbox-token';
import { createSession, requestCommand, sendPrompt } from '../../shared/domain/sessions/sessions';
import { runPlatformTool } from '../../shared/domain/sessions/tools';
import * as orgs from '../../shared/domain/orgs/organizations';
import type { ObjectsPort, SocketsPort } from '../../shared/ports';
import { createLogger } from '../../shared/runtime/logger';
import { testDb } from '../support/db';
import { FakeProvider } from '../support/fake-provider';
import { makeUser, outcome, refresh } from '../support/fixtures';

let h: DbHandle;
beforeAll(async () => {
  h = await testDb();
});
afterAll(async () => h.close());

const sockets: SocketsPort = { postToConnection: async () => {}, deleteConnection: async () => {} };

function deps(provider: FakeProvider): SandboxRuntimeDeps {
  return {
    db: h.db,
    clock: { now: () => new Date() },
    logger: createLogger({ level: 'silent' }),
    // The embedded runtime's scheduler on the same database, not started: sessions' checks are rows nothing fires.
    scheduler: new LocalScheduler({ db: h.db, logger: createLogger({ level: 'silent' }), invoke: async () => {}, scheduledQueues: ['sessions'] }),
    sockets,
    providers: () => provider,
    daemon: async () => ({ path: '/nowhere/daemon.js', version: 'v-test' }),
    endpoints: { apiUrl: 'http://127.0.0.1:1', wsUrl: 'ws://127.0.0.1:1/ws' },
    sandboxSecret: 'test-secret-0123456789abcdef0123456789',
    publish: (id, items) => appendEvents(h.db, id, items),
    snapshotWaitMs: 0,
  };
}

async function orgCaller() {
  const u = await makeUser(h.db);
  await orgs.createOrganization(h.db, u, { name: `Sessions ${Math.random()}` });
  return orgs.resolveOrgCaller(h.db, await refresh(h.db, u));
}

async function newSession() {
  const caller = await orgCaller();
  const s = await createSession({ db: h.db, defaultProvider: 'local', publish: (id, items) => appendEvents(h.db, id, items) }, caller, { sessionType: 'coding', sandboxMode: 'deferred' });
  return { caller, id: s.id };
}

const row = async (id: string) => (await h.db.select().from(sandboxSession).where(eq(sandboxSession.id, id)))[0];

describe('session lifecycle', () => {
  it('allows only the transitions of the table, and derives the display status', () => {
    expect(canTransition('running', 'paused')).toBe(true);
    expect(canTransition('stopped', 'running')).toBe(false);
    expect(canTransition('paused', 'paused')).toBe(false);
    expect(displayStatus('paused', 'inactivity')).toBe('idle');
    expect(displayStatus('paused', 'orphaned')).toBe('recovering');
    expect(displayStatus('paused', 'credit_limit')).toBe('blocked');
    expect(displayStatus('stopped', 'snapshot_failed')).toBe('failed');
  });

  it('refuses illegal commands with a 409', async () => {
    const { caller, id } = await newSession();
    expect(await outcome(requestCommand(h.db, caller, id, 'pause'))).toBe('conflict:illegal_transition');
    expect(await outcome(requestCommand(h.db, caller, id, 'snapshot'))).toBe('conflict:illegal_transition');
    expect(await outcome(requestCommand(h.db, caller, id, 'start'))).toBe('ok');
  });

  it('starts once even when two workers try; running comes from the current sandbox only', async () => {
    const provider = new FakeProvider();
    provider.delayMs = 30;
    const { id } = await newSession();
    const results = await Promise.all([startSession(deps(provider), id), startSession(deps(provider), id)]);
    expect(results.sort()).toEqual(['skipped', 'started']);
    const s = await row(id);
    expect(s.status).toBe('starting');
    expect(provider.calls.filter((c) => c.startsWith('create'))).toHaveLength(1);
    expect(await markRunning(deps(provider), id, 'sbx_someone_else')).toBe(false);
    expect(await markRunning(deps(provider), id, s.sandboxId!)).toBe(true);
    expect((await row(id)).status).toBe('running');
    const statuses = (await readEvents(h.db, id, 0)).filter((e) => e.event.type === 'status').map((e) => (e.event as { status: string }).status);
    expect(statuses).toEqual(['starting', 'running']);
  });

  it("starts from the provider's base layer once it is ready, and has one built until then", async () => {
    const provider = new FakeProvider();
    provider.capabilities = { ...provider.capabilities, baseSnapshot: { daemonDir: '/home/user/.proliferate' } };
    await h.db.delete(sandboxBaseSnapshot).where(eq(sandboxBaseSnapshot.versionKey, 'v-test'));

    const first = await newSession();
    await startSession(deps(provider), first.id);
    expect(provider.calls.find((c) => c.startsWith('create:'))).toMatch(/:-$/);
    const [building] = await h.db.select().from(sandboxBaseSnapshot).where(eq(sandboxBaseSnapshot.versionKey, 'v-test'));
    expect(building).toMatchObject({ provider: 'local', status: 'building' });
    const starts = await h.db.select({ payload: outbox.payload }).from(outbox).where(eq(outbox.topic, 'workflow.start'));
    expect(starts.map((s) => s.payload)).toContainEqual({
      stateMachine: 'snapshot-build',
      name: `base-local-${building.buildId}`,
      input: { kind: 'base', provider: 'local', versionKey: 'v-test', buildId: building.buildId },
    });

    await h.db.update(sandboxBaseSnapshot).set({ status: 'ready', snapshotId: 'snap-base-1' }).where(eq(sandboxBaseSnapshot.versionKey, 'v-test'));
    const second = await newSession();
    await startSession(deps(provider), second.id);
    expect(provider.calls.filter((c) => c.startsWith('create:')).at(-1)).toMatch(/:snap-base-1$/);
    // A session's own snapshot still comes first.
    await h.db.update(sandboxSession).set({ status: 'paused', snapshotId: 'snap-own' }).where(eq(sandboxSession.id, first.id));
    provider.sandboxes.clear();
    await startSession(deps(provider), first.id);
    expect(provider.calls.filter((c) => c.startsWith('create:')).at(-1)).toMatch(/:snap-own$/);
  });

  it('pauses with a snapshot, clears the latest task, and resumes the same sandbox', async () => {
    const provider = new FakeProvider();
    const { id } = await newSession();
    await startSession(deps(provider), id);
    await markRunning(deps(provider), id, (await row(id)).sandboxId!);
    await h.db.update(sandboxSession).set({ latestTask: 'Running tests', runningSince: new Date(Date.now() - 90_000) }).where(eq(sandboxSession.id, id));
    expect(await pauseSession(deps(provider), id, 'manual')).toBe('paused');
    expect((await row(id)).metrics.activeSeconds).toBeGreaterThanOrEqual(90);
    expect((await row(id)).runningSince).toBeNull();
    expect(await pauseSession(deps(provider), id, 'manual')).toBe('skipped');
    const paused = await row(id);
    expect(paused).toMatchObject({ status: 'paused', pauseReason: 'manual', latestTask: null });
    expect(paused.snapshotId).toMatch(/^snap-pause-/);
    expect(await startSession(deps(provider), id)).toBe('started');
    expect(provider.calls.some((c) => c.startsWith('resume:'))).toBe(true);
  });

  it('marks a session failed, with the reason, when its sandbox cannot start', async () => {
    const provider = new FakeProvider();
    provider.failCreate = new Error('quota exceeded');
    const { id } = await newSession();
    await startSession(deps(provider), id);
    expect(await row(id)).toMatchObject({ status: 'failed', lastError: 'quota exceeded' });
    const types = (await readEvents(h.db, id, 0)).map((e) => e.event.type);
    expect(types).toEqual(['status', 'error', 'status']);
  });

  it('leaves exactly one consistent state when a pause and a migration race', async () => {
    for (let round = 0; round < 4; round++) {
      const provider = new FakeProvider();
      const { id } = await newSession();
      await startSession(deps(provider), id);
      const first = await row(id);
      await markRunning(deps(provider), id, first.sandboxId!);
      provider.delayMs = 5 + round * 10;
      const [paused, migrated] = await Promise.all([pauseSession(deps(provider), id, 'manual'), migrateSession(deps(provider), id)]);
      const s = await row(id);
      // Either the pause won (paused on the old sandbox) or the migration did (a new sandbox, old one gone) — never both.
      if (paused === 'paused') {
        expect(s.status).toBe('paused');
        expect(s.sandboxId).toBe(first.sandboxId);
        expect(migrated).toBe('skipped');
        expect(provider.running()).toEqual([]);
      } else {
        expect(migrated).toBe('migrated');
        expect(s.status).toBe('migrating');
        expect(s.sandboxId).not.toBe(first.sandboxId);
        expect(provider.running()).toEqual([s.sandboxId]);
      }
    }
  });
});

describe('event log', () => {
  it('numbers events gaplessly per session, skips resent ones, and compacts finished messages', async () => {
    const { id } = await newSession();
    const base = (await row(id)).eventSeq;
    const tokens = [1, 2, 3].map((n) => ({ event: { type: 'token' as const, messageId: 'm1', partId: 'p1', text: `t${n}` }, sourceKey: `sbx:${n}` }));
    const logged = await appendEvents(h.db, id, tokens);
    expect(logged.map((l) => l.seq)).toEqual([base + 1, base + 2, base + 3]);
    expect(await appendEvents(h.db, id, tokens.slice(1))).toEqual([]);
    await appendEvents(h.db, id, [
      { event: { type: 'text_part_complete', messageId: 'm1', partId: 'p1', text: 't1t2t3' }, sourceKey: 'sbx:4' },
      { event: { type: 'message_complete', messageId: 'm1' }, sourceKey: 'sbx:5' },
    ]);
    expect(await compactMessage(h.db, id, 'm1')).toBe(3);
    const after = await readEvents(h.db, id, base);
    expect(after.map((e) => e.event.type)).toEqual(['text_part_complete', 'message_complete']);
    expect(after.map((e) => e.seq)).toEqual([base + 4, base + 5]);
  });

  it('keeps concurrent appenders in one order without duplicates', async () => {
    const { id } = await newSession();
    const base = (await row(id)).eventSeq;
    await Promise.all(
      Array.from({ length: 10 }, (_, w) =>
        appendEvents(h.db, id, [0, 1, 2].map((n) => ({ event: { type: 'thought' as const, messageId: 'm', text: `${w}-${n}` }, sourceKey: `w${w}:${n}` }))),
      ),
    );
    const seqs = (await readEvents(h.db, id, base)).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => base + 1 + i));
  });
});

describe('prompts', () => {
  it('sends a prompt with a clientMessageId once, however often (and however concurrently) it is sent', async () => {
    const { caller, id } = await newSession();
    const publish = { db: h.db, publish: (sid: string, items: Parameters<typeof appendEvents>[2]) => appendEvents(h.db, sid, items) };
    const sends = await Promise.all([1, 2, 3].map(() => sendPrompt(publish, caller, id, 'Add a test', 'cli', { deliver: false, clientMessageId: 'c-1' })));
    expect(new Set(sends.map((r) => r.messageId)).size).toBe(1);
    expect(sends.filter((r) => !r.duplicate)).toHaveLength(1);
    // Once delivered (out of the queue), a late retry still finds it, in the log.
    await h.db.delete(pendingPrompt).where(eq(pendingPrompt.sessionId, id));
    expect(await sendPrompt(publish, caller, id, 'Add a test', 'cli', { deliver: false, clientMessageId: 'c-1' })).toMatchObject({ messageId: sends[0].messageId, duplicate: true });
    // Another id, or none, is another prompt, even with the same text.
    await sendPrompt(publish, caller, id, 'Add a test', 'cli', { deliver: false, clientMessageId: 'c-2' });
    await sendPrompt(publish, caller, id, 'Add a test', 'cli', { deliver: false });
    const prompts = (await readEvents(h.db, id, 0)).filter((e) => e.event.type === 'user_message').map((e) => e.event);
    expect(prompts).toEqual([
      expect.objectContaining({ messageId: sends[0].messageId, clientMessageId: 'c-1', senderId: caller.userId }),
      expect.objectContaining({ clientMessageId: 'c-2' }),
      expect.not.objectContaining({ clientMessageId: expect.anything() }),
    ]);
    expect(await h.db.select().from(pendingPrompt).where(eq(pendingPrompt.sessionId, id))).toHaveLength(2);
  });
});

describe('sandbox tokens and platform tools', () => {
  it('verifies only tokens signed with the secret, naming their session and sandbox', () => {
    const token = mintSandboxToken('s'.repeat(40), 'ses_1', 'sbx_1');
    expect(verifySandboxToken('s'.repeat(40), token)).toEqual({ sessionId: 'ses_1', sandboxId: 'sbx_1' });
    expect(verifySandboxToken('t'.repeat(40), token)).toBeNull();
    const [p, a, b, sig] = token.split('.');
    expect(verifySandboxToken('s'.repeat(40), [p, Buffer.from('ses_2').toString('base64url'), b, sig].join('.'))).toBeNull();
    expect(verifySandboxToken('s'.repeat(40), [p, a, b].join('.'))).toBeNull();
  });

  it('runs a retried tool call (same tool-call id) once', async () => {
    const { caller, id } = await newSession();
    const puts: string[] = [];
    const objects: ObjectsPort = { put: async (k) => void puts.push(k), get: async () => null, delete: async () => {}, list: async () => [] };
    const toolDeps = { db: h.db, objects, snapshot: async () => ({ success: true }) };
    const args = { files: [{ path: 'shot.png', contentBase64: Buffer.from('png').toString('base64') }] };
    const ctx = { sessionId: id, organizationId: caller.organizationId };
    const [a, b] = await Promise.all([runPlatformTool(toolDeps, ctx, 'verify', 'call-1', args), runPlatformTool(toolDeps, ctx, 'verify', 'call-1', args)]);
    const c = await runPlatformTool(toolDeps, ctx, 'verify', 'call-1', args);
    expect(puts).toHaveLength(1);
    expect([a, b, c].every((r) => r.success && r.result === a.result)).toBe(true);
    expect(await h.db.select().from(sessionToolCall).where(eq(sessionToolCall.sessionId, id))).toHaveLength(1);
    expect(await outcome(runPlatformTool(toolDeps, ctx, 'verify', 'call-2', { files: [{ path: '../etc/passwd', contentBase64: '' }] }))).toBe('validation:validation_failed');
    expect(await outcome(runPlatformTool(toolDeps, ctx, 'rm_rf', 'call-3', {}))).toBe('not_found:not_found');
  });

  it('refuses configuration tools outside setup sessions', async () => {
    const { caller, id } = await newSession();
    const reply = await runPlatformTool(
      { db: h.db, objects: { put: async () => {}, get: async () => null, delete: async () => {}, list: async () => [] }, snapshot: async () => ({ success: true }) },
      { sessionId: id, organizationId: caller.organizationId },
      'save_service_commands',
      'call-x',
      { commands: [{ name: 'web', command: 'npm run dev' }] },
    );
    expect(reply).toEqual({ success: false, result: 'This session has no configuration to save to' });
  });
});
