/**
 * Run after `npm ci` (postinstall): makes the embedded database's template — a freshly migrated PGlite cluster, see
 * openMigratedDb — so that even the first `npm start` skips initdb and the migrations. Never fails the install: without
 * the template the first start simply makes it.
 */
import { openMigratedDb } from '../shared/db/client';

openMigratedDb({})
  .then((handle) => handle.close())
  .catch((err: unknown) => {
    console.warn(`The embedded database template was not made (${err instanceof Error ? err.message : String(err)}); the first start will make it.`);
  });
