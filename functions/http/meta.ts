import { sql } from 'drizzle-orm';
import { metaRoutes as r } from '../../shared/contracts/meta';
import { openApiDocument } from '../../shared/contracts/openapi';
import { bind, httpApi } from '../../shared/http/api';
import { HttpReply } from '../../shared/http/types';
import type { Container } from '../../shared/runtime/container';
import { VERSION } from '../../shared/version';

async function health(c: Container) {
  const started = Date.now();
  const checks: Record<string, { ok: boolean; detail?: string; ms?: number }> = {};
  try {
    await c.db.execute(sql`select 1`);
    checks.database = { ok: true, detail: c.dbHandle.kind, ms: Date.now() - started };
  } catch (err) {
    checks.database = { ok: false, detail: (err as Error).message.slice(0, 200), ms: Date.now() - started };
  }
  Object.assign(checks, (await c.runtimeChecks?.()) ?? {});
  const ok = Object.values(checks).every((x) => x.ok);
  return { status: ok ? ('ok' as const) : ('degraded' as const), version: VERSION, runtime: c.config.PROLIFERATE_RUNTIME, checks };
}

let cachedDoc: unknown;

export const handler = httpApi('meta', [
  bind(r.health, async ({ c }) => {
    const report = await health(c);
    return report.status === 'ok' ? report : new HttpReply(503, report);
  }),
  bind(r.openapi, async ({ c }) => (cachedDoc ??= openApiDocument(VERSION, c.config.publicUrl)) as Record<string, unknown>),
]);
