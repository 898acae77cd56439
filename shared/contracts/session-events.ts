import * as z from 'zod';

/**
 * What happens in a session, as recorded in its event log (`session_event`) and sent to viewers. The daemon produces
 * the agent's events; the server adds prompts and lifecycle changes. Every logged event has a per-session `seq`.
 */

export const SessionStatus = z.enum(['pending', 'starting', 'running', 'migrating', 'paused', 'stopped', 'failed']);
export type SessionStatus = z.infer<typeof SessionStatus>;

const id = z.string().min(1).max(200);
const text = z.string().max(1_000_000);

export const ToolKind = z.enum(['read', 'edit', 'delete', 'move', 'search', 'execute', 'think', 'fetch', 'other']);

/** A file change as a unified diff, for the chat's diff view. */
export const FileDiff = z.object({ path: z.string().max(4096), oldText: z.string().nullable(), newText: z.string(), unified: z.string().optional() });

export const SessionEvent = z.discriminatedUnion('type', [
  /**
   * A prompt someone sent (HTTP or WebSocket); `senderId` comes from the authenticated caller. `clientMessageId` is the
   * sender's own id for it, echoed so the sender can tell its prompt from another viewer's.
   */
  z.object({
    type: z.literal('user_message'),
    messageId: id,
    content: text,
    senderId: z.string().nullable(),
    source: z.enum(['web', 'cli', 'api', 'slack', 'automation']),
    clientMessageId: id.optional(),
  }),
  /** The agent starts an assistant message. */
  z.object({ type: z.literal('message'), messageId: id, role: z.literal('assistant') }),
  /** A frame of streamed text (the daemon coalesces tokens into frames of tens of milliseconds). */
  z.object({ type: z.literal('token'), messageId: id, partId: id, text }),
  z.object({ type: z.literal('text_part_complete'), messageId: id, partId: id, text }),
  z.object({ type: z.literal('thought'), messageId: id, text }),
  z.object({
    type: z.literal('tool_start'),
    messageId: id.optional(),
    toolCallId: id,
    tool: z.string().max(200),
    title: z.string().max(2000),
    kind: ToolKind.default('other'),
    args: z.unknown().optional(),
  }),
  /** Progress of a running tool: streamed command output, a new title, a diff. */
  z.object({
    type: z.literal('tool_metadata'),
    toolCallId: id,
    title: z.string().max(2000).optional(),
    output: z.string().max(1_000_000).optional(),
    diffs: z.array(FileDiff).max(50).optional(),
  }),
  z.object({
    type: z.literal('tool_end'),
    toolCallId: id,
    status: z.enum(['completed', 'failed']),
    result: z.string().max(1_000_000).optional(),
    diffs: z.array(FileDiff).max(50).optional(),
    durationMs: z.number().int().nonnegative().optional(),
  }),
  z.object({ type: z.literal('message_complete'), messageId: id, stopReason: z.string().max(100).optional() }),
  z.object({ type: z.literal('message_cancelled'), messageId: id.optional() }),
  z.object({ type: z.literal('status'), status: SessionStatus, message: z.string().max(2000).optional(), pauseReason: z.string().max(100).optional() }),
  z.object({ type: z.literal('error'), message: z.string().max(10_000), code: z.string().max(100).optional() }),
  z.object({ type: z.literal('snapshot_result'), success: z.boolean(), snapshotId: z.string().optional(), error: z.string().optional(), target: z.enum(['session', 'configuration']) }),
  z.object({ type: z.literal('preview_url'), port: z.number().int().min(1).max(65535), url: z.string().max(2000) }),
  z.object({ type: z.literal('git_result'), requestId: id, action: z.string(), success: z.boolean(), code: z.string(), message: z.string().max(10_000), prUrl: z.string().optional() }),
  z.object({ type: z.literal('title_update'), title: z.string().max(200) }),
]);
export type SessionEvent = z.infer<typeof SessionEvent>;
export type SessionEventType = SessionEvent['type'];

/** A logged event as stored and as replayed. */
export const LoggedEvent = z.object({ seq: z.number().int().positive(), at: z.string(), event: SessionEvent });
export type LoggedEvent = z.infer<typeof LoggedEvent>;


