import { spawn } from 'node:child_process';
import * as z from 'zod';
import { childEnv, signalGroup } from '../../daemon/process-tree';
import { resolveInside } from '../../daemon/workspace-path';
import { ClippedText, defineTool } from './types';

const DEFAULT_TIMEOUT_S = 120;
const MAX_TIMEOUT_S = 1800;
/** After the shell exits, how long to wait for its pipes to close (a background job may hold them open). */
const PIPE_GRACE_MS = 500;

export const runCommand = defineTool({
  name: 'run_command',
  description: `Run a shell command with bash -c in the working directory (or cwd, relative to it). Output (stdout and stderr) streams to the user and comes back to you with the exit code. Commands time out after timeout_seconds (default ${DEFAULT_TIMEOUT_S}, at most ${MAX_TIMEOUT_S}); on timeout the whole process group is killed. Do not start servers in the foreground: use "nohup cmd > log 2>&1 &" or the saved services. stdin is closed.`,
  kind: 'execute',
  schema: z.object({
    command: z.string().min(1),
    cwd: z.string().optional(),
    timeout_seconds: z.number().int().min(1).max(MAX_TIMEOUT_S).optional(),
  }),
  title: (a) => `Run ${a.command.length > 120 ? `${a.command.slice(0, 117)}...` : a.command}`,
  async run(a, ctx) {
    const cwd = resolveInside(ctx.cwd, a.cwd ?? '.');
    const timeoutS = a.timeout_seconds ?? DEFAULT_TIMEOUT_S;
    const result = await execute(a.command, cwd, timeoutS * 1000, ctx.signal, ctx.onOutput);
    const output = result.output || '(no output)';
    if (result.timedOut) {
      return { ok: false, output: `The command timed out after ${timeoutS}s; its process group was killed. Run long tasks in the background or raise timeout_seconds.\n${output}` };
    }
    if (result.cancelled) return { ok: false, output: `The command was cancelled.\n${output}` };
    return { ok: result.exitCode === 0, output: `Exit code: ${result.exitCode ?? result.signal}\n${output}` };
  },
});

interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  output: string;
  timedOut: boolean;
  cancelled: boolean;
}

function execute(command: string, cwd: string, timeoutMs: number, signal: AbortSignal, onOutput: (d: string) => void): Promise<ExecResult> {
  return new Promise((resolve) => {
    const output = new ClippedText();
    let timedOut = false;
    let cancelled = false;
    let exit: { code: number | null; signal: string | null } | null = null;
    let settled = false;
    // Not a login shell: login profiles can block (a stale pyenv lock, a prompt) and a timed-out kill can leave one behind.
    const child = spawn('bash', ['-c', command], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv({ CI: process.env.CI ?? '1', PAGER: 'cat', GIT_PAGER: 'cat' }) });
    const kill = () => {
      signalGroup(child.pid, 'SIGTERM');
      setTimeout(() => signalGroup(child.pid, 'SIGKILL'), 2000).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    const onAbort = () => {
      cancelled = true;
      kill();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const onData = (d: string) => {
      output.push(d);
      onOutput(d);
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      child.stdout.destroy();
      child.stderr.destroy();
      if (timedOut || cancelled) signalGroup(child.pid, 'SIGKILL');
      resolve({ exitCode: exit?.code ?? null, signal: exit?.signal ?? null, output: output.text(), timedOut, cancelled });
    };
    child.on('error', (err) => {
      output.push(`\n${err.message}`);
      finish();
    });
    child.on('exit', (code, sig) => {
      exit = { code, signal: sig };
      setTimeout(finish, PIPE_GRACE_MS).unref();
    });
    child.on('close', (code, sig) => {
      exit ??= { code, signal: sig };
      finish();
    });
  });
}
