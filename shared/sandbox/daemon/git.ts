import { existsSync } from 'node:fs';
import path from 'node:path';
import type { GitAction, GitState } from '../../contracts/session-events';
import { run, runGit, type RunResult } from './git-runner';
import { resolveInside } from './workspace-path';

export type GitResultCode =
  | 'SUCCESS'
  | 'NOTHING_TO_COMMIT'
  | 'NO_REMOTE'
  | 'NOT_A_REPO'
  | 'SHALLOW_PUSH_FAILED'
  | 'AUTH_FAILED'
  | 'GH_NOT_AVAILABLE'
  | 'NOT_GITHUB_REMOTE'
  | 'BRANCH_EXISTS'
  | 'MERGE_CONFLICT'
  | 'REPO_BUSY'
  | 'MULTIPLE_REMOTES'
  | 'UNKNOWN_ERROR';

export interface GitOutcome {
  success: boolean;
  code: GitResultCode;
  message: string;
  prUrl?: string;
}

const MAX_STATUS_ENTRIES = 300;

class GitFailure extends Error {
  constructor(
    readonly code: GitResultCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Git for the session's viewers, run in one repo of the workspace (`workspacePath`, resolved with symlinks and kept
 * inside the workspace). Every action answers with a result code; `status` reads porcelain v2 and the recent log
 * without taking the index lock the agent may hold.
 */
export class GitService {
  constructor(
    private readonly workspace: string,
    private readonly defaultWorkspacePath: () => string,
  ) {}

  /** The repo directory for a workspace path, or a NOT_A_REPO failure. */
  async repoDir(workspacePath: string | undefined): Promise<string> {
    let dir: string;
    try {
      dir = resolveInside(this.workspace, workspacePath ?? this.defaultWorkspacePath());
    } catch (err) {
      throw new GitFailure('NOT_A_REPO', (err as Error).message);
    }
    const top = await runGit(['rev-parse', '--show-toplevel'], existsSync(dir) ? dir : this.workspace, { readOnly: true });
    if (!existsSync(dir) || top.code !== 0) throw new GitFailure('NOT_A_REPO', `${workspacePath ?? this.defaultWorkspacePath()} is not a git repository`);
    return dir;
  }

  async status(workspacePath?: string): Promise<GitState> {
    const wp = workspacePath ?? this.defaultWorkspacePath();
    const dir = await this.repoDir(wp);
    const [st, log, gitDir] = await Promise.all([
      runGit(['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all'], dir, { readOnly: true }),
      runGit(['log', '-n', '20', '--format=%H%x1f%s%x1f%an%x1f%aI%x1e'], dir, { readOnly: true }),
      runGit(['rev-parse', '--absolute-git-dir'], dir, { readOnly: true }),
    ]);
    if (st.code !== 0) throw new GitFailure('UNKNOWN_ERROR', st.stderr.trim());
    const state = parsePorcelainV2(st.stdout);
    const commits =
      log.code === 0
        ? log.stdout
            .split('\x1e')
            .map((r) => r.trim())
            .filter(Boolean)
            .map((r) => {
              const [sha, message, author, date] = r.split('\x1f');
              return { sha, message, author, date };
            })
        : [];
    const busy = gitDir.code === 0 && existsSync(path.join(gitDir.stdout.trim(), 'index.lock'));
    // One WebSocket message must hold the state: a huge working tree is cut to its first entries.
    const cap = <T>(list: T[]) => list.slice(0, MAX_STATUS_ENTRIES);
    return { workspacePath: wp, ...state, staged: cap(state.staged), unstaged: cap(state.unstaged), untracked: cap(state.untracked), conflicted: cap(state.conflicted), commits, busy };
  }

  async run(action: GitAction): Promise<GitOutcome> {
    try {
      switch (action.action) {
        case 'status':
          await this.status(action.workspacePath);
          return { success: true, code: 'SUCCESS', message: 'Status read' };
        case 'create_branch':
          return await this.createBranch(action.branchName, action.workspacePath);
        case 'commit':
          return await this.commit(action);
        case 'push':
          return await this.push(action.workspacePath);
        case 'create_pr':
          return await this.createPr(action);
      }
    } catch (err) {
      if (err instanceof GitFailure) return { success: false, code: err.code, message: err.message };
      return { success: false, code: 'UNKNOWN_ERROR', message: (err as Error).message };
    }
  }

  private async createBranch(name: string, workspacePath?: string): Promise<GitOutcome> {
    const dir = await this.repoDir(workspacePath);
    await this.assertNotBusy(dir);
    const exists = await runGit(['rev-parse', '--verify', '--quiet', `refs/heads/${name}`], dir, { readOnly: true });
    if (exists.code === 0) return { success: false, code: 'BRANCH_EXISTS', message: `Branch ${name} already exists` };
    const res = await runGit(['checkout', '-b', name], dir);
    if (res.code !== 0) throw new GitFailure('UNKNOWN_ERROR', res.stderr.trim());
    return { success: true, code: 'SUCCESS', message: `Switched to a new branch ${name}` };
  }

