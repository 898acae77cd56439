import { spawn } from 'node:child_process';
import { childEnv } from './process-tree';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs git without a terminal: it must never wait for a password prompt (`GIT_TERMINAL_PROMPT=0`, no askpass), and
 * its messages are in English so the result codes can be derived from them.
 */
export function runGit(args: string[], cwd: string, options: { readOnly?: boolean; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  return run('git', args, cwd, {
    env: {
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: '/bin/false',
      SSH_ASKPASS: '/bin/false',
      GCM_INTERACTIVE: 'never',
      LC_ALL: 'C',
      ...(options.readOnly ? { GIT_OPTIONAL_LOCKS: '0' } : {}),
      ...options.env,
    },
    timeoutMs: options.timeoutMs ?? 120_000,
  });
}

export function run(command: string, args: string[], cwd: string, options: { env?: Record<string, string>; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let child;
    try {
      child = spawn(command, args, { cwd, env: childEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ code: 127, stdout: '', stderr: String(err) });
      return;
    }
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: err.code === 'ENOENT' ? 127 : 1, stdout, stderr: stderr || err.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
