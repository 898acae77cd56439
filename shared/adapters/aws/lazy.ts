/**
 * A value built on first use and then kept: the AWS SDK clients are imported and constructed only by the functions
 * that actually send something, which keeps every other cold start small. A failed build is retried on the next call.
 */
export function lazy<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= build().catch((err: unknown) => {
      value = undefined;
      throw err;
    });
    return value;
  };
}

/** The injected client when there is one, otherwise a default one built (and its SDK module imported) on first use. */
export function clientOf<T>(injected: T | undefined, build: () => Promise<T>): () => Promise<T> {
  return injected ? () => Promise.resolve(injected) : lazy(build);
}
