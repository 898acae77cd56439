import type { FileDiff, LoggedEvent, SessionEvent, SessionEventOf } from '../api/session-events';
import type { SessionStatus } from '../api/types';

/**
 * What a session's event log looks like on screen: events in (in sequence order), transcript, tool calls, status and
 * preview URLs out. Pure and deterministic, so two browsers that applied the same events show the same thing, whether
 * they saw the tokens stream live or replayed the log after the server compacted them away.
 */

export type ToolStatus = 'running' | 'completed' | 'failed' | 'interrupted';

export interface ToolCall {
  toolCallId: string;
  tool: string;
  title: string;
  kind: string;
  args: unknown;
  status: ToolStatus;
  /** Streamed output, appended frame by frame while the tool runs. */
  output: string;
  result: string | null;
  diffs: FileDiff[];
  durationMs: number | null;
  at: string;
}

export type AssistantBlock = { kind: 'text'; partId: string; text: string; complete: boolean } | { kind: 'tool'; toolCallId: string };

/** `interrupted`: the session stopped (paused, failed) while the message was still streaming. */
export type MessageState = 'streaming' | 'complete' | 'cancelled' | 'interrupted';

export interface UserItem {
  kind: 'user';
  key: string;
  messageId: string;
  content: string;
  senderId: string | null;
  source: string;
  at: string;
}

export interface AssistantItem {
  kind: 'assistant';
  key: string;
  messageId: string;
  /** Text parts and tool calls in the order the agent produced them. */
  blocks: AssistantBlock[];
  /** The agent's reasoning, gathered per message (shown collapsed above the reply). */
  thoughts: string;
  state: MessageState;
  stopReason: string | null;
  at: string;
}

export interface NoteItem {
  kind: 'note';
  key: string;
  tone: 'info' | 'success' | 'warn' | 'error';
  /** What the note is about, for icons and tests. */
  topic: 'status' | 'error' | 'snapshot' | 'git';
  text: string;
  detail: string | null;
  link: string | null;
  at: string;
}

export type TranscriptItem = UserItem | AssistantItem | NoteItem;

export interface PreviewUrl {
  port: number;
  url: string;
}

export interface GitResult {
  requestId: string;
  action: string;
  success: boolean;
  code: string;
  message: string;
  prUrl: string | null;
  at: string;
}

export interface SessionState {
  /** The highest sequence number applied: events at or below it are duplicates. */
  lastSeq: number;
  items: TranscriptItem[];
  tools: Readonly<Record<string, ToolCall>>;
  status: SessionStatus | null;
  statusMessage: string | null;
  /** The title the agent gave the session (`title_update`), if any. */
  title: string | null;
  previews: PreviewUrl[];
  gitResults: Readonly<Record<string, GitResult>>;
  prUrls: string[];
  lastSnapshot: { success: boolean; error: string | null; at: string } | null;
  /** The assistant message being streamed, if any. */
  activeMessageId: string | null;
}

export function initialSessionState(): SessionState {
  return {
    lastSeq: 0,
    items: [],
    tools: {},
    status: null,
    statusMessage: null,
    title: null,
    previews: [],
    gitResults: {},
    prUrls: [],
    lastSnapshot: null,
    activeMessageId: null,
  };
}

/** Applies events in the order given; any event at or below `lastSeq` is a duplicate and changes nothing. */
export function applyEvents(state: SessionState, events: readonly LoggedEvent[]): SessionState {
  let next = state;
  for (const e of events) next = applyEvent(next, e);
  return next;
}

export function applyEvent(state: SessionState, logged: LoggedEvent): SessionState {
  if (logged.seq <= state.lastSeq) return state;
  return reduce({ ...state, lastSeq: logged.seq }, logged.event, logged);
}

/** The agent is producing a reply right now. */
export function isWorking(state: SessionState): boolean {
  return state.activeMessageId !== null;
}

/** The last prompt has no reply yet (the agent has not started on it). */
export function isAwaitingReply(state: SessionState): boolean {
  if (state.status === 'paused' || state.status === 'stopped' || state.status === 'failed') return false;
  for (let i = state.items.length - 1; i >= 0; i--) {
    const item = state.items[i];
    if (item.kind === 'assistant') return false;
    if (item.kind === 'user') return true;
  }
  return false;
}

const ENDED: ReadonlySet<SessionStatus | null> = new Set<SessionStatus | null>(['paused', 'stopped', 'failed']);

