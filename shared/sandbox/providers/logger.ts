import type { Logger } from '../../runtime/logger';

/** The part of a pino logger the providers use; anything pino-compatible fits. */
export type ProviderLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
