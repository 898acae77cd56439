import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { main } from './local';

const root = path.resolve(__dirname, '..');
const built = path.join(root, 'dist', 'frontend', 'browser', 'index.html');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** `npm start`: builds the dashboard when it is missing or older than its sources, then starts the runtime. */
if (!existsSync(built) || statSync(built).mtimeMs < newestSource(path.join(root, 'frontend', 'src'))) {
  console.log('Building the dashboard (first start, or its sources changed)…');
  const result = spawnSync('npx', ['ng', 'build', '--configuration', 'production'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('The dashboard did not build; starting the API anyway.');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