  private async commit(action: Extract<GitAction, { action: 'commit' }>): Promise<GitOutcome> {
    const dir = await this.repoDir(action.workspacePath);
    await this.assertNotBusy(dir);
    const unmerged = await runGit(['diff', '--name-only', '--diff-filter=U'], dir, { readOnly: true });
    if (unmerged.stdout.trim()) return { success: false, code: 'MERGE_CONFLICT', message: `Resolve the conflicts first: ${unmerged.stdout.trim().split('\n').join(', ')}` };

    let pathspec: string[] = [];
    if (action.files?.length) {
      pathspec = action.files.map((f) => path.relative(dir, resolveInside(dir, f)) || '.');
      await expectOk(runGit(['add', '--', ...pathspec], dir));
    } else if (action.includeUntracked) {
      await expectOk(runGit(['add', '-A'], dir));
    } else {
      await expectOk(runGit(['add', '-u'], dir));
    }
    const staged = await runGit(['diff', '--cached', '--quiet', ...(pathspec.length ? ['--', ...pathspec] : [])], dir);
    if (staged.code === 0) return { success: false, code: 'NOTHING_TO_COMMIT', message: 'There is nothing to commit' };
    const res = await runGit(['commit', '-m', action.message, ...(pathspec.length ? ['--', ...pathspec] : [])], dir, { env: await identityEnv(dir) });
    if (res.code !== 0) throw new GitFailure('UNKNOWN_ERROR', (res.stderr || res.stdout).trim());
    const sha = (await runGit(['rev-parse', '--short', 'HEAD'], dir, { readOnly: true })).stdout.trim();
    return { success: true, code: 'SUCCESS', message: `Committed ${sha}: ${action.message.split('\n')[0]}` };
  }

  private async push(workspacePath?: string): Promise<GitOutcome> {
    const dir = await this.repoDir(workspacePath);
    const { remote, branch, hasUpstream } = await this.pushTarget(dir);
    const args = hasUpstream ? ['push'] : ['push', '--set-upstream', remote, `HEAD:refs/heads/${branch}`];
    let res = await runGit(args, dir, { timeoutMs: 5 * 60_000 });
    if (res.code !== 0 && /shallow update not allowed/i.test(res.stderr)) {
      await runGit(['fetch', '--unshallow', remote], dir, { timeoutMs: 10 * 60_000 });
      res = await runGit(args, dir, { timeoutMs: 5 * 60_000 });
      if (res.code !== 0 && /shallow/i.test(res.stderr)) return { success: false, code: 'SHALLOW_PUSH_FAILED', message: res.stderr.trim() };
    }
    if (res.code !== 0) return { success: false, code: classifyRemoteError(res.stderr), message: res.stderr.trim() || 'git push failed' };
    return { success: true, code: 'SUCCESS', message: `Pushed ${branch} to ${remote}` };
  }

  private async createPr(action: Extract<GitAction, { action: 'create_pr' }>): Promise<GitOutcome> {
    const dir = await this.repoDir(action.workspacePath);
    const gh = await run('gh', ['--version'], dir);
    if (gh.code !== 0) return { success: false, code: 'GH_NOT_AVAILABLE', message: 'The GitHub CLI (gh) is not installed in this sandbox' };
    const { remote, branch } = await this.pushTarget(dir);
    const url = (await runGit(['remote', 'get-url', remote], dir, { readOnly: true })).stdout.trim();
    if (!/github\.com[:/]/i.test(url)) return { success: false, code: 'NOT_GITHUB_REMOTE', message: `${remote} is not a GitHub remote` };
    const pushed = await this.push(action.workspacePath);
    if (!pushed.success) return pushed;
    const args = ['pr', 'create', '--title', action.title, '--body', action.body ?? '', '--head', branch];
    if (action.baseBranch) args.push('--base', action.baseBranch);
    const env = { GH_PROMPT_DISABLED: '1', NO_COLOR: '1' };
    const res = await run('gh', args, dir, { env, timeoutMs: 120_000 });
    let prUrl = lastUrl(res.stdout);
    if (res.code !== 0 && /already exists/i.test(res.stderr)) prUrl = lastUrl(res.stderr) ?? lastUrl((await run('gh', ['pr', 'view', branch, '--json', 'url', '-q', '.url'], dir, { env })).stdout);
    if (!prUrl) return { success: false, code: classifyRemoteError(res.stderr), message: (res.stderr || res.stdout).trim() || 'gh pr create failed' };
    return { success: true, code: 'SUCCESS', message: `Pull request: ${prUrl}`, prUrl };
  }

