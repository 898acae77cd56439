import * as z from 'zod';
import { eq } from 'drizzle-orm';
import { API_KEY_PREFIX } from '../auth/auth';
import { user } from '../db/schema';
import type { Caller } from '../domain/caller';
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
