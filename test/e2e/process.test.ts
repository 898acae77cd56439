import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** Runs bin/local.ts as `npm start` does, collecting its output. */
function launch(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let out = '';
  const child = spawn(TSX, [path.join(ROOT, 'bin', 'local.ts')], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'warn', DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(pred: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the process', () => {
  it.each([
    ['PORT', 'not-a-port'],
    ['DATABASE_URL', 'mysql://nope'],
    ['PUBLIC_URL', 'ftp://example.com'],
    ['BETTER_AUTH_SECRET', 'short'],
  ])('stops with exit code 2 and names %s when it is invalid', async (variable, value) => {
    const run = launch({ [variable]: value, PROLIFERATE_DATA_DIR: path.join(tmpdir(), 'never-created') });
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain(`${variable}:`);
  });

  it('starts on the embedded database, serves health, stops gracefully on SIGTERM and starts again on the same data', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'proliferate-proc-'));
    try {
      for (const round of [1, 2]) {
        const port = String(4600 + Math.floor(Math.random() * 300) + round);
        const run = launch({ PORT: port, PROLIFERATE_DATA_DIR: dataDir });
        await waitFor(() => run.output().includes('Proliferate is running at'), 60_000, `start (round ${round})`);
        expect(run.output()).toContain(`http://localhost:${port}`);
        const health = await fetch(`http://127.0.0.1:${port}/api/health`);
        expect(health.status).toBe(200);
        expect(((await health.json()) as { checks: { database: { detail: string } } }).checks.database.detail).toBe('pglite');
        run.child.kill('SIGTERM');
        expect(await run.exited).toBe(0);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