export const GitFileChange = z.object({ path: z.string(), indexStatus: z.string(), worktreeStatus: z.string() });
export const GitState = z.object({
  workspacePath: z.string(),
  branch: z.string().nullable(),
  detached: z.boolean(),
  staged: z.array(GitFileChange),
  unstaged: z.array(GitFileChange),
  untracked: z.array(z.string()),
  conflicted: z.array(z.string()),
  commits: z.array(z.object({ sha: z.string(), message: z.string(), author: z.string(), date: z.string() })),
  ahead: z.number().int().nullable(),
  behind: z.number().int().nullable(),
  busy: z.boolean(),
});
export type GitState = z.infer<typeof GitState>;

/** Git actions and the result codes every action answers with. */
export const GitResultCode = z.enum([
  'SUCCESS',
  'NOTHING_TO_COMMIT',
  'NO_REMOTE',
  'NOT_A_REPO',
  'SHALLOW_PUSH_FAILED',
  'AUTH_FAILED',
  'GH_NOT_AVAILABLE',
  'NOT_GITHUB_REMOTE',
  'BRANCH_EXISTS',
  'MERGE_CONFLICT',
  'REPO_BUSY',
  'MULTIPLE_REMOTES',
  'UNKNOWN_ERROR',
]);
export const GitAction = z.discriminatedUnion('action', [
  z.object({ action: z.literal('status'), workspacePath: z.string().max(500).optional() }),
  z.object({ action: z.literal('create_branch'), branchName: z.string().min(1).max(200).regex(/^(?!-)[\w./-]+$/, 'a branch name'), workspacePath: z.string().max(500).optional() }),
  z.object({
    action: z.literal('commit'),
    message: z.string().min(1).max(10_000),
    includeUntracked: z.boolean().default(false),
    files: z.array(z.string().max(4096)).max(1000).optional(),
    workspacePath: z.string().max(500).optional(),
  }),
  z.object({ action: z.literal('push'), workspacePath: z.string().max(500).optional() }),
  z.object({ action: z.literal('create_pr'), title: z.string().min(1).max(300), body: z.string().max(65_000).optional(), baseBranch: z.string().max(200).optional(), workspacePath: z.string().max(500).optional() }),
]);
export type GitAction = z.infer<typeof GitAction>;

const sessionRef = { sessionId: id };

/** Viewer (browser, CLI) → server, over the WebSocket API's $default route. */
export const ViewerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), ...sessionRef, afterSeq: z.number().int().min(0).default(0) }),
  z.object({ type: z.literal('unsubscribe'), ...sessionRef }),
  z.object({ type: z.literal('prompt'), ...sessionRef, content: z.string().min(1).max(100_000), clientMessageId: id.optional() }),
  z.object({ type: z.literal('cancel'), ...sessionRef }),
  z.object({ type: z.literal('save_snapshot'), ...sessionRef, message: z.string().max(500).optional() }),
  z.object({ type: z.literal('git'), ...sessionRef, requestId: id, git: GitAction }),
  z.object({ type: z.literal('terminal_open'), ...sessionRef, terminalId: id, cols: z.number().int().min(2).max(1000), rows: z.number().int().min(2).max(1000) }),
  z.object({ type: z.literal('terminal_input'), ...sessionRef, terminalId: id, data: z.string().max(64 * 1024) }),
  z.object({ type: z.literal('terminal_resize'), ...sessionRef, terminalId: id, cols: z.number().int().min(2).max(1000), rows: z.number().int().min(2).max(1000) }),
  z.object({ type: z.literal('terminal_close'), ...sessionRef, terminalId: id }),
]);
export type ViewerMessage = z.infer<typeof ViewerMessage>;

