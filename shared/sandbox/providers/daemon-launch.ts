import { DAEMON_STOP_GRACE_MS } from './limits';

/**
 * How the cloud providers (E2B, Modal) start the daemon inside a sandbox: a short POSIX shell script, run with the
 * daemon's environment, that stops a previous daemon and starts the new one in the background in a session of its own.
 */

/** Where the daemon lives inside a cloud sandbox, all under the sandbox user's home. */
export interface SandboxPaths {
  home: string;
  /** The daemon's own folder: its bundle, log, pid file and native helpers (node_modules). */
  dir: string;
  /** PROLIFERATE_WORKSPACE: repos are checked out here. */
  workspace: string;
  bundle: string;
  log: string;
  pidFile: string;
}

export function sandboxPaths(home: string): SandboxPaths {
  const dir = `${home}/.proliferate`;
  return { home, dir, workspace: `${home}/workspace`, bundle: `${dir}/daemon.js`, log: `${dir}/daemon.log`, pidFile: `${dir}/daemon.pid` };
}

/** Quotes one argument for a POSIX shell. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** An argv as one shell command line (for SDKs that only run command strings). */
export function shellCommand(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * The script that (re)starts the daemon. A previous daemon is stopped only if its pid still runs our bundle: after a
 * filesystem snapshot is restored, the recorded pid may belong to anything. Secrets never appear in the script; the
 * daemon's environment comes with the command that runs it.
 */
export function daemonStartScript(paths: SandboxPaths): string {
  const q = shellQuote;
  const graceTenths = Math.ceil(DAEMON_STOP_GRACE_MS / 100);
  return [
    'set -e',
    // A zombie has finished; whoever adopted it may take its time to collect it.
    `alive() { kill -0 "$1" 2>/dev/null || return 1; [ ! -r "/proc/$1/stat" ] || [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -c1)" != Z ]; }`,
    `mkdir -p ${q(paths.workspace)} "$(dirname ${q(paths.bundle)})"`,
    `if [ -f ${q(paths.pidFile)} ]; then`,
    `  old="$(cat ${q(paths.pidFile)})"`,
    `  if [ -n "$old" ] && [ -r "/proc/$old/cmdline" ] && tr '\\000' ' ' < "/proc/$old/cmdline" | grep -qF ${q(paths.bundle)}; then`,
    '    kill -TERM -- "-$old" 2>/dev/null || kill -TERM "$old" 2>/dev/null || true',
    '    i=0',
    `    while alive "$old" && [ "$i" -lt ${graceTenths} ]; do sleep 0.1; i=$((i + 1)); done`,
    '    kill -KILL -- "-$old" 2>/dev/null || kill -KILL "$old" 2>/dev/null || true',
    '  fi',
    `  rm -f ${q(paths.pidFile)}`,
    'fi',
    `cd ${q(paths.workspace)}`,
    // setsid gives the daemon its own process group, so stopping it reaches everything it started.
    'if command -v setsid >/dev/null 2>&1; then launch=setsid; else launch=; fi',
    `$launch node ${q(paths.bundle)} >> ${q(paths.log)} 2>&1 < /dev/null &`,
    `echo $! > ${q(paths.pidFile)}`,
  ].join('\n');
}

/** The PTY library the daemon loads from its own folder when it is there (kept equal to package.json's by a test). */
export const NODE_PTY_PACKAGE = '@lydell/node-pty@1.1.0';

/** Exit code of the base setup script when the sandbox image has no Node.js: no retry can fix that. */
export const BASE_SETUP_NO_NODE = 3;

/**
 * The script that prepares a provider's base layer: checks that the image has Node.js (the daemon is a Node program)
 * and installs the PTY library (prebuilt binaries, no compiler needed) in the daemon's folder, so terminals get a real
 * PTY instead of script(1). Running it again on a prepared sandbox changes nothing.
 */
export function baseSetupScript(daemonDir: string): string {
  const q = shellQuote;
  const probe = `node -e "require('@lydell/node-pty')"`;
  return [
    'set -e',
    `command -v node >/dev/null 2>&1 || { echo 'This sandbox image has no Node.js; the daemon needs Node.js 22.' >&2; exit ${BASE_SETUP_NO_NODE}; }`,
    `mkdir -p ${q(daemonDir)}`,
    `cd ${q(daemonDir)}`,
    `if ! ${probe} >/dev/null 2>&1; then`,
    `  [ -f package.json ] || echo '{"private":true}' > package.json`,
    `  npm install --no-audit --no-fund --no-save --loglevel=error ${q(NODE_PTY_PACKAGE)}`,
    'fi',
    probe,
    'node --version',
  ].join('\n');
}
