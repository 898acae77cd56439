import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';

/**
 * Small JSON files in the sandbox home that survive a daemon restart (and a snapshot):
 * - `daemon-state.json`: the last event sequence number handed out and the last one the server acknowledged, so a
 *   restarted daemon continues numbering instead of reusing numbers the server has already logged;
 * - `metadata.json`: when the repos were last fetched (git freshness on resume);
 * - `agent-session.json`: the agent's ACP session, so that a restarted daemon (a resumed sandbox) continues it with
 *   `session/load`. It names the Proliferate session and the agent it belongs to: a sandbox made from a snapshot of
 *   another session, or a session whose agent changed, does not load it.
 */
const DaemonState = z.object({
  lastDseq: z.number().int().min(0).default(0),
  lastAckedDseq: z.number().int().min(0).default(0),
  /** Prompts already admitted (the server may resend a prompt it has not seen accepted). */
  acceptedPromptIds: z.array(z.string()).default([]),
});
export type DaemonState = z.infer<typeof DaemonState>;

const Metadata = z.object({ sessionId: z.string().optional(), createdAt: z.string().optional(), lastGitFetchAt: z.string().optional() }).loose();
export type Metadata = z.infer<typeof Metadata>;

const AgentSessionRecord = z.object({
  /** The Proliferate session. */
  sessionId: z.string(),
  /** Which agent: `built-in`, or `command:` and a hash of its command line. */
  agent: z.string(),
  acpSessionId: z.string().min(1),
  savedAt: z.string(),
});
export type AgentSessionRecord = z.infer<typeof AgentSessionRecord>;

export class StateStore {
  private readonly statePath: string;
  private readonly metadataPath: string;
  private readonly agentSessionPath: string;

  constructor(readonly home: string) {
    mkdirSync(home, { recursive: true });
    this.statePath = path.join(home, 'daemon-state.json');
    this.metadataPath = path.join(home, 'metadata.json');
    this.agentSessionPath = path.join(home, 'agent-session.json');
  }

  /** The ACP session id last used for this Proliferate session with this agent, if any. */
  loadAgentSession(sessionId: string, agent: string): string | null {
    const parsed = AgentSessionRecord.safeParse(readJson(this.agentSessionPath));
    return parsed.success && parsed.data.sessionId === sessionId && parsed.data.agent === agent ? parsed.data.acpSessionId : null;
  }

  saveAgentSession(sessionId: string, agent: string, acpSessionId: string): void {
    const record: AgentSessionRecord = { sessionId, agent, acpSessionId, savedAt: new Date().toISOString() };
    writeAtomic(this.agentSessionPath, JSON.stringify(record));
  }

  loadState(): DaemonState {
    return DaemonState.parse(readJson(this.statePath) ?? {});
  }

  /** Synchronous and atomic (write + rename): called when a sequence number is handed out, before it is sent. */
  saveState(state: DaemonState): void {
    writeAtomic(this.statePath, JSON.stringify(state));
  }

  loadMetadata(): Metadata {
    const parsed = Metadata.safeParse(readJson(this.metadataPath) ?? {});
    return parsed.success ? parsed.data : {};
  }

  saveMetadata(patch: Partial<Metadata>): void {
    writeAtomic(this.metadataPath, JSON.stringify({ ...this.loadMetadata(), ...patch }, null, 2));
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

export function writeAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}
