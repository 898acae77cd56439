import { ConfigError, loadConfig, type Config } from '../shared/config';
import { createLogger } from '../shared/runtime/logger';
import { LocalRuntime } from '../infra/local/runtime';

/** Starts Proliferate as one process; exits 2 on a bad configuration, stops gracefully on SIGTERM/SIGINT. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<LocalRuntime> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.LOG_LEVEL });
  const runtime = await LocalRuntime.start({ config, logger });
  const db = config.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.PROLIFERATE_DATA_DIR}`;
  console.log(`\n  Proliferate is running at ${runtime.url}\n  database: ${db}\n  dev mailbox: ${runtime.url}/dev/mail\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    runtime.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return runtime;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
