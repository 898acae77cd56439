import { realpathSync } from 'node:fs';
import path from 'node:path';

export class OutsideWorkspaceError extends Error {
  constructor(requested: string) {
    super(`Path is outside the workspace: ${requested}`);
    this.name = 'OutsideWorkspaceError';
  }
}

/**
 * Resolves `relative` against `root` and makes sure the result stays inside `root` once symlinks are followed.
 * The target need not exist: its nearest existing ancestor is resolved instead, and the rest appended.
 */
export function resolveInside(root: string, relative: string): string {
  const realRoot = realpathSync(root);
  const candidate = path.resolve(realRoot, relative || '.');
  const resolved = realpathNearest(candidate);
  if (resolved !== realRoot && !resolved.startsWith(realRoot + path.sep)) throw new OutsideWorkspaceError(relative);
  return resolved;
}

export function isInside(root: string, target: string): boolean {
  try {
    resolveInside(root, path.relative(root, target));
    return true;
  } catch {
    return false;
  }
}

function realpathNearest(p: string): string {
  const missing: string[] = [];
  let current = p;
  for (;;) {
    try {
      return path.join(realpathSync(current), ...missing.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return p;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}
