import { createHash } from 'node:crypto';
import type { SandboxProviderKind } from './provider';

/** Bumped by hand when what goes into a snapshot changes in a way the daemon's version does not show. */
export const SNAPSHOT_KEY_SALT = 'v1';

/**
 * The version key a snapshot is built for: SHA-256 (hex) over the daemon bundle's version, the provider and a salt.
 * A snapshot whose key differs from today's was made with another daemon (or for another provider) and is rebuilt
 * rather than restored, so an old snapshot never brings an old daemon back.
 */
export function snapshotVersionKey(input: { daemonVersion: string; provider: SandboxProviderKind; salt?: string }): string {
  // JSON of an array keeps the parts apart: ('a', 'bc') and ('ab', 'c') never hash alike.
  const canonical = JSON.stringify(['proliferate-snapshot', input.daemonVersion, input.provider, input.salt ?? SNAPSHOT_KEY_SALT]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
