/**
 * Bundles every deployable function the way the CDK does (esbuild, ESM, minified, node22, @aws-sdk/* external) and
 * measures the bundle size and the cold import time of each: a fresh Node process importing the bundle, median of 5.
 * Run: npm run bench:bundles
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { functionSpecs } from '../infra/manifest';
import { ESM_COMPAT_BANNER, EXTERNAL_MODULES } from '../infra/constructs/node-function';

const root = path.resolve(__dirname, '..');
// Inside the repository so the externals (@aws-sdk/*, provided by the Lambda runtime) resolve from node_modules.
const out = mkdtempSync(path.join(root, 'dist', 'bench-bundles-'));

async function main() {
  const rows: { name: string; kb: number; importMs: number; http: boolean }[] = [];
  for (const [name, spec] of functionSpecs()) {
    if (spec.localOnly) continue;
    const outfile = path.join(out, name, 'index.mjs');
    await build({
      entryPoints: [path.join(root, spec.entry)],
      outfile,
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      external: EXTERNAL_MODULES,
      banner: { js: ESM_COMPAT_BANNER },
      metafile: true,
      logLevel: 'error',
    }).then((r) => {
      if (process.env.BENCH_TOP) writeFileSync(path.join(out, name, 'meta.json'), JSON.stringify(r.metafile));
    });
    const probe = path.join(out, name, 'probe.mjs');
    writeFileSync(probe, `const t = performance.now(); await import('./index.mjs'); console.log(performance.now() - t);`);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = spawnSync(process.execPath, [probe], { encoding: 'utf8', env: { ...process.env, PROLIFERATE_RUNTIME: 'aws' } });
      if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
      times.push(Number(r.stdout.trim()));
    }
    times.sort((a, b) => a - b);
    rows.push({ name, kb: statSync(outfile).size / 1024, importMs: times[2], http: Boolean(spec.http?.length) });
  }
  console.log(`Node ${process.version}; bundles in ${out}\n`);
  console.log('| function | kind | bundle (minified) | cold import (median of 5) |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) {
    const flag = r.http && (r.kb > 1024 || r.importMs > 150) ? ' ⚠' : '';
    console.log(`| ${r.name} | ${r.http ? 'http' : 'other'} | ${r.kb.toFixed(0)} KiB | ${r.importMs.toFixed(0)} ms${flag} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
