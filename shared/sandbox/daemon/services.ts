import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { errorMessage, type Logger } from './log';
import { childEnv, isAlive, signalGroup, stopGroup } from './process-tree';
import { writeAtomic } from './state-store';
import { resolveInside } from './workspace-path';

export interface ServiceCommand {
  name: string;
  command: string;
  /** Relative to the repo (workspacePath) it belongs to. */
  cwd?: string;
  workspacePath?: string;
}

export interface ServiceInfo {
  name: string;
  command: string;
  cwd: string;
  pid: number | null;
  status: 'running' | 'stopped' | 'error';
  startedAt: string;
  logFile: string;
  exitCode: number | null;
}

const MAX_AUTO_RESTARTS = 3;
/** Set in every service's environment, so a later daemon can recognise the processes it may kill. */
const SERVICE_MARKER = 'PROLIFERATE_SERVICE';

/**
 * Runs saved service commands (dev servers, databases) as detached process groups with their output appended to
 * `<home>/logs/<name>.log`. Starting a name first kills whatever ran under it before, including a process left over
 * from a previous daemon (its pid is kept in `<home>/services.json`). Stop kills the whole group. A service that
 * crashes is restarted a few times with backoff; exit code 0 means it stopped by itself.
 */
export class ServiceManager {
  private readonly services = new Map<string, { info: ServiceInfo; child: ChildProcess | null; stopping: boolean; restarts: number; timer?: NodeJS.Timeout; spec: ServiceCommand }>();
  private readonly statePath: string;
  private readonly logDir: string;

  constructor(
    private readonly options: { workspace: string; home: string; log: Logger; defaultWorkspacePath?: string },
  ) {
    this.statePath = path.join(options.home, 'services.json');
    this.logDir = path.join(options.home, 'logs');
    mkdirSync(this.logDir, { recursive: true });
  }

  list(): ServiceInfo[] {
    return [...this.services.values()].map((s) => ({ ...s.info }));
  }

  running(): string[] {
    return this.list()
      .filter((s) => s.status === 'running')
      .map((s) => s.name);
  }

  async start(spec: ServiceCommand): Promise<ServiceInfo> {
    // The name becomes a file name (its log).
    if (!/^[\w.-]{1,100}$/.test(spec.name) || /^\.+$/.test(spec.name)) throw new Error(`invalid service name: ${JSON.stringify(spec.name)}`);
    await this.stop(spec.name);
    this.killOrphan(spec.name);
    const { info, child } = this.launch(spec);
    this.services.set(spec.name, { info, child, stopping: false, restarts: 0, spec });
    this.persist();
    return { ...info };
  }

  async restart(name: string): Promise<ServiceInfo | null> {
    const entry = this.services.get(name);
    return entry ? this.start(entry.spec) : null;
  }

  async stop(name: string): Promise<void> {
    const entry = this.services.get(name);
    if (!entry) return;
    entry.stopping = true;
    clearTimeout(entry.timer);
    if (entry.child) await stopGroup(entry.child, 5000);
    entry.info.status = 'stopped';
    entry.info.pid = null;
    this.persist();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.services.keys()].map((n) => this.stop(n)));
  }

  private launch(spec: ServiceCommand): { info: ServiceInfo; child: ChildProcess } {
    const base = resolveInside(this.options.workspace, spec.workspacePath ?? this.options.defaultWorkspacePath ?? '.');
    const cwd = resolveInside(base, spec.cwd ?? '.');
    const logFile = path.join(this.logDir, `${spec.name}.log`);
    const fd = openSync(logFile, 'a');
    writeSync(fd, `\n--- ${new Date().toISOString()} starting: ${spec.command}\n`);
    let child: ChildProcess;
    try {
      child = spawn('bash', ['-c', spec.command], { cwd, detached: true, stdio: ['ignore', fd, fd], env: childEnv({ [SERVICE_MARKER]: this.markerOf(spec.name) }) });
    } finally {
      closeSync(fd);
    }
    const info: ServiceInfo = { name: spec.name, command: spec.command, cwd, pid: child.pid ?? null, status: 'running', startedAt: new Date().toISOString(), logFile, exitCode: null };
    const startedAt = Date.now();
    child.on('error', (err) => this.options.log.warn('service failed to start', { service: spec.name, error: errorMessage(err) }));
    child.on('exit', (code, signal) => {
      const entry = this.services.get(spec.name);
      if (!entry || entry.child !== child) return;
      signalGroup(child.pid, 'SIGKILL'); // whatever the shell left behind
      entry.child = null;
      entry.info.pid = null;
      entry.info.exitCode = code;
      if (entry.stopping) return;
      entry.info.status = code === 0 ? 'stopped' : 'error';
      this.options.log.info('service exited', { service: spec.name, code, signal });
      if (code !== 0 && Date.now() - startedAt > 60_000) entry.restarts = 0;
      if (code !== 0 && entry.restarts < MAX_AUTO_RESTARTS) {
        entry.timer = setTimeout(() => {
          if (entry.stopping) return;
          const next = this.launch(spec);
          entry.info = next.info;
          entry.child = next.child;
          this.persist();
        }, 1000 * 2 ** entry.restarts++);
      }
      this.persist();
    });
    return { info, child };
  }

  /**
   * Kills what a previous daemon left running under this name. The saved pid is trusted only if that process still
   * carries this service's marker in its environment: after a snapshot is restored, the number may belong to anything.
   */
  private killOrphan(name: string): void {
    let pid: unknown;
    try {
      pid = (JSON.parse(readFileSync(this.statePath, 'utf8')) as Record<string, { pid?: unknown }>)[name]?.pid;
    } catch {
      return; // no saved state
    }
    if (typeof pid !== 'number' || pid === process.pid || !isAlive(pid)) return;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (environ.includes(`${SERVICE_MARKER}=${this.markerOf(name)}`)) signalGroup(pid, 'SIGKILL');
    } catch {
      // not ours to read: not ours to kill
    }
  }

  private markerOf(name: string): string {
    return `${this.options.home}#${name}`;
  }

  private persist(): void {
    const state = Object.fromEntries(this.list().map((s) => [s.name, s]));
    try {
      writeAtomic(this.statePath, JSON.stringify(state, null, 2));
    } catch (err) {
      this.options.log.warn('could not save service state', { error: errorMessage(err) });
    }
  }
}
