import { spawn } from 'node:child_process';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processesWithMarker, processState, stopProcesses } from '../../../../shared/sandbox/providers/processes';

/**
 * The inside of one fake cloud sandbox: a real temporary directory that stands for the sandbox's filesystem and real
 * child processes. Paths under `home` (e.g. /home/user) are mapped into the directory on the way in (file paths,
 * working directories, command lines, environment values) and mapped back in output, like a chroot. Every process
 * started here carries a marker in its environment, so the machine can freeze, thaw and kill all of them.
 */
export class FakeMachine {
  readonly marker: { name: string; value: string };
  private readonly homePattern: RegExp;

  constructor(
    readonly root: string,
    readonly home: string,
  ) {
    this.marker = { name: 'FAKE_SANDBOX_ROOT', value: root };
    // `home` at the start of a path, not inside a longer one.
    this.homePattern = new RegExp(`(?<![\\w/.-])${escapeRegExp(home)}(?=/|\\b|$)`, 'g');
  }

  static async boot(root: string, home: string): Promise<FakeMachine> {
    await mkdir(path.join(root, home), { recursive: true });
    return new FakeMachine(root, home);
  }

  /** The host path of a path inside the sandbox. */
  hostPath(sandboxPath: string): string {
    if (!path.posix.isAbsolute(sandboxPath)) throw new Error(`fake sandbox: path ${sandboxPath} is not absolute`);
    return path.join(this.root, sandboxPath);
  }

  mapIn(text: string): string {
    return text.replace(this.homePattern, `${this.root}${this.home}`);
  }

  mapOut(text: string): string {
    return text.split(this.root).join('');
  }

  async writeFile(sandboxPath: string, data: string): Promise<void> {
    const file = this.hostPath(sandboxPath);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data);
  }

  /** Runs argv inside the machine; a timeout kills the process group and reports `timedOut`. */
  run(
    argv: string[],
    options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number },
  ): Promise<{ exitCode: number; stdout: string; stderr: string; timedOut: boolean }> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      HOME: this.hostPath(this.home),
    };
    for (const [key, value] of Object.entries(options.env ?? {})) env[key] = this.mapIn(value);
    env[this.marker.name] = this.marker.value;
    const cwd = this.hostPath(options.cwd ?? this.home);
    return new Promise((resolve) => {
      const [command, ...args] = argv.map((a) => this.mapIn(a));
      const child = spawn(command!, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      const timer = options.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            try {
              process.kill(-child.pid!, 'SIGKILL');
            } catch {
              child.kill('SIGKILL');
            }
          }, options.timeoutMs)
        : undefined;
      child.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve({ exitCode: err.code === 'ENOENT' ? 127 : 126, stdout: '', stderr: `${command}: ${err.message}\n`, timedOut: false });
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        const exitCode = code ?? (signal === 'SIGKILL' ? 137 : signal === 'SIGTERM' ? 143 : 1);
        resolve({ exitCode, stdout: this.mapOut(stdout), stderr: this.mapOut(stderr), timedOut });
      });
    });
  }

  /** Every live process of this machine (test assertions use it to prove nothing outlives the sandbox). */
  processes(): Promise<number[]> {
    return processesWithMarker(this.marker);
  }

  /** Memory-preserving pause: every process is stopped where it is (signals land asynchronously, so wait for it). */
  async freeze(): Promise<void> {
    const pids = await this.processes();
    for (const pid of pids) signal(pid, 'SIGSTOP');
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(10)) {
      const states = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/stat`, 'utf8').then(processState, () => 'gone')));
      if (states.every((state) => state === 'T' || state === 'gone' || state === 'Z')) return;
    }
    throw new Error('fake sandbox: processes did not stop');
  }

  async thaw(): Promise<void> {
    for (const pid of await this.processes()) signal(pid, 'SIGCONT');
  }

  async killAll(): Promise<void> {
    await this.thaw();
    await stopProcesses({ marker: this.marker }, 0);
  }

  /** The files as they are now, into another directory (a snapshot). */
  async copyFilesTo(target: string): Promise<void> {
    await mkdir(target, { recursive: true });
    await cp(this.root, target, { recursive: true, verbatimSymlinks: true });
  }

  async destroy(): Promise<void> {
    await this.killAll();
    await rm(this.root, { recursive: true, force: true });
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone meanwhile
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
