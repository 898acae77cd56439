import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { resolveInside } from '../../daemon/workspace-path';
import { readText, SKIP_DIRS } from './files';
import { clip, defineTool } from './types';

const MAX_MATCHES = 200;
const MAX_FILES = 20_000;
const MAX_FILE_BYTES = 1024 * 1024;

let ripgrep: boolean | undefined;
function hasRipgrep(): boolean {
  ripgrep ??= spawnSync('rg', ['--version'], { stdio: 'ignore' }).status === 0;
  return ripgrep;
}

export const search = defineTool({
  name: 'search',
  description: 'Search file contents with a regular expression (ripgrep syntax). Returns path:line:text for up to 200 matches. Optionally limit to a path and a glob (e.g. "*.ts").',
  kind: 'search',
  schema: z.object({
    pattern: z.string().min(1),
    path: z.string().optional(),
    glob: z.string().optional(),
    ignore_case: z.boolean().optional(),
  }),
  title: (a) => `Search ${a.pattern}${a.path ? ` in ${a.path}` : ''}`,
  async run(a, ctx) {
    const root = resolveInside(ctx.cwd, a.path ?? '.');
    const lines = hasRipgrep() ? await searchWithRipgrep(a, root, ctx.cwd, ctx.signal) : searchWithJs(a, root, ctx.cwd);
    if (typeof lines === 'string') return { ok: false, output: lines };
    if (lines.length === 0) return { ok: true, output: 'No matches.' };
    const more = lines.length >= MAX_MATCHES ? `\n… (stopped at ${MAX_MATCHES} matches; narrow the search)` : '';
    return { ok: true, output: clip(lines.slice(0, MAX_MATCHES).join('\n') + more) };
  },
});

function searchWithRipgrep(a: { pattern: string; glob?: string; ignore_case?: boolean }, root: string, cwd: string, signal: AbortSignal): Promise<string[] | string> {
  const args = ['--line-number', '--no-heading', '--color=never', '--max-columns=300', '--max-count=50'];
  if (a.ignore_case) args.push('-i');
  if (a.glob) args.push('-g', a.glob);
  args.push('-e', a.pattern, path.relative(cwd, root) || '.');
  return new Promise((resolve) => {
    const child = spawn('rg', args, { cwd, signal });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.split('\n').length > MAX_MATCHES + 1) child.kill();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', (e) => resolve(`search failed: ${e.message}`));
    child.on('close', (code) => {
      if (code === 2 && !out) resolve(`search failed: ${err.trim()}`);
      else resolve(out.split('\n').filter(Boolean));
    });
  });
}

/** The fallback without ripgrep: a bounded walk that skips .git, node_modules, big and binary files. */
function searchWithJs(a: { pattern: string; glob?: string; ignore_case?: boolean }, root: string, cwd: string): string[] | string {
  let re: RegExp;
  try {
    re = new RegExp(a.pattern, a.ignore_case ? 'i' : '');
  } catch (e) {
    return `Invalid regular expression: ${(e as Error).message}`;
  }
  const globRe = a.glob ? globToRegExp(a.glob) : null;
  const matches: string[] = [];
  let files = 0;
  const visit = (file: string) => {
    const relPath = path.relative(cwd, file);
    if (globRe && !globRe.test(relPath) && !globRe.test(path.basename(file))) return;
    if (++files > MAX_FILES) return;
    let text: string;
    try {
      if (statSync(file).size > MAX_FILE_BYTES) return;
      text = readText(file);
    } catch {
      return;
    }
    const lines = text.split('\n');
    for (let i = 0; i < lines.length && matches.length < MAX_MATCHES; i++) {
      if (re.test(lines[i])) matches.push(`${relPath}:${i + 1}:${lines[i].slice(0, 300)}`);
    }
  };
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (matches.length >= MAX_MATCHES || files > MAX_FILES) return;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(full);
      } else if (e.isFile()) visit(full);
    }
  };
  if (statSync(root).isFile()) visit(root);
  else walk(root);
  return matches;
}

export function globToRegExp(glob: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') {
      braces++;
      re += '(';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
