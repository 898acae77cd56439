import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';

/** Packing and unpacking a sandbox directory with the system `tar` (GNU tar on Debian, bsdtar on macOS). */

function run(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('tar', args, { maxBuffer: 4 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(err);
      else resolve({ code: err ? Number(err.code) : 0, stderr: String(stderr) });
    });
  });
}

/**
 * Writes a gzipped tar of `dir` to `archive`, leaving out the top-level entries in `skipTopLevel` and every folder
 * matching one of `skipAnywhere` (e.g. node_modules/.cache).
 */
export async function packDirectory(dir: string, archive: string, options: { skipTopLevel: string[]; skipAnywhere: string[] }): Promise<void> {
  const entries = (await readdir(dir)).filter((name) => !options.skipTopLevel.includes(name));
  // `./` keeps a name that starts with a dash from being read as an option.
  const members = entries.length > 0 ? entries.map((name) => `./${name}`) : ['--files-from=/dev/null'];
  const excludes = options.skipAnywhere.map((pattern) => `--exclude=${pattern}`);
  const { code, stderr } = await run(['-czf', archive, ...excludes, '-C', dir, ...members]);
  // 1 means a file changed while it was read: the archive is complete, the file's content is whatever tar saw.
  if (code !== 0 && code !== 1) throw new Error(`tar could not pack the sandbox (exit ${code}): ${stderr.trim().slice(0, 500)}`);
}

/** Unpacks a gzipped tar into `dir` (which must exist). tar itself refuses members that would land outside it. */
export async function unpackArchive(archive: string, dir: string): Promise<void> {
  const { code, stderr } = await run(['-xzf', archive, '-C', dir, '--no-same-owner']);
  if (code !== 0) throw new Error(`tar could not unpack the snapshot (exit ${code}): ${stderr.trim().slice(0, 500)}`);
}
