import { readFileSync } from 'node:fs';
import path from 'node:path';
import { localFunctionArn, substitute } from '../../infra/local/state-machines';
import type { Clock } from '../../shared/ports';

export const FIXTURES = path.resolve(__dirname, '..', 'fixtures');

/**
 * An ASL fixture with each `${Placeholder}` replaced by the local ARN of the function it names (as the runtime does
 * from the manifest), optionally adjusted by `patch` (e.g. a shorter TimeoutSeconds).
 */
export function fixture(file: string, functions: Record<string, string>, patch?: (definition: AslDocument) => void): string {
  const arns = Object.fromEntries(Object.entries(functions).map(([key, fn]) => [key, localFunctionArn(fn)]));
  const asl = substitute(readFileSync(path.join(FIXTURES, file), 'utf8'), arns, file);
  if (!patch) return asl;
  const definition: AslDocument = JSON.parse(asl);
  patch(definition);
  return JSON.stringify(definition);
}

export interface AslDocument {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
}

/** A logger that keeps what it is given, so a test can assert nothing went wrong. */
export function recordingLogger() {
  const entries: { level: 'info' | 'warn' | 'error'; obj: unknown; msg?: string }[] = [];
  const at = (level: 'info' | 'warn' | 'error') => (obj: unknown, msg?: string) => void entries.push({ level, obj, msg });
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, entries, errors: () => entries.filter((e) => e.level === 'error') };
}

/** The real clock moved by an offset a test can advance: timers still run in real time, deadlines jump. */
export function offsetClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance: (ms: number) => void (offset += ms),
  };
}

/** A clock that only moves when told to. */
export function manualClock(start: Date): Clock & { set(at: Date): void; advance(ms: number): void } {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    set: (at: Date) => void (now = at.getTime()),
    advance: (ms: number) => void (now += ms),
  };
}

/** Polls `probe` until it returns a value other than undefined; rejects after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
