import { randomBytes } from 'node:crypto';
import { createDb, migrate, openMigratedDb, type DbHandle } from '../../shared/db/client';

/**
 * A freshly migrated database for one test file: PGlite in memory by default, or a new database on the server
 * named by DATABASE_URL (created here, dropped by close()).
 */
export async function testDb(): Promise<DbHandle & { url?: string }> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return openMigratedDb({});
  const name = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const { default: postgres } = await import('postgres');
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = withDatabase(serverUrl, name);
  const handle = await createDb({ url, maxConnections: 10 });
  try {
    await migrate(handle);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return {
    ...handle,
    url,
    async close() {
      await handle.close();
      const drop = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        await drop.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await drop.end({ timeout: 5 });
      }
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
