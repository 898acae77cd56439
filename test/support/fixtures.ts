import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../../shared/db/client';
import { session, user } from '../../shared/db/schema';
import type { Caller } from '../../shared/domain/caller';
import { DomainError } from '../../shared/domain/errors';
import type { Clock } from '../../shared/ports';

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private t = new Date('2026-11-26T10:00:00Z')) {}
  now() {
    return new Date(this.t);
  }
  advance(ms: number) {
    this.t = new Date(this.t.getTime() + ms);
  }
}

/** Inserts a user with a session and returns them as a Caller (what the HTTP edge would establish). */
export async function makeUser(db: Db, overrides: Partial<{ name: string; email: string; emailVerified: boolean }> = {}): Promise<Caller> {
  const id = `usr_${randomBytes(6).toString('hex')}`;
  const email = (overrides.email ?? `${id}@example.com`).toLowerCase();
  const name = overrides.name ?? `User ${id.slice(-4)}`;
  await db.insert(user).values({ id, name, email, emailVerified: overrides.emailVerified ?? true });
  const sessionId = `ses_${randomBytes(6).toString('hex')}`;
  await db.insert(session).values({ id: sessionId, token: randomBytes(16).toString('hex'), userId: id, expiresAt: new Date(Date.now() + 86400_000) });
  return { userId: id, email, name, emailVerified: overrides.emailVerified ?? true, sessionId, activeOrganizationId: null, via: 'session', impersonatedBy: null };
}

/** Re-reads the caller's session, as the next request would. */
export async function refresh(db: Db, caller: Caller): Promise<Caller> {
  const [s] = await db.select().from(session).where(eq(session.id, caller.sessionId!));
  return { ...caller, activeOrganizationId: s?.activeOrganizationId ?? null };
}

/** `kind:code` of the DomainError a call fails with, or `ok`: lets a test state the expected refusal in one line. */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DomainError) return `${e.kind}:${e.code}`;
    throw e;
  }
  return 'ok';
}
