import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import path from 'node:path';

/** How a repo URL is reached; `file` and local paths only make sense on the machine running the embedded runtime. */
export type GitUrlKind = 'https' | 'ssh' | 'file';

export interface ParsedGitUrl {
  kind: GitUrlKind;
  /** The normalised URL: the key a repo is unique by within an organisation. */
  url: string;
  /** `owner/name` for hosted repos, the folder name for file URLs. */
  name: string;
}

const HOST = /^(?!-)[A-Za-z0-9.-]{1,253}$/;
const SCP_LIKE = /^(?:([A-Za-z0-9._-]+)@)?([^/:@\s]+):(?!\/\/)(.+)$/;

/**
 * Parses what someone typed as a git URL: `https://host/owner/repo(.git)`, `ssh://[user@]host[:port]/path`,
 * `user@host:path` (scp-like) or `file:///path`. Anything else (`http://`, `ext::`, credentials in the URL, options
 * in disguise) is refused with the reason, so nothing untrusted reaches a git command line.
 */
export function parseGitUrl(raw: string): ParsedGitUrl | { error: string } {
  const input = raw.trim();
  if (/[\s\u0000-\u001f\u007f]/.test(input)) return { error: 'must not contain spaces or control characters' };
  if (input.startsWith('-')) return { error: 'must not start with a dash' };
  // `<transport>::<address>` runs a remote helper (ext:: runs any command): never a repo URL.
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(input)) return { error: 'remote helper URLs (transport::address) are not supported' };
  const scp = !input.includes('://') ? SCP_LIKE.exec(input) : null;
  if (scp) {
    const [, user, host, rest] = scp;
    if (!HOST.test(host)) return { error: 'has an invalid host' };
    const repoPath = rest.replace(/\/+$/, '');
    if (!repoPath || repoPath.startsWith('-') || repoPath.startsWith(':')) return { error: 'needs a repository path after the colon' };
    return { kind: 'ssh', url: `${user ? `${user}@` : ''}${host.toLowerCase()}:${repoPath}`, name: nameFromPath(repoPath, true) };
  }
  let u: URL;
  try {
    u = new URL(input);
  } catch {
    return { error: 'must be an https://, ssh:// or file:// URL, or user@host:path' };
  }
  if (u.search || u.hash) return { error: 'must not have a query or fragment' };
  const pathname = u.pathname.replace(/\/+$/, '');
  switch (u.protocol) {
    case 'https:':
    case 'ssh:': {
      if (u.password || (u.protocol === 'https:' && u.username)) return { error: 'must not contain credentials (connect an integration instead)' };
      if (!HOST.test(u.hostname)) return { error: 'has an invalid host' };
      if (!pathname || pathname === '/') return { error: 'needs a repository path' };
      const user = u.username ? `${u.username}@` : '';
      const url = `${u.protocol}//${user}${u.host}${pathname}`;
      return { kind: u.protocol === 'https:' ? 'https' : 'ssh', url, name: nameFromPath(pathname, true) };
    }
    case 'file:': {
      if (u.host) return { error: 'a file URL has no host (file:///path/to/repo)' };
      if (!pathname) return { error: 'needs a path' };
      return { kind: 'file', url: `file://${pathname}`, name: nameFromPath(safeDecode(pathname), false) };
    }
    default:
      return { error: `${u.protocol.replace(/:$/, '')} URLs are not supported; use https://, ssh:// or file://` };
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `owner/repo` from a hosted path (its last two segments), else the last segment; `.git` dropped. */
export function nameFromPath(p: string, hosted: boolean): string {
  const segments = p.split('/').filter(Boolean);
  const last = (segments.pop() ?? 'repo').replace(/\.git$/, '') || 'repo';
  const owner = segments.pop();
  return hosted && owner ? `${owner}/${last}` : last;
}

export interface LocalRepository {
  /** The repository's real top-level folder (what the sandbox clones). */
  path: string;
  /** The branch checked out there, when it is on one. */
  branch: string | null;
}

/** What adding a repo needs to know from git; a port so tests (and offline machines) can answer without a network. */
export interface GitProbe {
  /** The branch HEAD points at on the remote (`git ls-remote --symref <url> HEAD`), or null when unreachable. */
  remoteDefaultBranch(url: string): Promise<string | null>;
  /** The repository at an absolute path on this machine, or null when there is none. */
  localRepository(absolutePath: string): Promise<LocalRepository | null>;
}

const LS_REMOTE_TIMEOUT_MS = 10_000;

/** Git on this machine, never prompting (no terminal, no askpass) and never running a repository's hooks or monitors. */
export const systemGit: GitProbe = {
  async remoteDefaultBranch(url) {
    const out = await git(['ls-remote', '--symref', '--', url, 'HEAD'], { timeoutMs: LS_REMOTE_TIMEOUT_MS });
    if (out === null) return null;
    return /^ref: refs\/heads\/(\S+)\s+HEAD$/m.exec(out)?.[1] ?? null;
  },
  async localRepository(absolutePath) {
    const real = await realpath(absolutePath).catch(() => null);
    if (!real) return null;
    const bare = await git(['-C', real, 'rev-parse', '--is-bare-repository']);
    if (bare === null) return null;
    const top = bare.trim() === 'true' ? real : (await git(['-C', real, 'rev-parse', '--show-toplevel']))?.trim();
    if (!top) return null;
    const branch = (await git(['-C', top, 'symbolic-ref', '--quiet', '--short', 'HEAD']))?.trim() || null;
    return { path: path.resolve(top), branch };
  },
};

function git(args: string[], options: { timeoutMs?: number } = {}): Promise<string | null> {
  const safety = ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', '-c', 'protocol.ext.allow=never'];
  return new Promise((resolve) => {
    execFile(
      'git',
      [...safety, ...args],
      {
        timeout: options.timeoutMs ?? 5_000,
        killSignal: 'SIGKILL',
        maxBuffer: 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
          HOME: process.env.HOME ?? '/',
          LC_ALL: 'C',
          GIT_TERMINAL_PROMPT: '0',
          GIT_ASKPASS: '/bin/false',
          SSH_ASKPASS: '/bin/false',
          GCM_INTERACTIVE: 'never',
          GIT_ALLOW_PROTOCOL: 'https:ssh:file',
          GIT_SSH_COMMAND: 'ssh -o BatchMode=yes -o ConnectTimeout=5',
        },
      },
      (err, stdout) => resolve(err ? null : stdout),
    );
  });
}