  private async pushTarget(dir: string): Promise<{ remote: string; branch: string; hasUpstream: boolean }> {
    const remotes = (await runGit(['remote'], dir, { readOnly: true })).stdout.split('\n').filter(Boolean);
    if (remotes.length === 0) throw new GitFailure('NO_REMOTE', 'This repository has no remote');
    const branch = (await runGit(['symbolic-ref', '--short', '-q', 'HEAD'], dir, { readOnly: true })).stdout.trim();
    if (!branch) throw new GitFailure('UNKNOWN_ERROR', 'HEAD is detached: create a branch first');
    const upstream = await runGit(['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}'], dir, { readOnly: true });
    if (upstream.code === 0) return { remote: upstream.stdout.trim().split('/')[0], branch, hasUpstream: true };
    const remote = remotes.length === 1 ? remotes[0] : remotes.includes('origin') ? 'origin' : null;
    if (!remote) throw new GitFailure('MULTIPLE_REMOTES', `Several remotes and no upstream: ${remotes.join(', ')}`);
    return { remote, branch, hasUpstream: false };
  }

  private async assertNotBusy(dir: string): Promise<void> {
    const gitDir = await runGit(['rev-parse', '--absolute-git-dir'], dir, { readOnly: true });
    if (gitDir.code === 0 && existsSync(path.join(gitDir.stdout.trim(), 'index.lock'))) {
      throw new GitFailure('REPO_BUSY', 'Another git process is running in this repository (index.lock exists)');
    }
  }
}

/** A fallback author when the repo has none configured (a fresh sandbox), so a commit never fails on identity. */
async function identityEnv(dir: string): Promise<Record<string, string>> {
  const [name, email] = await Promise.all([runGit(['config', 'user.name'], dir, { readOnly: true }), runGit(['config', 'user.email'], dir, { readOnly: true })]);
  const env: Record<string, string> = {};
  if (!name.stdout.trim() && !process.env.GIT_AUTHOR_NAME) Object.assign(env, { GIT_AUTHOR_NAME: 'Proliferate Agent', GIT_COMMITTER_NAME: 'Proliferate Agent' });
  if (!email.stdout.trim() && !process.env.GIT_AUTHOR_EMAIL) Object.assign(env, { GIT_AUTHOR_EMAIL: 'agent@proliferate.local', GIT_COMMITTER_EMAIL: 'agent@proliferate.local' });
  return env;
}

async function expectOk(p: Promise<RunResult>): Promise<RunResult> {
  const res = await p;
  if (res.code !== 0) throw new GitFailure('UNKNOWN_ERROR', (res.stderr || res.stdout).trim());
  return res;
}

function classifyRemoteError(stderr: string): GitResultCode {
  if (/authentication failed|could not read (username|password)|terminal prompts disabled|permission denied|returned error: 40[13]|invalid credentials|bad credentials|HTTP 40[13]/i.test(stderr)) return 'AUTH_FAILED';
  if (/does not appear to be a git repository|no such remote|no configured push destination/i.test(stderr)) return 'NO_REMOTE';
  return 'UNKNOWN_ERROR';
}

function lastUrl(text: string): string | undefined {
  const urls = text.match(/https?:\/\/\S+/g);
  return urls?.[urls.length - 1];
}

type ParsedStatus = Omit<GitState, 'workspacePath' | 'commits' | 'busy'>;

/** Parses `git status --porcelain=v2 --branch -z`. */
export function parsePorcelainV2(out: string): ParsedStatus {
  const state: ParsedStatus = { branch: null, detached: false, staged: [], unstaged: [], untracked: [], conflicted: [], ahead: null, behind: null };
  const records = out.split('\0');
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (!r) continue;
    if (r.startsWith('# branch.head ')) {
      const head = r.slice('# branch.head '.length);
      state.detached = head === '(detached)';
      state.branch = state.detached ? null : head;
    } else if (r.startsWith('# branch.ab ')) {
      const m = /\+(\d+) -(\d+)/.exec(r);
      if (m) {
        state.ahead = Number(m[1]);
        state.behind = Number(m[2]);
      }
    } else if (r.startsWith('1 ') || r.startsWith('2 ')) {
      const parts = r.split(' ');
      const xy = parts[1];
      const file = parts.slice(r.startsWith('1 ') ? 8 : 9).join(' ');
      if (r.startsWith('2 ')) i++; // the original path follows as its own record
      const change = { path: file, indexStatus: xy[0], worktreeStatus: xy[1] };
      if (xy[0] !== '.') state.staged.push(change);
      if (xy[1] !== '.') state.unstaged.push(change);
    } else if (r.startsWith('u ')) {
      state.conflicted.push(r.split(' ').slice(10).join(' '));
    } else if (r.startsWith('? ')) {
      state.untracked.push(r.slice(2));
    }
  }
  return state;
}
