import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectsPort } from '../../ports';

/** Beside the objects, the same tree holding each object's content type; and the scratch space for atomic writes. */
const META_DIR = '.meta';
const TMP_DIR = '.tmp';
/** S3's limit on a key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

export class InvalidObjectKeyError extends Error {
  constructor(key: string, problem: string) {
    super(`invalid object key ${JSON.stringify(key)}: ${problem}`);
    this.name = 'InvalidObjectKey';
  }
}

/**
 * ObjectsPort on the data directory: an object is the file at its key under `root`, its content type a small JSON
 * file at the same key under `root/.meta`. Writes go to a temporary file first and are renamed into place, so a
 * reader sees the old object or the new one, never half of one. Unlike S3, `a` and `a/b` cannot both exist.
 */
export class FsObjects implements ObjectsPort {
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async put(key: string, body: Buffer | string, options: { contentType?: string } = {}): Promise<void> {
    const file = this.pathOf(key);
    const meta = this.pathOf(key, META_DIR);
    if (options.contentType === undefined) await rm(meta, { force: true });
    else await this.writeAtomically(key, meta, JSON.stringify({ contentType: options.contentType }));
    await this.writeAtomically(key, file, body);
  }

  async get(key: string): Promise<{ body: Buffer; contentType?: string } | null> {
    const body = await readFile(this.pathOf(key)).catch(absentAsNull);
    if (!body) return null;
    const meta = await readFile(this.pathOf(key, META_DIR), 'utf8').catch(absentAsNull);
    const contentType = meta ? contentTypeOf(meta) : undefined;
    return contentType === undefined ? { body } : { body, contentType };
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    await rm(file, { force: true });
    await rm(this.pathOf(key, META_DIR), { force: true });
    // Empty folders would block a later object named like one of them.
    await this.pruneEmptyParents(file, this.root);
    await this.pruneEmptyParents(this.pathOf(key, META_DIR), path.join(this.root, META_DIR));
  }

  /** Every key that starts with `prefix` (a plain string prefix, as in S3), in lexicographic order. */
  async list(prefix: string): Promise<string[]> {
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    if (prefix.startsWith('/') || prefix.includes('\0')) throw new InvalidObjectKeyError(prefix, 'a prefix is a key without a leading slash');
    if (folder && folder.split('/').some((s) => s === '' || s === '.' || s === '..')) {
      throw new InvalidObjectKeyError(prefix, 'a prefix has no empty, . or .. segments');
    }
    const keys: string[] = [];
    await this.walk(folder, keys);
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  private async walk(folder: string, keys: string[]): Promise<void> {
    const entries = await readdir(path.join(this.root, folder), { withFileTypes: true }).catch(absentAsNull);
    for (const entry of entries ?? []) {
      if (!folder && (entry.name === META_DIR || entry.name === TMP_DIR)) continue;
      const key = folder ? `${folder}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await this.walk(key, keys);
      else if (entry.isFile()) keys.push(key);
    }
  }

  /** The file for a key, after refusing keys that could leave the root or collide with the store's own files. */
  private pathOf(key: string, under = ''): string {
    const fail = (problem: string): never => {
      throw new InvalidObjectKeyError(key, problem);
    };
    if (typeof key !== 'string' || key.length === 0) fail('it is empty');
    if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) fail(`it is longer than ${MAX_KEY_BYTES} bytes`);
    if (key.includes('\0')) fail('it contains a NUL character');
    if (key.startsWith('/') || path.isAbsolute(key)) fail('it is an absolute path; keys have no leading slash');
    if (key.includes('\\')) fail('it contains a backslash; keys are /-separated');
    const segments = key.split('/');
    if (segments.some((s) => s === '')) fail('it has an empty segment (// or a trailing /)');
    if (segments.some((s) => s === '.' || s === '..')) fail('it has a . or .. segment');
    if (segments[0] === META_DIR || segments[0] === TMP_DIR) fail(`${segments[0]}/ is reserved by the local object store`);
    const file = path.resolve(this.root, under, ...segments);
    if (!file.startsWith(path.join(this.root, under) + path.sep)) fail('it resolves outside the object store');
    return file;
  }

  private async writeAtomically(key: string, file: string, body: Buffer | string): Promise<void> {
    const tmp = path.join(this.root, TMP_DIR, `${randomUUID()}.tmp`);
    try {
      await mkdir(path.dirname(tmp), { recursive: true });
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(tmp, body);
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR') {
        throw new InvalidObjectKeyError(key, 'another object is stored at a prefix of this key, or under it (a and a/b cannot both exist here)');
      }
      throw err;
    }
  }

  private async pruneEmptyParents(file: string, stopAt: string): Promise<void> {
    for (let dir = path.dirname(file); dir.startsWith(stopAt + path.sep); dir = path.dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone)
      }
    }
  }
}

function absentAsNull(err: NodeJS.ErrnoException): null {
  if (err.code === 'ENOENT' || err.code === 'ENOTDIR' || err.code === 'EISDIR') return null;
  throw err;
}

function contentTypeOf(meta: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(meta);
    if (typeof parsed === 'object' && parsed !== null && 'contentType' in parsed && typeof parsed.contentType === 'string') {
      return parsed.contentType;
    }
  } catch {
    // An unreadable sidecar only loses the content type.
  }
  return undefined;
}
