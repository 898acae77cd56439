import { SandboxProviderError, type SandboxProviderKind } from '../provider';

type ErrorCode = SandboxProviderError['code'];

const REDACTED = '[redacted]';
/** Provider error messages are shown to users and logged; they are cut to this length. */
const MAX_MESSAGE_LENGTH = 1000;

/** Shapes of credentials that may show up in an SDK's message even when we did not pass them in. */
const SECRET_PATTERNS: RegExp[] = [
  /\be2b_[A-Za-z0-9]{8,}/g,
  /\b(?:ak|as|wk|ws)-[A-Za-z0-9]{8,}/g,
  /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}/g,
  /\bprl_[A-Za-z0-9_-]{8,}/g,
];
const BEARER = /(bearer\s+)[^\s"',;]+/gi;
const SECRET_QUERY = /([?&](?:token|key|api[_-]?key|access[_-]?token|secret)=)[^&\s"']+/gi;
/** Environment variable names whose values are credentials. */
const SECRET_ENV_NAME = /TOKEN|SECRET|KEY|PASSWORD|CREDENTIAL/i;

/** Removes every given secret and anything shaped like a credential from `text`. */
export function redactSecrets(text: string, secrets: Iterable<string | undefined> = []): string {
  let out = text;
  // Longest first, so a secret that contains another is removed whole.
  const known = [...secrets].filter((s): s is string => typeof s === 'string' && s.length >= 4).sort((a, b) => b.length - a.length);
  for (const secret of known) out = out.split(secret).join(REDACTED);
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, REDACTED);
  return out.replace(BEARER, `$1${REDACTED}`).replace(SECRET_QUERY, `$1${REDACTED}`);
}

/** The values of the credential-looking variables in an environment (the sandbox token, API keys). */
export function secretValuesOf(env: Record<string, string | undefined> | undefined): string[] {
  if (!env) return [];
  return Object.entries(env)
    .filter(([name, value]) => SECRET_ENV_NAME.test(name) && typeof value === 'string')
    .map(([, value]) => value as string);
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
}

/**
 * Wraps whatever an SDK threw into a SandboxProviderError whose message names the action and carries no secret.
 * The original error is not attached: its fields (request headers, options) may hold the very keys we redact.
 */
export function providerError(
  provider: SandboxProviderKind,
  code: ErrorCode,
  action: string,
  err: unknown,
  secrets: Iterable<string | undefined> = [],
): SandboxProviderError {
  if (err instanceof SandboxProviderError) return err;
  const detail = redactSecrets(messageOf(err), secrets);
  const message = `${provider} could not ${action}: ${detail}`;
  return new SandboxProviderError(provider, code, message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}…` : message);
}

/** Network failures of fetch/undici and Node sockets: the service could not be reached. */
export function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code ?? (err.cause as NodeJS.ErrnoException | undefined)?.code;
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT'].includes(code)) return true;
  return err.name === 'TypeError' && /fetch failed/i.test(err.message);
}
