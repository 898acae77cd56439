/**
 * `npm start` to the first successful GET /api/health, the dashboard already built: a first start on a fresh data
 * directory (the embedded database is created — PGlite's initdb — and migrated), then a restart on that directory.
 * Median of 5 of each. Run: npm run bench:start
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

async function once(port: number, dataDir: string): Promise<number> {
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
  }
}

async function main() {
  const fresh: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'proliferate-start-'));
    fresh.push(await once(4700 + i, dataDir));
    warm.push(await once(4710 + i, dataDir));
    rmSync(dataDir, { recursive: true, force: true });
  }
  const report = (label: string, times: number[]) => {
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`${label}: median ${(sorted[2] / 1000).toFixed(2)} s (runs: ${times.map((t) => (t / 1000).toFixed(2)).join(', ')} s)`);
  };
  report('npm start → healthy, fresh data directory', fresh);
  report('npm start → healthy, existing data directory', warm);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
