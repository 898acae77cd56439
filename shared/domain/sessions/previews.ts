import { randomBytes } from 'node:crypto';
import { and, desc, eq, gt, isNull, or } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { previewShare, sandboxSession } from '../../db/schema';
import type { Clock } from '../../ports';
import type { OrgCaller } from '../caller';
import { conflict, notFound } from '../errors';
import type { PublishEvents } from './events';
import { findSession } from './sessions';

/** A preview origin's host name: `p-<token>.` followed by the platform's (or the preview domain's) host. */
const PREVIEW_HOST = /^p-([0-9a-f]{32})\./;

/** The preview token in a host name, if it names a preview origin. */
export function previewTokenFromHost(host: string | undefined): string | null {
  return (host ?? '').toLowerCase().match(PREVIEW_HOST)?.[1] ?? null;
}

/** How long a member's own preview link works. */
export const PRIVATE_PREVIEW_TTL_MS = 12 * 3600_000;

export interface PreviewDeps {
  db: Db;
  clock: Clock;
  publish: PublishEvents;
  /** The URL of a preview token: its own origin, so dev servers that use absolute paths work unchanged. */
  previewUrl(token: string): string;
}

export interface PreviewView {
  id: string;
  kind: 'private' | 'share';
  port: number;
  url: string;
  revoked: boolean;
  expiresAt: string | null;
  createdAt: string;
}

/** Lowercase and hex: a token fits a host name label (case-insensitive, at most 63 characters). */
const newToken = () => randomBytes(16).toString('hex');

const view = (deps: Pick<PreviewDeps, 'previewUrl'>, r: typeof previewShare.$inferSelect): PreviewView => ({
  id: r.id,
  kind: r.kind as 'private' | 'share',
  port: r.port,
  url: deps.previewUrl(r.id),
  revoked: r.revoked,
  expiresAt: r.expiresAt?.toISOString() ?? null,
  createdAt: r.createdAt.toISOString(),
});

/**
 * A link to a port of the session's sandbox: `private` for the member asking (expires), `share` for anyone (until
 * revoked). Viewers of the session see the preview URL appear.
 */
export async function createPreview(deps: PreviewDeps, caller: OrgCaller, sessionId: string, port: number, kind: 'private' | 'share'): Promise<PreviewView> {
  const session = await findSession(deps.db, caller.organizationId, sessionId);
  if (session.status === 'stopped') throw conflict('session_stopped', 'This session has ended');
  const now = deps.clock.now();
  const id = newToken();
  deps.previewUrl(id); // A deployment without preview origins refuses here, before a link is stored.
  const [row] = await deps.db
    .insert(previewShare)
    .values({
      id,
      sessionId,
      organizationId: caller.organizationId,
      port,
      kind,
      createdBy: caller.userId,
      expiresAt: kind === 'private' ? new Date(now.getTime() + PRIVATE_PREVIEW_TTL_MS) : null,
      createdAt: now,
    })
    .returning();
  const out = view(deps, row);
  if (kind === 'private') await deps.publish(sessionId, [{ event: { type: 'preview_url', port, url: out.url } }]);
  return out;
}

export async function listShares(deps: Pick<PreviewDeps, 'db' | 'previewUrl'>, caller: OrgCaller, sessionId: string): Promise<PreviewView[]> {
  await findSession(deps.db, caller.organizationId, sessionId);
  const rows = await deps.db
    .select()
    .from(previewShare)
    .where(and(eq(previewShare.sessionId, sessionId), eq(previewShare.kind, 'share')))
    .orderBy(desc(previewShare.createdAt));
  return rows.map((r) => view(deps, r));
}

export async function revokeShare(deps: Pick<PreviewDeps, 'db' | 'previewUrl'>, caller: OrgCaller, sessionId: string, shareId: string): Promise<PreviewView> {
  const [row] = await deps.db
    .update(previewShare)
    .set({ revoked: true })
    .where(and(eq(previewShare.id, shareId), eq(previewShare.sessionId, sessionId), eq(previewShare.organizationId, caller.organizationId)))
    .returning();
  if (!row) throw notFound('Share');
  return view(deps, row);
}

/** What the public preview page shows for a share link; revoked or unknown links are a 404. */
export async function publicShare(deps: Pick<PreviewDeps, 'db' | 'previewUrl'>, shareId: string) {
  const [row] = await deps.db
    .select({ share: previewShare, title: sandboxSession.title, status: sandboxSession.status })
    .from(previewShare)
    .innerJoin(sandboxSession, eq(sandboxSession.id, previewShare.sessionId))
    .where(and(eq(previewShare.id, shareId), eq(previewShare.kind, 'share'), eq(previewShare.revoked, false)))
    .limit(1);
  if (!row) throw notFound('Preview');
  return { id: row.share.id, title: row.title, port: row.share.port, url: deps.previewUrl(row.share.id), live: row.status === 'running' };
}

/** The sandbox and port a preview token opens, while the link is valid and the session running; otherwise null. */
export async function resolvePreview(db: Db, clock: Clock, token: string) {
  if (!/^[0-9a-f]{32}$/.test(token)) return null;
  const [row] = await db
    .select({ port: previewShare.port, provider: sandboxSession.sandboxProvider, providerSandboxId: sandboxSession.providerSandboxId, status: sandboxSession.status })
    .from(previewShare)
    .innerJoin(sandboxSession, eq(sandboxSession.id, previewShare.sessionId))
    .where(and(eq(previewShare.id, token), eq(previewShare.revoked, false), or(isNull(previewShare.expiresAt), gt(previewShare.expiresAt, clock.now()))))
    .limit(1);
  if (!row || row.status !== 'running' || !row.providerSandboxId) return null;
  return row;
}
