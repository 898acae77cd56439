/**
 * `npm start` to the first successful GET /api/health, with a fresh data directory each run (so the embedded database
 * is created and migrated every time) and the dashboard already built. Median of 5.
 * Run: npm run bench:start
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

async function once(port: number): Promise<number> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'proliferate-start-'));
  const started = performance.now();
  const child = spawn('npm', ['start'], { cwd: root, env: { ...process.env, PORT: String(port), PROLIFERATE_DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, stdio: 'ignore', detached: true });
  try {
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/health`);
        if (res.ok) return performance.now() - started;
      } catch {
        /* not listening yet */
      }
      if (performance.now() - started > 60_000) throw new Error('no healthy answer within 60 s');
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push(await once(4700 + i));
  times.sort((a, b) => a - b);
  console.log(`npm start → first healthy /api/health: median ${(times[2] / 1000).toFixed(2)} s (runs: ${times.map((t) => (t / 1000).toFixed(2)).join(', ')} s)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
