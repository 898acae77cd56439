import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import * as schema from '../../shared/db/schema';
import { MIGRATIONS_DIR, migrate } from '../../shared/db/client';
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
