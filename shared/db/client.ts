import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  return (await openPgliteClient(options)).handle;
}

async function openPgliteClient(options: DbOptions, loadDataDir?: Blob) {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const dataDir = pgliteDataDir(options);
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create({ ...(dataDir ? { dataDir } : {}), ...(loadDataDir ? { loadDataDir } : {}) });
  const db = drizzle(client, { schema }) as unknown as Db;
  const handle: DbHandle = { db, kind: 'pglite', concurrent: false, close: () => client.close() };
  return { handle, client };
}

const pgliteDataDir = (options: DbOptions) => (options.dataDir && options.dataDir !== 'memory://' ? path.resolve(options.dataDir) : undefined);

/**
 * A migrated database. A new PGlite cluster (a fresh data directory, or one in memory) starts from a template — a
 * dump of a freshly migrated cluster, kept in the cache folder per PGlite version and set of migrations — instead of
 * running initdb and every migration again (about 2 s on this kind of machine, against 0.5 s). The first fresh
 * cluster makes the template. A template that does not load is removed and the cluster is made the long way.
 */
export async function openMigratedDb(options: DbOptions & { templateCacheDir?: string | null } = {}): Promise<DbHandle> {
  if (options.url) {
    const handle = await createDb(options);
    await migrate(handle);
    return handle;
  }
  const dataDir = pgliteDataDir(options);
  // Only a cluster that does not exist yet (in memory, or an absent or empty folder) starts from the template.
  const fresh = !dataDir || !existsSync(dataDir) || readdirSync(dataDir).length === 0;
  const cacheDir = options.templateCacheDir === undefined ? defaultCacheDir() : options.templateCacheDir;
  const template = fresh && cacheDir ? templateFile(cacheDir) : null;
  if (template && existsSync(template)) {
    let opened: DbHandle | undefined;
    try {
      opened = (await openPgliteClient(options, new Blob([readFileSync(template)]))).handle;
      await migrate(opened); // applies nothing: the template is at these migrations
      return opened;
    } catch {
      await opened?.close().catch(() => {});
      rmSync(template, { force: true });
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const { handle, client } = await openPgliteClient(options);
  await migrate(handle);
  if (template) {
    try {
      const dump = Buffer.from(await (await client.dumpDataDir('none')).arrayBuffer());
      mkdirSync(path.dirname(template), { recursive: true });
      const partial = `${template}.${process.pid}.partial`;
      writeFileSync(partial, dump);
      renameSync(partial, template);
    } catch {
      // A cache: without it the next fresh cluster takes the long way again.
    }
  }
  return handle;
}

/** The node_modules folder PGlite is installed in, if any (none in a Lambda bundle). */
function nodeModules(): string | null {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'node_modules', '@electric-sql', 'pglite', 'package.json'))) return path.join(dir, 'node_modules');
    if (path.dirname(dir) === dir) return null;
  }
}

/** `<repository>/node_modules/.cache/proliferate`. */
function defaultCacheDir(): string | null {
  const modules = nodeModules();
  return modules && path.join(modules, '.cache', 'proliferate');
}

/** The template's file: named after the PGlite version and a hash of every migration file. */
function templateFile(cacheDir: string): string | null {
  try {
    const modules = nodeModules();
    if (!modules) return null;
    const { version } = JSON.parse(readFileSync(path.join(modules, '@electric-sql', 'pglite', 'package.json'), 'utf8')) as { version: string };
    const hash = createHash('sha256').update(version);
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(p);
        else hash.update(path.relative(MIGRATIONS_DIR, p)).update(readFileSync(p));
      }
    };
    walk(MIGRATIONS_DIR);
    return path.join(cacheDir, `pglite-${version}-${hash.digest('hex').slice(0, 16)}.tar`);
  } catch {
    return null;
  }
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
