import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A real git repository made by a test: `git init` on `branch`, the given files (none: an empty commit), one commit by
 * a test identity. Returns its real path (symlinks resolved, as the platform stores local repos).
 */
export function makeGitRepo(dir: string, options: { branch?: string; files?: Record<string, string> } = {}): string {
  mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', options.branch ?? 'main');
  git('config', 'user.name', 'Test');
  git('config', 'user.email', 'test@example.com');
  for (const [name, content] of Object.entries(options.files ?? {})) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', 'initial');
  return realpathSync(dir);
}
