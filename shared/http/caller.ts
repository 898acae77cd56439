import * as z from 'zod';
import { and, eq } from 'drizzle-orm';
import { API_KEY_PREFIX } from '../auth/auth';
import { user } from '../db/schema';
import type { Caller } from '../domain/caller';
import { sandboxSession } from '../db/schema';
import { verifySandboxToken } from '../domain/sessions/sandbox-token';
import { DomainError } from '../domain/errors';
import type { Container } from '../runtime/container';

const KeyMetadata = z.object({ organizationId: z.string() }).partial().nullish();

/** An API key from `x-api-key` or `Authorization: Bearer prl_...`. */
export function apiKeyFrom(headers: Headers): string | null {
  const explicit = headers.get('x-api-key');
  if (explicit) return explicit.trim();
  const authz = headers.get('authorization');
  const bearer = authz?.match(/^Bearer\s+(\S+)$/i)?.[1];
  return bearer?.startsWith(API_KEY_PREFIX) ? bearer : null;
}

/**
 * Establishes who is calling, from exactly one source: an API key, else a session (cookie or bearer token).
 * Returns null when there are no credentials; a presented but invalid API key is a 401, never anonymous.
 */
export async function resolveCaller(c: Container, headers: Headers): Promise<Caller | null> {
  const key = apiKeyFrom(headers);
  if (key) {
    const verified = await c.auth.api.verifyApiKey({ body: { key } });
    if (!verified.valid || !verified.key) {
      throw new DomainError('unauthenticated', 'invalid_api_key', 'The API key is not valid, expired or revoked');
    }
    const [owner] = await c.db.select().from(user).where(eq(user.id, verified.key.referenceId)).limit(1);
    if (!owner || owner.banned) throw new DomainError('unauthenticated', 'invalid_api_key', 'The API key is not valid, expired or revoked');
    const metadata = KeyMetadata.safeParse(verified.key.metadata);
    return {
      userId: owner.id,
      email: owner.email,
      name: owner.name,
      emailVerified: owner.emailVerified,
      sessionId: null,
      activeOrganizationId: null,
      via: 'apiKey',
      apiKeyOrganizationId: (metadata.success ? metadata.data?.organizationId : undefined) ?? null,
      impersonatedBy: null,
    };
  }
  if (!headers.get('cookie') && !headers.get('authorization')) return null;
  const found = await c.auth.api.getSession({ headers });
  if (!found) return null;
  const s = found.session as typeof found.session & { activeOrganizationId?: string | null; impersonatedBy?: string | null };
  return {
    userId: found.user.id,
    email: found.user.email,
    name: found.user.name,
    emailVerified: found.user.emailVerified,
    sessionId: s.id,
    activeOrganizationId: s.activeOrganizationId ?? null,
    via: 'session',
    impersonatedBy: s.impersonatedBy ?? null,
  };
}

/** The daemon of a session's current sandbox, established from its sandbox token. */
export interface SandboxCaller {
  sessionId: string;
  sandboxId: string;
  organizationId: string;
}

/**
 * A sandbox token is valid only while it names the session's current sandbox: a daemon left behind by a migration or
 * a pause cannot act on the session any more.
 */
export async function verifySandboxCaller(c: Container, token: string): Promise<SandboxCaller | null> {
  const claims = verifySandboxToken(c.sandboxSecret, token);
  if (!claims) return null;
  const [row] = await c.db
    .select({ organizationId: sandboxSession.organizationId })
    .from(sandboxSession)
    .where(and(eq(sandboxSession.id, claims.sessionId), eq(sandboxSession.sandboxId, claims.sandboxId)))
    .limit(1);
  return row ? { ...claims, organizationId: row.organizationId } : null;
}

export async function resolveSandboxCaller(c: Container, headers: Headers): Promise<SandboxCaller> {
  const token = headers.get('authorization')?.match(/^Bearer\s+(sbx\.\S+)$/)?.[1];
  const caller = token ? await verifySandboxCaller(c, token) : null;
  if (!caller) throw new DomainError('unauthenticated', 'invalid_sandbox_token', 'A valid sandbox token for the current sandbox is required');
  return caller;
}
