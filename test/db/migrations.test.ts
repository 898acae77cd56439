import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import * as schema from '../../shared/db/schema';
import { MIGRATIONS_DIR, migrate, openMigratedDb, type DbHandle } from '../../shared/db/client';
import { rowsOf } from '../../shared/db/rows';
import { testDb } from '../support/db';

describe('migrations', () => {
  it('apply cleanly, twice, and create every table of the schema', async () => {
    const handle = await testDb();
    try {
      await migrate(handle); // a second run is a no-op
      const rows = rowsOf<{ table_name: string }>(
        await handle.db.execute(sql`select table_name from information_schema.tables where table_schema = current_schema()`),
      );
      const tables = rows.map((r) => r.table_name).sort();
      for (const name of ['user', 'session', 'organization', 'member', 'invitation', 'apikey', 'outbox', 'queue_message', 'dead_letter', 'workflow_execution', 'task_token', 'schedule', 'super_admin']) {
        expect(tables).toContain(name);
      }
    } finally {
      await handle.close();
    }
  });

  it('match the drizzle schema (no drift between schema.ts and the SQL files)', async () => {
    const { generateDrizzleJson, generateMigration } = await import('drizzle-kit/api');
    const snapshots = readdirSync(path.join(MIGRATIONS_DIR, 'meta')).filter((f) => f.endsWith('_snapshot.json')).sort();
    const last = JSON.parse(readFileSync(path.join(MIGRATIONS_DIR, 'meta', snapshots[snapshots.length - 1]), 'utf8'));
    const current = generateDrizzleJson(schema as Record<string, unknown>, last.id, undefined, 'snake_case');
    const pending = await generateMigration(last, current);
    expect(pending).toEqual([]);
  });
});

describe('the embedded database template', () => {
  const tables = async (handle: DbHandle) =>
    rowsOf<{ n: number }>(await handle.db.execute(sql`select count(*)::int as n from information_schema.tables where table_schema = current_schema()`))[0].n;
  const applied = async (handle: DbHandle) => rowsOf<{ n: number }>(await handle.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`))[0].n;
  const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')).entries.length;
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'prl-template-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is made by the first fresh cluster, and later fresh clusters start from it, migrated, with their own data', async () => {
    const cache = path.join(root, 'cache');
    const first = await openMigratedDb({ dataDir: path.join(root, 'a'), templateCacheDir: cache });
    const expected = await tables(first);
    await first.db.execute(sql`insert into super_admin (user_id) select 'nobody' where false`);
    await first.close();
    const [template] = readdirSync(cache);
    expect(template).toMatch(/^pglite-[\d.]+-[0-9a-f]{16}\.tar$/);

    const second = await openMigratedDb({ dataDir: path.join(root, 'b'), templateCacheDir: cache });
    const inMemory = await openMigratedDb({ templateCacheDir: cache });
    try {
      for (const h of [second, inMemory]) expect([await tables(h), await applied(h)]).toEqual([expected, journal]);
      await second.db.execute(sql`create table only_in_b (x int)`);
    } finally {
      await second.close();
      await inMemory.close();
    }
    // b kept what it wrote on disk; a fresh cluster made from the template has none of it.
    const again = await openMigratedDb({ dataDir: path.join(root, 'b'), templateCacheDir: cache });
    const third = await openMigratedDb({ dataDir: path.join(root, 'c'), templateCacheDir: cache });
    try {
      expect(await tables(again)).toBe(expected + 1);
      expect(await tables(third)).toBe(expected);
    } finally {
      await again.close();
      await third.close();
    }
  });

  it('is removed when it does not load, and the cluster is made the long way', async () => {
    const cache = path.join(root, 'cache');
    await (await openMigratedDb({ templateCacheDir: cache })).close();
    const [template] = readdirSync(cache);
    writeFileSync(path.join(cache, template), 'not a tar file');
    const handle = await openMigratedDb({ dataDir: path.join(root, 'd'), templateCacheDir: cache });
    try {
      expect(await applied(handle)).toBe(journal);
    } finally {
      await handle.close();
    }
    // It was made again by that cluster, and it loads.
    expect(readFileSync(path.join(cache, template)).length).toBeGreaterThan(1024);
  });
});
