import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Replaced by the build (scripts/build-sandbox.ts) with the built-in agent's bundled source. */
declare const __PROLIFERATE_AGENT_BUNDLE__: string | undefined;

/** The version of a bundle: the start of the SHA-256 of its contents (the build computes it the same way). */
export function bundleVersion(contents: string | Buffer): string {
  return createHash('sha256').update(contents).digest('hex').slice(0, 16);
}

/** The daemon's own version: the hash of the file it runs from (`dev` when it runs from sources). */
export function daemonVersion(override?: string): string {
  if (override) return override;
  const self = __filename;
  return self.endsWith('.js') ? bundleVersion(readFileSync(self)) : 'dev';
}

/**
 * Where the built-in agent's bundle is: an explicit path, else the copy embedded in the daemon bundle (written out to
 * the sandbox home once per version), else `agent.js` next to this file.
 */
export function agentBundlePath(home: string, explicit?: string): string {
  if (explicit) return explicit;
  if (typeof __PROLIFERATE_AGENT_BUNDLE__ === 'string') {
    const file = path.join(home, `agent-${bundleVersion(__PROLIFERATE_AGENT_BUNDLE__)}.js`);
    if (!existsSync(file)) writeFileSync(file, __PROLIFERATE_AGENT_BUNDLE__);
    return file;
  }
  return path.join(__dirname, 'agent.js');
}