function reduce(state: SessionState, event: SessionEvent, at: LoggedEvent): SessionState {
  switch (event.type) {
    case 'user_message':
      return {
        ...state,
        items: [
          ...state.items,
          { kind: 'user', key: `u:${event.messageId}`, messageId: event.messageId, content: event.content, senderId: event.senderId, source: event.source, at: at.at },
        ],
      };
    case 'message': {
      // A new reply while another still streams: the earlier one will not finish (its agent was restarted).
      const previous = state.activeMessageId;
      const settled = previous && previous !== event.messageId ? endMessage(state, previous, 'interrupted', 'superseded') : state;
      const found = ensureAssistant(settled, event.messageId, at.at);
      return { ...found.state, activeMessageId: event.messageId };
    }
    case 'token':
      return updateTextPart(state, event.messageId, event.partId, at.at, (part) => (part.complete ? part : { ...part, text: part.text + event.text }));
    case 'text_part_complete':
      return updateTextPart(state, event.messageId, event.partId, at.at, (part) => ({ ...part, text: event.text, complete: true }));
    case 'thought': {
      const found = ensureAssistant(state, event.messageId, at.at);
      return replaceItem(found.state, found.index, { ...found.item, thoughts: found.item.thoughts + event.text });
    }
    case 'tool_start':
      return startTool(state, event, at.at);
    case 'tool_metadata': {
      const tool = state.tools[event.toolCallId];
      if (!tool || tool.status !== 'running') return state;
      return withTool(state, {
        ...tool,
        title: event.title ?? tool.title,
        output: event.output ? tool.output + event.output : tool.output,
        diffs: event.diffs ?? tool.diffs,
      });
    }
    case 'tool_end': {
      let next = state;
      if (!next.tools[event.toolCallId]) {
        next = startTool(next, { type: 'tool_start', toolCallId: event.toolCallId, tool: 'tool', title: 'Tool call' }, at.at);
      }
      const tool = next.tools[event.toolCallId];
      return withTool(next, {
        ...tool,
        status: event.status,
        result: event.result ?? null,
        diffs: event.diffs ?? tool.diffs,
        durationMs: event.durationMs ?? null,
      });
    }
    case 'message_complete':
      return endMessage(state, event.messageId, 'complete', event.stopReason ?? null);
    case 'message_cancelled': {
      const target = event.messageId ?? state.activeMessageId;
      return target ? endMessage(state, target, 'cancelled', 'cancelled') : state;
    }
    case 'status':
      return applyStatus(state, event, at);
    case 'error':
      return addNote(state, at, { tone: 'error', topic: 'error', text: event.message, detail: event.code ?? null, link: null });
    case 'snapshot_result': {
      const noted = addNote(state, at, {
        tone: event.success ? 'success' : 'error',
        topic: 'snapshot',
        text: event.success ? (event.target === 'configuration' ? 'Saved a snapshot of the configuration' : 'Saved a snapshot') : 'The snapshot failed',
        detail: event.success ? null : (event.error ?? null),
        link: null,
      });
      return { ...noted, lastSnapshot: { success: event.success, error: event.error ?? null, at: at.at } };
    }
    case 'preview_url': {
      const previews = [...state.previews.filter((p) => p.port !== event.port), { port: event.port, url: event.url }].sort((a, b) => a.port - b.port);
      return { ...state, previews };
    }
    case 'git_result': {
      const result: GitResult = {
        requestId: event.requestId,
        action: event.action,
        success: event.success,
        code: event.code,
        message: event.message,
        prUrl: event.prUrl ?? null,
        at: at.at,
      };
      const noted = addNote(state, at, {
        tone: event.success ? 'success' : 'warn',
        topic: 'git',
        text: gitNoteText(result),
        detail: event.success ? null : event.message,
        link: result.prUrl,
      });
      const prUrls = result.prUrl && !noted.prUrls.includes(result.prUrl) ? [...noted.prUrls, result.prUrl] : noted.prUrls;
      return { ...noted, gitResults: { ...noted.gitResults, [event.requestId]: result }, prUrls };
    }
    case 'title_update':
      return { ...state, title: event.title };
    case 'unknown':
      return state;
  }
}

function gitNoteText(r: GitResult): string {
  const verb: Record<string, string> = {
    create_branch: 'Create branch',
    commit: 'Commit',
    push: 'Push',
    create_pr: 'Create pull request',
  };
  const what = verb[r.action] ?? `Git ${r.action}`;
  if (!r.success) return `${what} failed`;
  if (r.action === 'create_pr' && r.prUrl) return 'Opened a pull request';
  return r.message || `${what} succeeded`;
}

function findAssistant(state: SessionState, messageId: string): number {
  for (let i = state.items.length - 1; i >= 0; i--) {
    const item = state.items[i];
    if (item.kind === 'assistant' && item.messageId === messageId) return i;
  }
  return -1;
}

/**
 * The assistant message, created if this is the first we hear of it: streaming (and the active reply, unless one is
 * already), or complete for the stand-alone message of a tool call that named none.
 */
function ensureAssistant(
  state: SessionState,
  messageId: string,
  at: string,
  streaming = true,
): { state: SessionState; index: number; item: AssistantItem } {
  const index = findAssistant(state, messageId);
  if (index >= 0) return { state, index, item: state.items[index] as AssistantItem };
  const item: AssistantItem = {
    kind: 'assistant',
    key: `a:${messageId}`,
    messageId,
    blocks: [],
    thoughts: '',
    state: streaming ? 'streaming' : 'complete',
    stopReason: null,
    at,
  };
  const activeMessageId = state.activeMessageId ?? (streaming ? messageId : null);
  return { state: { ...state, items: [...state.items, item], activeMessageId }, index: state.items.length, item };
}

