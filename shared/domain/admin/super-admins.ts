import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { superAdmin, user } from '../../db/schema';

/**
 * The first user to sign up becomes a super-admin, and so does anyone listed in SUPER_ADMIN_EMAILS. The advisory
 * lock makes "first" mean first even when two people sign up at the same moment.
 */
export async function grantSuperAdminOnSignUp(
  db: Db,
  who: { userId: string; email: string },
  configuredEmails: string[],
): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('proliferate.super_admin.first_user'))`);
    const [existing] = await tx.select({ n: sql<number>`count(*)::int` }).from(superAdmin);
    const grantedBy = existing.n === 0 ? 'first-user' : configuredEmails.includes(who.email.toLowerCase()) ? 'config' : null;
    if (!grantedBy) return false;
    await tx.insert(superAdmin).values({ userId: who.userId, grantedBy }).onConflictDoNothing();
    // better-auth's admin plugin (impersonation) authorises by this role.
    await tx.update(user).set({ role: 'admin' }).where(eq(user.id, who.userId));
    return true;
  });
}

export async function isSuperAdmin(db: Db, who: { userId: string; email: string }, configuredEmails: string[]): Promise<boolean> {
  if (configuredEmails.includes(who.email.toLowerCase())) return true;
  const rows = await db.select({ id: superAdmin.userId }).from(superAdmin).where(eq(superAdmin.userId, who.userId)).limit(1);
  return rows.length > 0;
}

/** A configured super-admin who signed up before being listed gets the role on first use. */
export async function ensureSuperAdminRole(db: Db, userId: string): Promise<void> {
  await db.insert(superAdmin).values({ userId, grantedBy: 'config' }).onConflictDoNothing();
  await db.update(user).set({ role: 'admin' }).where(eq(user.id, userId));
}
