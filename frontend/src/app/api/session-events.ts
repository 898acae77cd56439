import * as z from 'zod/mini';
import type { SessionStatus } from './types';

/**
 * The session realtime protocol, mirrored from `shared/contracts/session-events.ts`. Incoming frames are parsed here
 * before anything else touches them. The schemas are deliberately lenient where the server may grow (a new tool kind,
 * a new event type): an event this dashboard does not know still advances the sequence, it is just not shown.
 */

const STATUSES = ['pending', 'starting', 'running', 'migrating', 'paused', 'stopped', 'failed'] as const;
const Status = z.enum(STATUSES);
const str = z.string();
const optStr = z.optional(z.string());

export const FileDiffSchema = z.object({ path: str, oldText: z.nullable(str), newText: str, unified: optStr });
export type FileDiff = z.infer<typeof FileDiffSchema>;

const SessionEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('user_message'), messageId: str, content: str, senderId: z.nullable(str), source: str, clientMessageId: z.optional(str) }),
  z.object({ type: z.literal('message'), messageId: str, role: str }),
  z.object({ type: z.literal('token'), messageId: str, partId: str, text: str }),
  z.object({ type: z.literal('text_part_complete'), messageId: str, partId: str, text: str }),
  z.object({ type: z.literal('thought'), messageId: str, text: str }),
  z.object({ type: z.literal('tool_start'), messageId: optStr, toolCallId: str, tool: str, title: str, kind: optStr, args: z.optional(z.unknown()) }),
  z.object({ type: z.literal('tool_metadata'), toolCallId: str, title: optStr, output: optStr, diffs: z.optional(z.array(FileDiffSchema)) }),
  z.object({
    type: z.literal('tool_end'),
    toolCallId: str,
    status: z.enum(['completed', 'failed']),
    result: optStr,
    diffs: z.optional(z.array(FileDiffSchema)),
    durationMs: z.optional(z.number()),
  }),
  z.object({ type: z.literal('message_complete'), messageId: str, stopReason: optStr }),
  z.object({ type: z.literal('message_cancelled'), messageId: optStr }),
  z.object({ type: z.literal('status'), status: Status, message: optStr }),
  z.object({ type: z.literal('error'), message: str, code: optStr }),
  z.object({ type: z.literal('snapshot_result'), success: z.boolean(), snapshotId: optStr, error: optStr, target: str }),
  z.object({ type: z.literal('preview_url'), port: z.number(), url: str }),
  z.object({ type: z.literal('git_result'), requestId: str, action: str, success: z.boolean(), code: str, message: str, prUrl: optStr }),
  z.object({ type: z.literal('title_update'), title: str }),
]);

/** An event of a type this dashboard does not know (a newer server): it keeps its place in the sequence. */
export interface UnknownEvent {
  type: 'unknown';
  originalType: string;
}

export type SessionEvent = z.infer<typeof SessionEventSchema> | UnknownEvent;
export type SessionEventOf<T extends SessionEvent['type']> = Extract<SessionEvent, { type: T }>;

export interface LoggedEvent {
  seq: number;
  at: string;
  event: SessionEvent;
}

const GitFileChangeSchema = z.object({ path: str, indexStatus: str, worktreeStatus: str });
const GitStateSchema = z.object({
  workspacePath: str,
  branch: z.nullable(str),
  detached: z.boolean(),
  staged: z.array(GitFileChangeSchema),
  unstaged: z.array(GitFileChangeSchema),
  untracked: z.array(str),
  conflicted: z.array(str),
  commits: z.array(z.object({ sha: str, message: str, author: str, date: str })),
  ahead: z.nullable(z.number()),
  behind: z.nullable(z.number()),
  busy: z.boolean(),
});
export type GitState = z.infer<typeof GitStateSchema>;
export type GitFileChange = z.infer<typeof GitFileChangeSchema>;

export type GitAction =
  | { action: 'status'; workspacePath?: string }
  | { action: 'create_branch'; branchName: string; workspacePath?: string }
  | { action: 'commit'; message: string; includeUntracked: boolean; files?: string[]; workspacePath?: string }
  | { action: 'push'; workspacePath?: string }
  | { action: 'create_pr'; title: string; body?: string; baseBranch?: string; workspacePath?: string };

