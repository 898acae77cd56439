import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { bundleVersion } from '../shared/sandbox/daemon/bundle-info';

/**
 * Builds what runs inside a sandbox, each as one CommonJS file for Node 22:
 * - `agent.js`, the built-in ACP agent;
 * - `daemon.js`, the daemon, with the agent embedded (it writes it out to the sandbox home), so a provider copies one
 *   file. `@lydell/node-pty` stays outside the bundle: where it resolves it gives terminals a real PTY, elsewhere the
 *   daemon falls back to script(1).
 * `version` is the hash of the daemon bundle, the same the daemon computes from its own file and reports in `hello`.
 */
export interface SandboxBundles {
  /** Absolute path of the daemon bundle. */
  daemon: string;
  /** Absolute path of the agent bundle (also embedded in the daemon). */
  agent: string;
  version: string;
}

const root = path.resolve(__dirname, '..');

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
  // ws's optional native helpers: it works without them.
  external: ['bufferutil', 'utf-8-validate'],
};

export async function buildSandboxBundles(options: { outDir?: string } = {}): Promise<SandboxBundles> {
  const outDir = path.resolve(options.outDir ?? path.join(root, 'dist', 'sandbox'));
  const agent = await build({ ...common, entryPoints: [path.join(root, 'shared/sandbox/agent/main.ts')] });
  const agentCode = agent.outputFiles![0].text;
  const daemon = await build({
    ...common,
    entryPoints: [path.join(root, 'shared/sandbox/daemon/main.ts')],
    external: [...(common.external ?? []), '@lydell/node-pty'],
    define: { __PROLIFERATE_AGENT_BUNDLE__: JSON.stringify(agentCode) },
  });
  const daemonCode = daemon.outputFiles![0].text;
  mkdirSync(outDir, { recursive: true });
  const paths = { daemon: path.join(outDir, 'daemon.js'), agent: path.join(outDir, 'agent.js') };
  writeIfChanged(paths.agent, agentCode);
  writeIfChanged(paths.daemon, daemonCode);
  return { ...paths, version: bundleVersion(daemonCode) };
}

/** Atomic, and a no-op when nothing changed (several test workers may build at once). */
function writeIfChanged(file: string, content: string): void {
  try {
    if (readFileSync(file, 'utf8') === content) return;
  } catch {
    // not there yet
  }
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

if (require.main === module) {
  buildSandboxBundles().then(
    (b) => console.log(`daemon ${b.daemon}\nagent  ${b.agent}\nversion ${b.version}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
