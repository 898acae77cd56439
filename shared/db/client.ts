import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema';

export type Schema = typeof schema;
/** One type for both drivers: a union of the two drizzle database types does not type-check. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** A database or a transaction: domain functions take either, so callers choose the transaction boundary. */
export type DbOrTx = Db | Tx;

export interface DbHandle {
  db: Db;
  /** `pglite` (embedded, in the data directory or in memory) or `postgres` (a server at DATABASE_URL). */
  kind: 'pglite' | 'postgres';
  /** PGlite runs one transaction at a time, so `SKIP LOCKED` cannot skip anything there. */
  concurrent: boolean;
  close(): Promise<void>;
}

export interface DbOptions {
  /** postgres:// URL; when absent the embedded PGlite database is used. */
  url?: string;
  /** PGlite data directory; `memory://` or undefined keeps the database in memory. */
  dataDir?: string;
  maxConnections?: number;
}

export const MIGRATIONS_DIR = path.resolve(__dirname, 'migrations');

export async function createDb(options: DbOptions): Promise<DbHandle> {
  if (options.url) return openPostgres(options.url, options);
  return openPglite(options);
}

async function openPostgres(url: string, options: DbOptions): Promise<DbHandle> {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const client = postgres(url, {
    max: options.maxConnections ?? 10,
    onnotice: () => {},
  });
  const db = drizzle(client, { schema }) as unknown as Db;
  return { db, kind: 'postgres', concurrent: true, close: () => client.end({ timeout: 5 }) };
}

async function openPglite(options: DbOptions): Promise<DbHandle> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const dataDir = options.dataDir && options.dataDir !== 'memory://' ? path.resolve(options.dataDir) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir ? { dataDir } : {});
  const db = drizzle(client, { schema }) as unknown as Db;
  return { db, kind: 'pglite', concurrent: false, close: () => client.close() };
}

/** Applies the checked-in SQL migrations (the same files on PGlite and PostgreSQL, locally and on deploy). */
export async function migrate(handle: DbHandle, migrationsFolder = MIGRATIONS_DIR): Promise<void> {
  if (handle.kind === 'pglite') {
    const { migrate: run } = await import('drizzle-orm/pglite/migrator');
    await run(handle.db as never, { migrationsFolder });
  } else {
    const { migrate: run } = await import('drizzle-orm/postgres-js/migrator');
    await run(handle.db as never, { migrationsFolder });
  }
}

export { schema };
