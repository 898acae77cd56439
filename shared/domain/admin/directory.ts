import { desc, ilike, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { organization, user } from '../../db/schema';

export interface Page {
  q?: string;
  limit: number;
  offset: number;
}

const pattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function listUsers(db: Db, page: Page, configuredSuperAdmins: string[]) {
  const where = page.q ? or(ilike(user.email, pattern(page.q)), ilike(user.name, pattern(page.q))) : undefined;
  const rows = await db
    .select({
      id: user.id,
      name: user.name,
      email: user.email,
      emailVerified: user.emailVerified,
      createdAt: user.createdAt,
      // Correlated subqueries name their tables explicitly: drizzle renders bare column names inside sql``.
      organizationCount: sql<number>`(select count(*)::int from "member" m where m.user_id = "user"."id")`,
      superAdmin: sql<boolean>`exists(select 1 from "super_admin" s where s.user_id = "user"."id")`,
    })
    .from(user)
    .where(where)
    .orderBy(desc(user.createdAt), user.id)
    .limit(page.limit)
    .offset(page.offset);
  const [{ total }] = await db.select({ total: sql<number>`count(*)::int` }).from(user).where(where);
  return {
    total,
    users: rows.map((r) => ({
      id: r.id,
      name: r.name,
      email: r.email,
      emailVerified: r.emailVerified,
      isSuperAdmin: r.superAdmin || configuredSuperAdmins.includes(r.email.toLowerCase()),
      organizationCount: r.organizationCount,
      createdAt: r.createdAt.toISOString(),
    })),
  };
}

export async function listOrganizations(db: Db, page: Page) {
  const where = page.q ? or(ilike(organization.name, pattern(page.q)), ilike(organization.slug, pattern(page.q))) : undefined;
  const rows = await db
    .select({
      id: organization.id,
      name: organization.name,
      slug: organization.slug,
      createdAt: organization.createdAt,
      memberCount: sql<number>`(select count(*)::int from "member" m where m.organization_id = "organization"."id")`,
    })
    .from(organization)
    .where(where)
    .orderBy(desc(organization.createdAt), organization.id)
    .limit(page.limit)
    .offset(page.offset);
  const [{ total }] = await db.select({ total: sql<number>`count(*)::int` }).from(organization).where(where);
  return { total, organizations: rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })) };
}
