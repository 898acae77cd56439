import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A sandbox token names one session and one sandbox and is signed with the platform's secret: the daemon inside that
 * sandbox uses it for its WebSocket and its API calls. It is never stored; a new sandbox (resume, migration) gets a new
 * one, and the server also checks the sandbox is still the session's current one.
 */
const PREFIX = 'sbx';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const unb64 = (s: string) => Buffer.from(s, 'base64url').toString('utf8');
const sign = (secret: string, body: string) => createHmac('sha256', secret).update(`proliferate.sandbox.${body}`).digest('base64url');

export function mintSandboxToken(secret: string, sessionId: string, sandboxId: string): string {
  const body = `${b64(sessionId)}.${b64(sandboxId)}`;
  return `${PREFIX}.${body}.${sign(secret, body)}`;
}

export function verifySandboxToken(secret: string, token: string): { sessionId: string; sandboxId: string } | null {
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== PREFIX) return null;
  const body = `${parts[1]}.${parts[2]}`;
  const expected = Buffer.from(sign(secret, body));
  const given = Buffer.from(parts[3]);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  return { sessionId: unb64(parts[1]), sandboxId: unb64(parts[2]) };
}
