/**
 * JSON-line logging to stderr. In the daemon stdout is free, in the agent stdout is the ACP channel, so both log to
 * stderr only. Callers never pass tokens or keys; URLs with credentials go through `redactUrl`.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(name: string, level: LogLevel = readLevel(), base: Record<string, unknown> = {}): Logger {
  const write = (at: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (order[at] < order[level]) return;
    process.stderr.write(`${JSON.stringify({ t: new Date().toISOString(), level: at, name, msg, ...base, ...fields })}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger(name, level, { ...base, ...fields }),
  };
}

function readLevel(): LogLevel {
  const v = process.env.PROLIFERATE_LOG_LEVEL;
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' ? v : 'info';
}

/** `https://user:secret@host/x` → `https://***@host/x`. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@\s]+@/g, '//***@');
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? cause.message : typeof cause === 'object' && cause && 'code' in cause ? String((cause as { code: unknown }).code) : '';
    return causeText && !err.message.includes(causeText) ? `${err.message} (${causeText})` : err.message;
  }
  return String(err);
}
