import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { apikey } from '../../db/schema';
import type { OrgCaller } from '../caller';
import { forbidden, notFound } from '../errors';

export interface ApiKeyView {
  id: string;
  name: string | null;
  start: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** Issues a hashed key (better-auth's api-key plugin); returns the plaintext once. */
export type IssueApiKey = (input: {
  userId: string;
  name: string;
  expiresInSeconds: number | null;
  organizationId: string;
}) => Promise<{ id: string; key: string }>;

const inOrg = (caller: OrgCaller) =>
  and(eq(apikey.referenceId, caller.userId), sql`(${apikey.metadata})::jsonb ->> 'organizationId' = ${caller.organizationId}`);

const toView = (r: typeof apikey.$inferSelect): ApiKeyView => ({
  id: r.id,
  name: r.name,
  start: r.start,
  createdAt: r.createdAt.toISOString(),
  expiresAt: r.expiresAt?.toISOString() ?? null,
  lastUsedAt: r.lastRequest?.toISOString() ?? null,
});

export async function listApiKeys(db: Db, caller: OrgCaller): Promise<ApiKeyView[]> {
  const rows = await db.select().from(apikey).where(inOrg(caller)).orderBy(desc(apikey.createdAt));
  return rows.map(toView);
}

export async function createApiKey(
  deps: { db: Db; issue: IssueApiKey },
  caller: OrgCaller,
  input: { name: string; expiresInDays?: number },
): Promise<ApiKeyView & { key: string }> {
  if (caller.via === 'apiKey') throw forbidden('api_key_not_allowed', 'API keys cannot create other API keys');
  const issued = await deps.issue({
    userId: caller.userId,
    name: input.name,
    expiresInSeconds: input.expiresInDays ? input.expiresInDays * 86400 : null,
    organizationId: caller.organizationId,
  });
  const [row] = await deps.db.select().from(apikey).where(eq(apikey.id, issued.id));
  return { ...toView(row), key: issued.key };
}

export async function revokeApiKey(db: Db, caller: OrgCaller, keyId: string): Promise<void> {
  const rows = await db.delete(apikey).where(and(eq(apikey.id, keyId), inOrg(caller))).returning({ id: apikey.id });
  if (rows.length === 0) throw notFound('API key');
}
