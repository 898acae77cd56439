/**
 * `_meta` keys the daemon and the built-in agent use on top of standard ACP. Any other ACP agent simply ignores them:
 * the daemon then prefixes the system prompt to the first turn, and reads tool output as ACP's replace semantics.
 */

/** In `initialize`'s `agentCapabilities._meta`: `true` when the agent takes a system prompt in `session/new`. */
export const SYSTEM_PROMPT_META = 'proliferate.dev/systemPrompt';
/** In `session/new`'s `_meta`: the session's mode (setup, coding, automation). */
export const MODE_META = 'proliferate.dev/mode';
/**
 * On a `tool_call_update`: its text content is the NEXT piece of output, not a replacement of everything so far
 * (ACP content replaces; streaming a long command's output that way would be quadratic).
 */
export const OUTPUT_DELTA_META = 'proliferate.dev/outputDelta';
/**
 * Environment variable: the directory (absolute, inside the sandbox's persisted home) where the built-in agent saves
 * its sessions' conversations. With it, the agent advertises `loadSession`; without it, sessions live in memory only.
 */
export const AGENT_STATE_DIR_ENV = 'PROLIFERATE_AGENT_STATE_DIR';
