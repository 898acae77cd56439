import type { ConfigurationStatus } from '../api/types';

export const CONFIGURATION_STATUS_LABELS: Record<ConfigurationStatus, string> = {
  building: 'Building',
  default: 'Base snapshot',
  ready: 'Ready',
  failed: 'Failed',
};

export const CONFIGURATION_STATUS_HINTS: Record<ConfigurationStatus, string> = {
  building: 'The snapshot is being built: the repositories are cloned into a fresh sandbox.',
  default: 'The snapshot has the repositories but no setup yet. Run a setup session to install dependencies and save it.',
  ready: 'Set up and snapshotted: new sessions start from it with their services running.',
  failed: 'The last snapshot build failed.',
};

/** The folder a repo gets in the sandbox by default: "." alone, else the last part of its name. */
export function defaultWorkspacePath(repoName: string, repoCount: number): string {
  if (repoCount <= 1) return '.';
  const last = repoName.split('/').filter(Boolean).pop() ?? repoName;
  return last.replace(/\.git$/, '') || 'repo';
}
