import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { devMail } from '../../db/schema';
import { notFound } from '../errors';

const view = (r: typeof devMail.$inferSelect) => ({ ...r, createdAt: r.createdAt.toISOString() });

export async function listDevMail(db: Db, query: { to?: string; limit: number }) {
  const rows = await db
    .select()
    .from(devMail)
    .where(query.to ? eq(devMail.to, query.to.toLowerCase()) : undefined)
    .orderBy(desc(devMail.createdAt), desc(devMail.id))
    .limit(query.limit);
  return { messages: rows.map(view) };
}

export async function getDevMail(db: Db, id: string) {
  const [row] = await db.select().from(devMail).where(and(eq(devMail.id, id))).limit(1);
  if (!row) throw notFound('Message');
  return view(row);
}
