/** Thrown when a function uses a port its manifest entry did not ask for, so the CDK gave it no resource and no grant. */
export class NotWiredError extends Error {
  constructor(what: string, remedy: string) {
    super(`${what} is not available to this function: ${remedy}`);
    this.name = 'NotWiredError';
  }

  /** The port needs an access the function's manifest entry does not list. */
  static missingAccess(what: string, access: string): NotWiredError {
    return new NotWiredError(what, `add '${access}' to its access list in infra/manifest.ts`);
  }
}

/** The name an AWS SDK v3 service exception carries (its error code, e.g. `GoneException`), if any. */
export function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}
