import type { Logger } from '../../shared/runtime/logger';

/** What the embedded runtime's parts log through: a pino logger, or anything with the same three methods. */
export type LocalLogger = Pick<Logger, 'info' | 'warn' | 'error'>;
