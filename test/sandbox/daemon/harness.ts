import { spawn, type ChildProcess } from 'node:child_process';
import type { SandboxBootstrap } from '../../../shared/contracts/sandbox-api';
import { makeGitRepo } from '../../support/git';

/** A real git repository with one commit on `main`, to be cloned by the daemon. */
export function makeRepo(dir: string, files: Record<string, string> = { 'README.md': '# demo\n' }): string {
  makeGitRepo(dir, { files });
  return dir;
}

export function bootstrapFor(over: Partial<SandboxBootstrap>): SandboxBootstrap {
  return {
    sessionId: 'ses_test',
    sandboxId: 'sbx_test',
    organizationId: 'org_test',
    mode: 'coding',
    systemPrompt: '',
    repos: [],
    serviceCommands: [],
    envFiles: [],
    envValues: {},
    agentCommand: null,
    llm: { missing: 'LLM_PROXY_URL' },
    gitPullCadenceSeconds: 0,
    initialPrompt: null,
    ...over,
  };
}

export interface RunningDaemon {
  child: ChildProcess;
  /** Everything the daemon logged (JSON lines on stderr). */
  logs(): string;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL to its whole process group if it does not exit. */
  stop(): Promise<number | null>;
}

export function startDaemon(daemonBundle: string, env: Record<string, string>): RunningDaemon {
  const child = spawn(process.execPath, [daemonBundle], {
    env: { ...process.env, PROLIFERATE_LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let logs = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (logs += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (logs += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    logs: () => logs,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => killGroup(child.pid), 20_000);
      const code = await exited;
      clearTimeout(timer);
      killGroup(child.pid);
      return code;
    },
  };
}

function killGroup(pid: number | undefined): void {
  try {
    if (pid) process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function daemonEnv(server: { url: string; wsUrl: string; token: string }, dirs: { workspace: string; home: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PROLIFERATE_API_URL: server.url,
    PROLIFERATE_WS_URL: server.wsUrl,
    PROLIFERATE_SESSION_ID: 'ses_test',
    PROLIFERATE_SANDBOX_ID: 'sbx_test',
    PROLIFERATE_SANDBOX_TOKEN: server.token,
    PROLIFERATE_WORKSPACE: dirs.workspace,
    PROLIFERATE_HOME: dirs.home,
    PROLIFERATE_HEARTBEAT_MS: '500',
    ...extra,
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
