import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { SandboxBootstrap } from '../../contracts/sandbox-api';
import { runGit } from './git-runner';
import { redactUrl, type Logger } from './log';
import type { StateStore } from './state-store';
import { resolveInside } from './workspace-path';
import { shouldPullOnResume } from '../git-freshness';

type Repo = SandboxBootstrap['repos'][number];

export interface RepoOutcome {
  repo: Repo;
  dir: string;
  action: 'cloned' | 'updated' | 'fresh' | 'failed';
  error?: string;
}

/**
 * Checks out every repo into `<workspace>/<workspacePath>`: a missing checkout is cloned; an existing one (restored
 * from a snapshot, or a restarted daemon) is fetched and fast-forwarded when its last fetch is older than the cadence
 * (0 = always). The fetch time advances only when every repo updated. Failures are reported, never fatal.
 */
export async function prepareRepos(options: { workspace: string; repos: Repo[]; cadenceSeconds: number; store: StateStore; log: Logger; now?: () => Date }): Promise<RepoOutcome[]> {
  const { workspace, repos, store, log } = options;
  const now = options.now ?? (() => new Date());
  mkdirSync(workspace, { recursive: true });
  const meta = store.loadMetadata();
  // Checkouts that exist came from a snapshot (or a restarted daemon): the cadence rule says whether they are pulled.
  const due = shouldPullOnResume({
    hasSnapshot: true,
    repoCount: repos.length,
    cadenceSeconds: options.cadenceSeconds,
    lastFetchAt: meta.lastGitFetchAt ? Date.parse(meta.lastGitFetchAt) : null,
    now: now(),
  });

  const outcomes: RepoOutcome[] = [];
  for (const repo of repos) {
    let dir = '';
    try {
      dir = resolveInside(workspace, repo.workspacePath);
      if (existsSync(path.join(dir, '.git'))) {
        if (!due) {
          outcomes.push({ repo, dir, action: 'fresh' });
          continue;
        }
        await update(dir, repo);
        outcomes.push({ repo, dir, action: 'updated' });
      } else {
        await clone(dir, repo);
        outcomes.push({ repo, dir, action: 'cloned' });
      }
    } catch (err) {
      const message = redactUrl(err instanceof Error ? err.message : String(err));
      log.warn('repo checkout failed', { repo: repo.repoId, workspacePath: repo.workspacePath, error: message });
      outcomes.push({ repo, dir, action: 'failed', error: message });
    }
  }
  if (outcomes.every((o) => o.action !== 'failed') && outcomes.some((o) => o.action !== 'fresh')) {
    store.saveMetadata({ lastGitFetchAt: now().toISOString() });
  }
  return outcomes;
}

async function clone(dir: string, repo: Repo): Promise<void> {
  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).length > 0) throw new Error(`cannot clone ${redactUrl(repo.url)}: ${repo.workspacePath} exists and is not empty`);
  const args = ['clone', '--no-tags'];
  if (repo.branch) args.push('--branch', repo.branch);
  args.push('--', repo.url, dir);
  const res = await runGit(args, path.dirname(dir), { timeoutMs: 15 * 60_000 });
  if (res.code !== 0) throw new Error(`git clone ${redactUrl(repo.url)} failed: ${redactUrl(res.stderr.trim())}`);
}

async function update(dir: string, repo: Repo): Promise<void> {
  const fetch = await runGit(['fetch', '--prune', '--no-tags', 'origin'], dir, { timeoutMs: 10 * 60_000 });
  if (fetch.code !== 0) throw new Error(`git fetch failed: ${redactUrl(fetch.stderr.trim())}`);
  const upstream = await runGit(['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}'], dir, { readOnly: true });
  const target = upstream.code === 0 ? upstream.stdout.trim() : `origin/${repo.branch}`;
  const merge = await runGit(['merge', '--ff-only', target], dir);
  if (merge.code !== 0) throw new Error(`fast-forward to ${target} failed: ${merge.stderr.trim() || merge.stdout.trim()}`);
}
