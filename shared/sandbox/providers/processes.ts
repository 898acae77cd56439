import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Finding and stopping the processes of a sandbox that runs on this machine. A process belongs to a sandbox when it is
 * in the daemon's process group or carries the sandbox's marker in its environment: the marker also catches services
 * the daemon started in process groups of their own. The marker is read from /proc (Linux); elsewhere only the
 * process group is known.
 */

const HAS_PROC = process.platform === 'linux';
const POLL_MS = 50;

/** Whether `pid` is a live process (a zombie has finished: it only waits for its parent to collect it). */
export async function isProcessAlive(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (HAS_PROC) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    return stat !== null && processState(stat) !== 'Z' && processState(stat) !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The fields of /proc/<pid>/stat after the command name: state, ppid, pgrp, ... */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The one-letter state in /proc/<pid>/stat (R, S, T, Z, ...); the command name before it may contain spaces. */
export function processState(stat: string): string {
  return statFields(stat)[0] ?? '';
}

/** Whether `pid` is live and carries `NAME=value` in its environment (so a reused pid is not mistaken for ours). */
export async function processHasMarker(pid: number, marker: { name: string; value: string }): Promise<boolean> {
  if (!HAS_PROC) return isProcessAlive(pid);
  if (!(await isProcessAlive(pid))) return false;
  const environ = await readFile(`/proc/${pid}/environ`).catch(() => null);
  return environ !== null && environ.toString('utf8').split('\0').includes(`${marker.name}=${marker.value}`);
}

/** Live processes whose environment carries the marker (empty where /proc is missing). */
export async function processesWithMarker(marker: { name: string; value: string }): Promise<number[]> {
  if (!HAS_PROC) return [];
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const pids = entries.filter((e) => /^\d+$/.test(e)).map(Number).filter((pid) => pid !== process.pid);
  const found: number[] = [];
  for (const pid of pids) {
    if (await processHasMarker(pid, marker)) found.push(pid);
  }
  return found;
}

/** Live members of a process group. */
async function groupMembers(pgid: number): Promise<number[]> {
  if (!HAS_PROC) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    const [state, , pgrp] = statFields(stat);
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') members.push(Number(entry));
  }
  return members;
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // Already gone, or never ours.
  }
}

/**
 * Stops a sandbox's processes: SIGTERM to the group and to every marked process, SIGKILL to what is left after
 * `graceMs`. Resolves once none is alive (or, after SIGKILL, when the kernel has had a moment to finish them).
 */
export async function stopProcesses(target: { pgid?: number | null; marker: { name: string; value: string } }, graceMs: number): Promise<void> {
  const alive = async () => {
    const marked = await processesWithMarker(target.marker);
    const pids = new Set(marked);
    // A group none of whose members is marked may be a stranger that got the dead daemon's pid as its group id.
    const group = target.pgid ? await groupMembers(target.pgid) : [];
    const groupIsOurs = !HAS_PROC || group.some((pid) => pids.has(pid));
    if (groupIsOurs) for (const pid of group) pids.add(pid);
    return { pids: [...pids], groupIsOurs: groupIsOurs && group.length > 0 };
  };
  const send = async (sig: NodeJS.Signals) => {
    const { pids, groupIsOurs } = await alive();
    if (target.pgid && groupIsOurs) signal(-target.pgid, sig);
    for (const pid of pids) signal(pid, sig);
  };
  const none = async () => (await alive()).pids.length === 0;
  if (await none()) return;
  await send('SIGTERM');
  for (const deadline = Date.now() + graceMs; Date.now() < deadline; ) {
    if (await none()) return;
    await sleep(POLL_MS);
  }
  await send('SIGKILL');
  for (const deadline = Date.now() + 2_000; Date.now() < deadline; ) {
    if (await none()) return;
    await sleep(POLL_MS);
  }
}
