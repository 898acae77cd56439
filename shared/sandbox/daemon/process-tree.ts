import type { ChildProcess } from 'node:child_process';

/**
 * Children that run user commands (services, agent commands, run_command) are spawned `detached`, so each leads its
 * own process group and everything it forks can be signalled at once with a negative pid.
 */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (!pid) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM to the group, then SIGKILL after `graceMs` if the leader has not exited. Resolves when it has exited. */
export function stopGroup(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    signalGroup(child.pid, 'SIGKILL'); // the leader is gone; sweep what it left in its group
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      signalGroup(child.pid, 'SIGKILL');
      resolve();
    });
    signalGroup(child.pid, 'SIGTERM');
  });
}

/** Credentials no command the agent runs should see: the sandbox token, and the model key the built-in agent uses. */
const WITHHELD = ['PROLIFERATE_SANDBOX_TOKEN', 'LLM_API_KEY'];

/** The environment children get: this process's own plus `extra`, without the credentials above. */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const key of WITHHELD) delete env[key];
  return env;
}
