import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type * as NodePty from '@lydell/node-pty';
import { errorMessage, type Logger } from './log';
import { childEnv, signalGroup } from './process-tree';

interface Pty {
  write(data: string): void;
  resize(cols: number, rows: number): void;
  kill(): void;
}

const FRAME_MS = 20;
const MAX_FRAME = 64 * 1024;

/**
 * Interactive shells for the session's terminal view. Each terminal is bash in a PTY (`@lydell/node-pty`, kept out of
 * the bundle); where that native module cannot load (an image without it), bash runs under `script`, which gives it
 * a PTY too but cannot be resized. Output is gathered into frames of ~20 ms.
 */
export class Terminals {
  private readonly terms = new Map<string, { pty: Pty; pending: string; timer?: NodeJS.Timeout }>();
  private ptyModule: typeof NodePty | null | undefined;

  constructor(
    private readonly options: {
      cwd: () => string;
      log: Logger;
      onOutput: (terminalId: string, data: string) => void;
      onExit: (terminalId: string, exitCode: number | null) => void;
    },
  ) {}

  open(terminalId: string, cols: number, rows: number): void {
    this.close(terminalId);
    const out = (data: string) => this.output(terminalId, data);
    const exit = (code: number | null) => {
      const t = this.terms.get(terminalId);
      if (!t) return;
      this.flush(terminalId);
      this.terms.delete(terminalId);
      this.options.onExit(terminalId, code);
    };
    let pty: Pty;
    try {
      pty = this.spawnPty(cols, rows, out, exit);
    } catch (err) {
      this.options.onOutput(terminalId, `Could not start a terminal: ${errorMessage(err)}\r\n`);
      this.options.onExit(terminalId, null);
      return;
    }
    this.terms.set(terminalId, { pty, pending: '' });
  }

  input(terminalId: string, data: string): void {
    this.terms.get(terminalId)?.pty.write(data);
  }

  resize(terminalId: string, cols: number, rows: number): void {
    this.terms.get(terminalId)?.pty.resize(clamp(cols), clamp(rows));
  }

  close(terminalId: string): void {
    const t = this.terms.get(terminalId);
    if (!t) return;
    this.terms.delete(terminalId);
    clearTimeout(t.timer);
    t.pty.kill();
  }

  closeAll(): void {
    for (const id of [...this.terms.keys()]) this.close(id);
  }

  private output(terminalId: string, data: string): void {
    const t = this.terms.get(terminalId);
    if (!t) return;
    t.pending += data;
    if (t.pending.length >= MAX_FRAME) this.flush(terminalId);
    else t.timer ??= setTimeout(() => this.flush(terminalId), FRAME_MS);
  }

  private flush(terminalId: string): void {
    const t = this.terms.get(terminalId);
    if (!t) return;
    clearTimeout(t.timer);
    t.timer = undefined;
    if (!t.pending) return;
    const data = t.pending;
    t.pending = '';
    this.options.onOutput(terminalId, data);
  }

  private loadPty(): typeof NodePty | null {
    if (this.ptyModule === undefined) {
      try {
        this.ptyModule = createRequire(__filename)('@lydell/node-pty') as typeof NodePty;
      } catch (err) {
        this.options.log.info('node-pty is not available; terminals run under script(1)', { error: errorMessage(err) });
        this.ptyModule = null;
      }
    }
    return this.ptyModule;
  }

  private spawnPty(cols: number, rows: number, onData: (d: string) => void, onExit: (code: number | null) => void): Pty {
    const env = childEnv({ TERM: 'xterm-256color', COLORTERM: 'truecolor' });
    const cwd = this.options.cwd();
    const mod = this.loadPty();
    if (mod) {
      const p = mod.spawn('bash', ['-l'], { name: 'xterm-256color', cols: clamp(cols), rows: clamp(rows), cwd, env: env as Record<string, string> });
      p.onData(onData);
      p.onExit(({ exitCode }) => onExit(exitCode));
      return { write: (d) => p.write(d), resize: (c, r) => p.resize(c, r), kill: () => p.kill() };
    }
    const child = spawn('script', ['-qfc', 'bash -l', '/dev/null'], { cwd, env: { ...env, COLUMNS: String(cols), LINES: String(rows) }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.stdin.on('error', () => {});
    child.on('error', (err) => {
      onData(`Could not start a terminal: ${errorMessage(err)}\r\n`);
      onExit(null);
    });
    child.on('exit', (code) => onExit(code));
    return {
      write: (d) => child.stdin.write(d),
      resize: () => {},
      kill: () => signalGroup(child.pid, 'SIGKILL'),
    };
  }
}

function clamp(n: number): number {
  return Math.max(2, Math.min(1000, Math.floor(n)));
}
