import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SandboxBootstrap } from '../../contracts/sandbox-api';
import { dotenvLine } from '../../domain/secrets/dotenv';
import { resolveInside } from './workspace-path';

type EnvFileSpec = SandboxBootstrap['envFiles'][number];

export interface EnvFilesResult {
  written: string[];
  /** Required keys with no value: nothing is written when any is missing. */
  missing: { file: string; key: string }[];
}

/**
 * Writes dotenv files from their specs and the session's values. Two passes: first every required key must have a
 * value (the session's values, then the daemon's environment), and only then is anything written. Files stay inside
 * the workspace and are added to their repo's `.git/info/exclude`, so a commit never picks them up.
 */
export function writeEnvFiles(workspace: string, specs: EnvFileSpec[], values: Record<string, string>): EnvFilesResult {
  const lookup = (key: string) => values[key] ?? process.env[key];
  const missing = specs.flatMap((spec) => spec.keys.filter((k) => k.required && lookup(k.key) === undefined).map((k) => ({ file: spec.path, key: k.key })));
  if (missing.length) return { written: [], missing };

  const written: string[] = [];
  for (const spec of specs) {
    const base = resolveInside(workspace, spec.workspacePath);
    const file = resolveInside(base, spec.path);
    const lines = spec.keys.flatMap((k) => {
      const v = lookup(k.key);
      return v === undefined ? [] : [dotenvLine(k.key, v)];
    });
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
    excludeFromGit(workspace, file);
    written.push(file);
  }
  return { written, missing };
}

/** Deletes the written files (before a snapshot, so secrets are not captured in it). */
export function scrubEnvFiles(files: string[]): void {
  for (const f of files) rmSync(f, { force: true });
}

/**
 * The values a person gave the running session, as one JSON object the agent reads a key of (`jq -r .KEY`). Written
 * atomically, readable by this user only, in a folder only this user can enter.
 */
export function writeEnvJson(file: string, values: Record<string, string>): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(path.dirname(file), 0o700);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(values, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

export function removeEnvJson(file: string): void {
  rmSync(file, { force: true });
}

/** Adds the file (relative to its repo) to the nearest repo's `.git/info/exclude`, once. */
function excludeFromGit(workspace: string, file: string): void {
  let dir = path.dirname(file);
  const root = realpathSync(workspace);
  for (;;) {
    const gitDir = path.join(dir, '.git');
    if (existsSync(gitDir) && statSync(gitDir).isDirectory()) {
      const exclude = path.join(gitDir, 'info', 'exclude');
      const entry = `/${path.relative(dir, file).split(path.sep).join('/')}`;
      const current = existsSync(exclude) ? readFileSync(exclude, 'utf8') : '';
      if (!current.split('\n').includes(entry)) {
        mkdirSync(path.dirname(exclude), { recursive: true });
        writeFileSync(exclude, `${current}${current && !current.endsWith('\n') ? '\n' : ''}${entry}\n`);
      }
      return;
    }
    if (dir === root || !dir.startsWith(root)) return;
    dir = path.dirname(dir);
  }
}
