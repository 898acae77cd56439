/**
 * Authenticated GET /api/org/members under load (autocannon, 50 connections, 20 s) on the embedded runtime, once with
 * PGlite and once with PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test).
 * Run: npm run bench:load
 */
import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../shared/config';
import { createLogger } from '../shared/runtime/logger';
import { LocalRuntime } from '../infra/local/runtime';
import { createDb, migrate } from '../shared/db/client';
import { signUpVerified } from '../test/support/runtime';

async function run(label: string, databaseUrl?: string) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'proliferate-load-'));
  let db;
  if (databaseUrl) {
    const { default: postgres } = await import('postgres');
    const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe('drop database if exists bench_load with (force)');
    await admin.unsafe('create database bench_load');
    await admin.end();
    const u = new URL(databaseUrl);
    u.pathname = '/bench_load';
    db = await createDb({ url: u.toString(), maxConnections: 20 });
  } else {
    db = await createDb({ dataDir: path.join(dataDir, 'pgdata') });
  }
  await migrate(db);
  const config = loadConfig({ PORT: '0', PROLIFERATE_DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const runtime = await LocalRuntime.start({ config, db, logger: createLogger({ level: 'silent' }) });
  try {
    const owner = await signUpVerified(runtime.url, 'Load Owner', 'load@bench.example');
    await owner.post('/api/orgs', { name: 'Bench' });
    const result = await autocannon({
      url: `${runtime.url}/api/org/members`,
      connections: 50,
      duration: 20,
      headers: { cookie: owner.cookieHeader() },
    });
    const ok = result['2xx'];
    console.log(`${label}: ${result.requests.average.toFixed(0)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${ok} ok, ${result.non2xx} non-2xx, ${result.errors} errors`);
  } finally {
    await runtime.stop(2000);
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  await run('PGlite (embedded)');
  await run('PostgreSQL 15', process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
