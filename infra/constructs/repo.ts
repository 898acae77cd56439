import path from 'node:path';

/** The repository root: entries in the manifest, ASL files and the migrations folder are relative to it. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export const repoPath = (relative: string): string => path.join(REPO_ROOT, relative);