/** Browser → server. */
export type ViewerMessage =
  | { type: 'subscribe'; sessionId: string; afterSeq: number }
  | { type: 'unsubscribe'; sessionId: string }
  | { type: 'prompt'; sessionId: string; content: string; clientMessageId?: string }
  | { type: 'cancel'; sessionId: string }
  | { type: 'save_snapshot'; sessionId: string; message?: string }
  | { type: 'git'; sessionId: string; requestId: string; git: GitAction }
  | { type: 'terminal_open'; sessionId: string; terminalId: string; cols: number; rows: number }
  | { type: 'terminal_input'; sessionId: string; terminalId: string; data: string }
  | { type: 'terminal_resize'; sessionId: string; terminalId: string; cols: number; rows: number }
  | { type: 'terminal_close'; sessionId: string; terminalId: string };

/** Server → browser, once parsed. A single `event` is normalised into an `events` batch of one. */
export type ViewerUpdate =
  | { type: 'events'; sessionId: string; events: LoggedEvent[] }
  | { type: 'subscribed'; sessionId: string; lastSeq: number; status: SessionStatus }
  | { type: 'git_status'; sessionId: string; requestId?: string; state: GitState }
  | { type: 'terminal_output'; sessionId: string; terminalId: string; data: string }
  | { type: 'terminal_exit'; sessionId: string; terminalId: string; exitCode: number | null };

const RawLogged = z.object({ seq: z.number(), at: str, event: z.unknown() });

const FrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('event'), sessionId: str, seq: z.number(), at: str, event: z.unknown() }),
  z.object({ type: z.literal('events'), sessionId: str, events: z.array(RawLogged) }),
  z.object({ type: z.literal('subscribed'), sessionId: str, lastSeq: z.number(), status: Status }),
  z.object({ type: z.literal('git_status'), sessionId: str, requestId: optStr, state: GitStateSchema }),
  z.object({ type: z.literal('terminal_output'), sessionId: str, terminalId: str, data: str }),
  z.object({ type: z.literal('terminal_exit'), sessionId: str, terminalId: str, exitCode: z.nullable(z.number()) }),
]);

/** One event as the log holds it; anything malformed or unknown becomes an `unknown` placeholder. */
export function parseSessionEvent(value: unknown): SessionEvent {
  const parsed = SessionEventSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const type = typeof value === 'object' && value !== null && 'type' in value ? String((value as { type: unknown }).type) : '?';
  return { type: 'unknown', originalType: type };
}

function logged(seq: number, at: string, event: unknown): LoggedEvent | null {
  return Number.isInteger(seq) && seq > 0 ? { seq, at, event: parseSessionEvent(event) } : null;
}

/** A session update frame of `/ws`, or null when the frame is not one (or not well-formed). */
export function parseViewerUpdate(frame: unknown): ViewerUpdate | null {
  const parsed = FrameSchema.safeParse(frame);
  if (!parsed.success) return null;
  const f = parsed.data;
  switch (f.type) {
    case 'event': {
      const one = logged(f.seq, f.at, f.event);
      return one ? { type: 'events', sessionId: f.sessionId, events: [one] } : null;
    }
    case 'events':
      return {
        type: 'events',
        sessionId: f.sessionId,
        events: f.events.map((e) => logged(e.seq, e.at, e.event)).filter((e): e is LoggedEvent => e !== null),
      };
    default:
      return f;
  }
}

/** Events read over HTTP (`GET /api/sessions/{id}/events`), parsed the same way. */
export function parseEventPage(reply: unknown): { events: LoggedEvent[]; lastSeq: number } {
  const parsed = z.object({ events: z.array(RawLogged), lastSeq: z.number() }).safeParse(reply);
  if (!parsed.success) return { events: [], lastSeq: 0 };
  return {
    events: parsed.data.events.map((e) => logged(e.seq, e.at, e.event)).filter((e): e is LoggedEvent => e !== null),
    lastSeq: parsed.data.lastSeq,
  };
}