/** Server → viewer. `event` carries a logged event; the others are live-only. */
export const ViewerUpdate = z.discriminatedUnion('type', [
  z.object({ type: z.literal('event'), ...sessionRef, seq: z.number().int().positive(), at: z.string(), event: SessionEvent }),
  /** A batch of logged events; `replay` marks the batches of a subscription's replay (they may skip compacted seqs). */
  z.object({ type: z.literal('events'), ...sessionRef, events: z.array(LoggedEvent), replay: z.boolean().optional() }),
  /** Sent after a subscription's replay: everything up to `lastSeq` has been sent. */
  z.object({ type: z.literal('subscribed'), ...sessionRef, lastSeq: z.number().int().min(0), status: SessionStatus }),
  z.object({ type: z.literal('git_status'), ...sessionRef, requestId: id.optional(), state: GitState }),
  z.object({ type: z.literal('terminal_output'), ...sessionRef, terminalId: id, data: z.string() }),
  z.object({ type: z.literal('terminal_exit'), ...sessionRef, terminalId: id, exitCode: z.number().int().nullable() }),
]);
export type ViewerUpdate = z.infer<typeof ViewerUpdate>;

/** Daemon (in the sandbox) → server. Agent events carry the daemon's own sequence number for idempotent appends. */
export const DaemonMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    sandboxId: id,
    daemonVersion: z.string().max(100),
    /** The highest daemon sequence number the server has acknowledged, as far as the daemon knows. */
    lastAckedDseq: z.number().int().min(0),
  }),
  z.object({ type: z.literal('events'), events: z.array(z.object({ dseq: z.number().int().positive(), event: SessionEvent })).min(1).max(500) }),
  z.object({ type: z.literal('prompt_accepted'), promptId: id }),
  z.object({ type: z.literal('git_status'), requestId: id.optional(), viewerConnectionId: z.string().optional(), state: GitState }),
  z.object({ type: z.literal('terminal_output'), terminalId: id, data: z.string().max(1024 * 1024) }),
  z.object({ type: z.literal('terminal_exit'), terminalId: id, exitCode: z.number().int().nullable() }),
  /** The agent is idle (no turn running): the server's idle logic uses it. */
  z.object({ type: z.literal('heartbeat'), agentBusy: z.boolean(), runningServices: z.array(z.string()).max(100) }),
  /** After `prepare_snapshot`: no prompt is running and none will be admitted until `resume_prompts`. */
  z.object({ type: z.literal('snapshot_ready'), requestId: id }),
  /** After `env`: which env files were rewritten, which required keys still lack a value (names only, never values). */
  z.object({
    type: z.literal('env_applied'),
    requestId: id,
    written: z.array(z.string().max(1000)).max(100),
    missing: z.array(z.string().max(200)).max(500),
    /** A snapshot is being taken: the values are kept and written when it is done. */
    deferred: z.boolean(),
    error: z.string().max(2000).optional(),
  }),
]);
export type DaemonMessage = z.infer<typeof DaemonMessage>;

/** Server → daemon. */
export const DaemonCommand = z.discriminatedUnion('type', [
  z.object({ type: z.literal('welcome'), sessionId: id, lastAckedDseq: z.number().int().min(0) }),
  z.object({ type: z.literal('ack'), dseq: z.number().int().min(0) }),
  z.object({ type: z.literal('prompt'), promptId: id, content: z.string().max(100_000), messageId: id }),
  z.object({ type: z.literal('cancel') }),
  z.object({ type: z.literal('git'), requestId: id, git: GitAction, viewerConnectionId: z.string().optional() }),
  z.object({ type: z.literal('terminal_open'), terminalId: id, cols: z.number().int(), rows: z.number().int() }),
  z.object({ type: z.literal('terminal_input'), terminalId: id, data: z.string() }),
  z.object({ type: z.literal('terminal_resize'), terminalId: id, cols: z.number().int(), rows: z.number().int() }),
  z.object({ type: z.literal('terminal_close'), terminalId: id }),
  z.object({ type: z.literal('prepare_snapshot'), requestId: id, waitMs: z.number().int().min(0).max(120_000) }),
  z.object({ type: z.literal('resume_prompts') }),
  /**
   * Env values a person gave the running session: the daemon rewrites its env files and the agent's env JSON file
   * with them and answers `env_applied`. Travels only on the sandbox's own token-authenticated connection.
   */
  z.object({ type: z.literal('env'), requestId: id, values: z.record(z.string().max(200), z.string().max(32 * 1024)) }),
  z.object({ type: z.literal('services'), commands: z.array(z.object({ name: z.string(), command: z.string(), cwd: z.string().optional() })) }),
]);
export type DaemonCommand = z.infer<typeof DaemonCommand>;
