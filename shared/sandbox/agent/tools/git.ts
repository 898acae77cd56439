import * as z from 'zod';
import { runGit } from '../../daemon/git-runner';
import { resolveInside } from '../../daemon/workspace-path';
import { clip, defineTool } from './types';

export const git = defineTool({
  name: 'git',
  description: 'Read-only git helpers in a repository: status (short, with branch), diff (working tree, or staged), log (recent commits). Use run_command for anything that changes the repository.',
  kind: 'read',
  schema: z.object({
    action: z.enum(['status', 'diff', 'log']),
    repo: z.string().optional().describe('repository directory, relative to the working directory (default ".")'),
    path: z.string().optional().describe('limit to this path (diff, log)'),
    staged: z.boolean().optional().describe('diff the staged changes'),
    limit: z.number().int().min(1).max(200).optional().describe('number of commits (log)'),
  }),
  title: (a) => `git ${a.action}${a.path ? ` ${a.path}` : ''}`,
  async run(a, ctx) {
    const dir = resolveInside(ctx.cwd, a.repo ?? '.');
    const pathspec = a.path ? ['--', a.path] : [];
    const args =
      a.action === 'status'
        ? ['status', '--short', '--branch']
        : a.action === 'diff'
          ? ['diff', '--no-color', ...(a.staged ? ['--cached'] : []), ...pathspec]
          : ['log', '--no-color', `-n${a.limit ?? 20}`, '--format=%h %ad %an  %s', '--date=short', ...pathspec];
    const res = await runGit(args, dir, { readOnly: true });
    if (res.code !== 0) return { ok: false, output: res.stderr.trim() || `git ${a.action} failed` };
    return { ok: true, output: clip(res.stdout.trim()) || (a.action === 'diff' ? 'No changes.' : '(nothing)') };
  },
});
