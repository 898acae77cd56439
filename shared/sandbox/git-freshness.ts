/**
 * Whether a sandbox restored from a snapshot pulls its repos before the agent starts. A fresh sandbox clones (nothing
 * to pull); a snapshot older than the cadence may hold stale code. A cadence of 0 (or less) pulls on every resume, and
 * a snapshot that never recorded a fetch is treated as stale.
 */
export function shouldPullOnResume(input: {
  hasSnapshot: boolean;
  repoCount: number;
  cadenceSeconds: number;
  lastFetchAt: Date | number | null | undefined;
  now: Date | number;
}): boolean {
  if (!input.hasSnapshot || !(input.repoCount > 0)) return false;
  if (!(input.cadenceSeconds > 0)) return true;
  if (input.lastFetchAt === null || input.lastFetchAt === undefined) return true;
  const elapsedMs = toMs(input.now) - toMs(input.lastFetchAt);
  if (Number.isNaN(elapsedMs)) return true;
  return elapsedMs > input.cadenceSeconds * 1000;
}

function toMs(value: Date | number): number {
  return value instanceof Date ? value.getTime() : value;
}
