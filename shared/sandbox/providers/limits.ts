/** Limits every provider applies the same way, so switching providers changes nothing a caller can see. */

/** Each of stdout and stderr of `exec` is cut to this many bytes. */
export const MAX_EXEC_OUTPUT_BYTES = 1024 * 1024;

/** `exec` without a timeout gives up after this long. */
export const DEFAULT_EXEC_TIMEOUT_MS = 5 * 60_000;

/** A sandbox's lifetime when the caller gives none (E2B and Modal kill it then). */
export const DEFAULT_SANDBOX_TIMEOUT_MS = 60 * 60_000;

/** The longest lifetime E2B (Pro) and Modal accept. */
export const MAX_CLOUD_SANDBOX_LIFETIME_MS = 24 * 60 * 60_000;

/** How long a stopping daemon gets between SIGTERM and SIGKILL. */
export const DAEMON_STOP_GRACE_MS = 5_000;

/** Starting the daemon is a few file writes and a fork; anything longer means the sandbox is unwell. */
export const DAEMON_START_TIMEOUT_MS = 60_000;

/** Keeps the first `maxBytes` of `text` (UTF-8), marking the cut so nobody mistakes it for the whole output. */
export function capOutput(text: string, maxBytes = MAX_EXEC_OUTPUT_BYTES): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  return Buffer.from(text, 'utf8').subarray(0, maxBytes).toString('utf8') + '\n[output truncated]';
}
