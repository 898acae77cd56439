import path from 'node:path';
import * as z from 'zod';

/**
 * The daemon's settings, read once from its environment (`DaemonEnvironment` in shared/sandbox/provider.ts plus a few
 * optional extras). A missing variable stops the daemon with a message naming it.
 */
const Env = z.object({
  PROLIFERATE_API_URL: z.url(),
  PROLIFERATE_WS_URL: z.string().regex(/^wss?:\/\//, 'a ws:// or wss:// URL'),
  PROLIFERATE_SESSION_ID: z.string().min(1),
  PROLIFERATE_SANDBOX_ID: z.string().min(1),
  PROLIFERATE_SANDBOX_TOKEN: z.string().min(1),
  PROLIFERATE_WORKSPACE: z.string().min(1),
  /** Daemon state, logs and service state; default: `.proliferate` next to the workspace. */
  PROLIFERATE_HOME: z.string().min(1).optional(),
  /** The built-in agent bundle to run; default: the one embedded in the daemon bundle. */
  PROLIFERATE_AGENT_BUNDLE: z.string().min(1).optional(),
  PROLIFERATE_HEARTBEAT_MS: z.coerce.number().int().min(100).default(15_000),
  PROLIFERATE_DAEMON_VERSION: z.string().min(1).max(100).optional(),
});

export interface DaemonConfig {
  apiUrl: string;
  wsUrl: string;
  sessionId: string;
  sandboxId: string;
  sandboxToken: string;
  workspace: string;
  home: string;
  agentBundle?: string;
  heartbeatMs: number;
  versionOverride?: string;
}

export class ConfigError extends Error {}

export function readDaemonConfig(env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  const workspace = path.resolve(e.PROLIFERATE_WORKSPACE);
  return {
    apiUrl: e.PROLIFERATE_API_URL.replace(/\/+$/, ''),
    wsUrl: e.PROLIFERATE_WS_URL,
    sessionId: e.PROLIFERATE_SESSION_ID,
    sandboxId: e.PROLIFERATE_SANDBOX_ID,
    sandboxToken: e.PROLIFERATE_SANDBOX_TOKEN,
    workspace,
    home: path.resolve(e.PROLIFERATE_HOME ?? path.join(path.dirname(workspace), '.proliferate')),
    agentBundle: e.PROLIFERATE_AGENT_BUNDLE,
    heartbeatMs: e.PROLIFERATE_HEARTBEAT_MS,
    versionOverride: e.PROLIFERATE_DAEMON_VERSION,
  };
}
