/** Exponential backoff with jitter, and a retry loop built on it. */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** 0..1: how much of each delay is randomised (0.5 → between 50 % and 100 % of the nominal delay). */
  jitter?: number;
}

export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const nominal = Math.min(options.maxMs, options.baseMs * 2 ** attempt);
  const jitter = options.jitter ?? 0.5;
  return Math.round(nominal * (1 - jitter + Math.random() * jitter));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `fn` until it succeeds, `retryable(err)` says no, the attempts run out, or the signal aborts.
 * `attempts: Infinity` retries forever.
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  options: BackoffOptions & { attempts: number; retryable?: (err: unknown) => boolean; onRetry?: (err: unknown, attempt: number, delayMs: number) => void; signal?: AbortSignal },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const last = attempt + 1 >= options.attempts;
      if (last || options.signal?.aborted || (options.retryable && !options.retryable(err))) throw err;
      const delay = backoffDelay(attempt, options);
      options.onRetry?.(err, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
