import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { resolveInside } from '../../daemon/workspace-path';
import { clip, defineTool } from './types';

const MAX_READ = 200_000;
const SKIP_DIRS = new Set(['.git', 'node_modules']);

function rel(cwd: string, file: string): string {
  return path.relative(cwd, file) || '.';
}

function readText(file: string): string {
  const buf = readFileSync(file);
  if (buf.subarray(0, 8000).includes(0)) throw new Error(`${file} looks like a binary file (${buf.length} bytes)`);
  return buf.toString('utf8');
}

export const readFile = defineTool({
  name: 'read_file',
  description: 'Read a text file. Paths are relative to the working directory. For long files, read a range of lines with offset (1-based) and limit.',
  kind: 'read',
  schema: z.object({
    path: z.string().min(1),
    offset: z.number().int().min(1).optional().describe('first line to read (1-based)'),
    limit: z.number().int().min(1).optional().describe('number of lines to read'),
  }),
  title: (a) => `Read ${a.path}`,
  async run(a, ctx) {
    const file = resolveInside(ctx.cwd, a.path);
    if (!existsSync(file)) return { ok: false, output: `File not found: ${a.path}` };
    if (statSync(file).isDirectory()) return { ok: false, output: `${a.path} is a directory; use list_files` };
    let text = readText(file);
    if (a.offset || a.limit) {
      const lines = text.split('\n');
      const start = (a.offset ?? 1) - 1;
      text = lines.slice(start, a.limit ? start + a.limit : undefined).join('\n');
      if (start >= lines.length) return { ok: true, output: `(the file has only ${lines.length} lines)` };
    }
    if (text.length > MAX_READ) {
      return { ok: true, output: `${text.slice(0, MAX_READ)}\n… [truncated: the file has ${text.length} characters; read further with offset/limit]` };
    }
    return { ok: true, output: text || '(empty file)' };
  },
});

export const writeFile = defineTool({
  name: 'write_file',
  description: 'Create a file or replace its whole content. Creates missing directories. Prefer edit_file for changes to existing files.',
  kind: 'edit',
  schema: z.object({ path: z.string().min(1), content: z.string() }),
  title: (a) => `Write ${a.path}`,
  async run(a, ctx) {
    const file = resolveInside(ctx.cwd, a.path);
    const oldText = existsSync(file) ? readText(file) : null;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, a.content);
    // A final newline ends the last line; it does not start another.
    const lines = a.content === '' ? 0 : a.content.split('\n').length - (a.content.endsWith('\n') ? 1 : 0);
    const count = `${lines} ${lines === 1 ? 'line' : 'lines'}`;
    return { ok: true, output: `${oldText === null ? 'Created' : 'Overwrote'} ${rel(ctx.cwd, file)} (${count})`, diffs: [{ path: file, oldText, newText: a.content }] };
  },
});

export const editFile = defineTool({
  name: 'edit_file',
  description:
    'Replace an exact piece of text in a file. old_string must match the file exactly (including whitespace and indentation) and must be unique unless replace_all is true; include enough surrounding lines to make it unique.',
  kind: 'edit',
  schema: z.object({
    path: z.string().min(1),
    old_string: z.string().min(1),
    new_string: z.string(),
    replace_all: z.boolean().optional(),
  }),
  title: (a) => `Edit ${a.path}`,
  async run(a, ctx) {
    const file = resolveInside(ctx.cwd, a.path);
    if (!existsSync(file)) return { ok: false, output: `File not found: ${a.path}. Use write_file to create it.` };
    const oldText = readText(file);
    const count = oldText.split(a.old_string).length - 1;
    if (count === 0) {
      return { ok: false, output: `old_string was not found in ${a.path}. Read the file again and copy the text exactly (whitespace and indentation matter).` };
    }
    if (count > 1 && !a.replace_all) {
      return { ok: false, output: `old_string appears ${count} times in ${a.path}. Include more surrounding lines to make it unique, or set replace_all to true.` };
    }
    const newText = a.replace_all ? oldText.split(a.old_string).join(a.new_string) : oldText.replace(a.old_string, () => a.new_string);
    writeFileSync(file, newText);
    return { ok: true, output: `Edited ${rel(ctx.cwd, file)} (${count} replacement${count > 1 ? 's' : ''})`, diffs: [{ path: file, oldText, newText }] };
  },
});

export const listFiles = defineTool({
  name: 'list_files',
  description: 'List a directory (directories end with /). With recursive, lists the whole tree (skipping .git and node_modules), up to 2000 entries.',
  kind: 'search',
  schema: z.object({ path: z.string().optional(), recursive: z.boolean().optional() }),
  title: (a) => `List ${a.path ?? '.'}`,
  async run(a, ctx) {
    const dir = resolveInside(ctx.cwd, a.path ?? '.');
    if (!existsSync(dir) || !statSync(dir).isDirectory()) return { ok: false, output: `Not a directory: ${a.path ?? '.'}` };
    const out: string[] = [];
    const max = 2000;
    const walk = (d: string) => {
      for (const entry of readdirSync(d, { withFileTypes: true }).sort((x, y) => x.name.localeCompare(y.name))) {
        if (out.length >= max) return;
        const full = path.join(d, entry.name);
        const shown = path.relative(dir, full);
        if (entry.isDirectory()) {
          out.push(`${shown}/`);
          if (a.recursive && !SKIP_DIRS.has(entry.name)) walk(full);
        } else out.push(shown);
      }
    };
    walk(dir);
    if (out.length === 0) return { ok: true, output: '(empty directory)' };
    return { ok: true, output: clip(out.join('\n') + (out.length >= max ? `\n… (stopped at ${max} entries)` : '')) };
  },
});

export { SKIP_DIRS, readText };
