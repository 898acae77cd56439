import { ConfigError, readDaemonConfig } from './config';
import { Daemon } from './daemon';
import { createLogger, errorMessage } from './log';

/** Entry point of the sandbox daemon (bundled to dist/sandbox/daemon.js and started with `node daemon.js`). */
const log = createLogger('daemon');

let config;
try {
  config = readDaemonConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    log.error(`invalid configuration: ${err.message}`);
    process.exit(2);
  }
  throw err;
}

const daemon = new Daemon(config, log);
let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info('stopping', { signal });
  const force = setTimeout(() => process.exit(1), 15_000);
  force.unref();
  daemon.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGHUP', () => shutdown('SIGHUP'));
process.on('unhandledRejection', (err) => log.error('unhandled rejection', { error: errorMessage(err) }));
process.on('uncaughtException', (err) => log.error('uncaught exception', { error: errorMessage(err), stack: err.stack }));

void daemon.start();