function replaceItem(state: SessionState, index: number, item: TranscriptItem): SessionState {
  const items = state.items.slice();
  items[index] = item;
  return { ...state, items };
}

type TextBlock = Extract<AssistantBlock, { kind: 'text' }>;

function updateTextPart(state: SessionState, messageId: string, partId: string, at: string, change: (part: TextBlock) => TextBlock): SessionState {
  const found = ensureAssistant(state, messageId, at);
  const blocks = found.item.blocks;
  const position = blocks.findIndex((b) => b.kind === 'text' && b.partId === partId);
  let nextBlocks: AssistantBlock[];
  if (position >= 0) {
    const current = blocks[position] as TextBlock;
    const changed = change(current);
    if (changed === current) return found.state;
    nextBlocks = blocks.slice();
    nextBlocks[position] = changed;
  } else {
    nextBlocks = [...blocks, change({ kind: 'text', partId, text: '', complete: false })];
  }
  return replaceItem(found.state, found.index, { ...found.item, blocks: nextBlocks });
}

function startTool(state: SessionState, event: SessionEventOf<'tool_start'>, at: string): SessionState {
  if (state.tools[event.toolCallId]) return state;
  // A tool call belongs to its message; without one, to the reply being streamed, or to a message of its own.
  const messageId = event.messageId ?? state.activeMessageId ?? `tool:${event.toolCallId}`;
  const found = ensureAssistant(state, messageId, at, messageId !== `tool:${event.toolCallId}`);
  const tool: ToolCall = {
    toolCallId: event.toolCallId,
    tool: event.tool,
    title: event.title,
    kind: event.kind ?? 'other',
    args: event.args,
    status: 'running',
    output: '',
    result: null,
    diffs: [],
    durationMs: null,
    at,
  };
  const withBlock = replaceItem(found.state, found.index, { ...found.item, blocks: [...found.item.blocks, { kind: 'tool', toolCallId: event.toolCallId }] });
  return { ...withBlock, tools: { ...withBlock.tools, [tool.toolCallId]: tool } };
}

function withTool(state: SessionState, tool: ToolCall): SessionState {
  return { ...state, tools: { ...state.tools, [tool.toolCallId]: tool } };
}

/** Ends a message: its open text parts are final and tools still running will never report back. */
function endMessage(state: SessionState, messageId: string, how: MessageState, stopReason: string | null): SessionState {
  const index = findAssistant(state, messageId);
  let next = state;
  if (index >= 0) {
    const item = state.items[index] as AssistantItem;
    if (item.state === 'streaming') {
      const blocks = item.blocks.map((b) => (b.kind === 'text' && !b.complete ? { ...b, complete: true } : b));
      next = replaceItem(next, index, { ...item, blocks, state: how, stopReason });
      next = interruptTools(next, item.blocks);
    }
  }
  return next.activeMessageId === messageId ? { ...next, activeMessageId: null } : next;
}

function interruptTools(state: SessionState, blocks: AssistantBlock[]): SessionState {
  let tools: Record<string, ToolCall> | null = null;
  for (const b of blocks) {
    if (b.kind !== 'tool') continue;
    const tool = state.tools[b.toolCallId];
    if (tool?.status !== 'running') continue;
    tools ??= { ...state.tools };
    tools[b.toolCallId] = { ...tool, status: 'interrupted' };
  }
  return tools ? { ...state, tools } : state;
}

const STATUS_NOTES: Partial<Record<SessionStatus, { tone: NoteItem['tone']; text: string }>> = {
  migrating: { tone: 'info', text: 'Extending session…' },
  paused: { tone: 'info', text: 'Session paused' },
  stopped: { tone: 'info', text: 'Session ended' },
  failed: { tone: 'error', text: 'Session failed' },
};

function applyStatus(state: SessionState, event: SessionEventOf<'status'>, at: LoggedEvent): SessionState {
  const previous = state.status;
  // A message that only repeats the status ("Paused") says nothing.
  const message = event.message && event.message.trim().toLowerCase() !== event.status ? event.message : null;
  let next: SessionState = { ...state, status: event.status, statusMessage: message };
  if (previous !== event.status) {
    const note = STATUS_NOTES[event.status];
    if (note) next = addNote(next, at, { tone: note.tone, topic: 'status', text: note.text, detail: message, link: null });
    else if (event.status === 'running' && (previous === 'paused' || previous === 'migrating' || previous === 'failed')) {
      next = addNote(next, at, { tone: 'info', topic: 'status', text: previous === 'migrating' ? 'Session extended' : 'Session resumed', detail: null, link: null });
    }
  }
  // The sandbox is gone: whatever was streaming will not finish.
  if (ENDED.has(event.status) && next.activeMessageId) next = endMessage(next, next.activeMessageId, 'interrupted', event.status);
  return next;
}

function addNote(state: SessionState, at: LoggedEvent, note: Omit<NoteItem, 'kind' | 'key' | 'at'>): SessionState {
  return { ...state, items: [...state.items, { kind: 'note', key: `n:${at.seq}`, at: at.at, ...note }] };
}
