import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { writeAtomic } from '../daemon/state-store';
import type { ChatMessage } from './llm-client';

/**
 * The built-in agent's saved conversations, so that `session/load` can continue a session in a new agent process (a
 * paused sandbox that is resumed, an agent that was restarted). One JSON file per ACP session, in a directory the
 * daemon gives the agent (PROLIFERATE_AGENT_STATE_DIR, inside the sandbox's persisted home), written atomically after
 * every turn. The system prompt is always kept; of the messages, the most recent ones within `HistoryBounds`,
 * dropping the oldest whole turns first.
 */

/** One message of the conversation as the model sees it, and whether it is the result of a tool call that failed. */
export interface ConversationEntry {
  message: ChatMessage;
  failed?: boolean;
}

export interface SavedConversation {
  version: 1;
  sessionId: string;
  cwd: string;
  systemPrompt: string;
  savedAt: string;
  /** How many older messages were dropped to stay within the bounds (over the session's whole life). */
  droppedMessages: number;
  entries: ConversationEntry[];
}

export interface HistoryBounds {
  /** Bytes of the kept messages as JSON. */
  maxBytes: number;
  maxMessages: number;
}

export const DEFAULT_HISTORY_BOUNDS: HistoryBounds = { maxBytes: 512 * 1024, maxMessages: 400 };
/** No single message's text (or tool-call arguments) is kept longer than this; a long tool output keeps its head and tail. */
const MAX_MESSAGE_CHARS = 64 * 1024;

const ToolCall = z.object({ id: z.string(), type: z.literal('function'), function: z.object({ name: z.string(), arguments: z.string() }) });
const Message = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({ role: z.literal('assistant'), content: z.string().nullable(), tool_calls: z.array(ToolCall).optional() }),
  z.object({ role: z.literal('tool'), tool_call_id: z.string(), content: z.string() }),
]);
const Saved = z.object({
  version: z.literal(1),
  sessionId: z.string(),
  cwd: z.string(),
  systemPrompt: z.string(),
  savedAt: z.string(),
  droppedMessages: z.number().int().min(0),
  entries: z.array(z.object({ message: Message, failed: z.boolean().optional() })),
});

/** ACP session ids of the built-in agent are UUIDs; anything else cannot name a file here. */
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export class HistoryError extends Error {
  constructor(
    message: string,
    readonly kind: 'not_found' | 'unreadable',
  ) {
    super(message);
    this.name = 'HistoryError';
  }
}

export class HistoryStore {
  constructor(
    readonly dir: string,
    readonly bounds: HistoryBounds = DEFAULT_HISTORY_BOUNDS,
  ) {}

  /** Where a session's conversation is saved. */
  fileOf(sessionId: string): string {
    if (!SESSION_ID.test(sessionId)) throw new HistoryError(`Not a session id of this agent: ${JSON.stringify(sessionId.slice(0, 200))}`, 'not_found');
    return path.join(this.dir, `${sessionId}.json`);
  }

  /** Saves the conversation within the bounds (atomically: a reader sees the previous turn's file or this one). */
  save(conversation: Omit<SavedConversation, 'version' | 'savedAt'>): SavedConversation {
    const bounded = boundConversation(conversation.entries, this.bounds);
    const saved: SavedConversation = {
      version: 1,
      sessionId: conversation.sessionId,
      cwd: conversation.cwd,
      systemPrompt: conversation.systemPrompt,
      savedAt: new Date().toISOString(),
      droppedMessages: conversation.droppedMessages + bounded.dropped,
      entries: bounded.entries,
    };
    mkdirSync(this.dir, { recursive: true });
    writeAtomic(this.fileOf(conversation.sessionId), JSON.stringify(saved));
    return saved;
  }

  load(sessionId: string): SavedConversation {
    const file = this.fileOf(sessionId);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new HistoryError(code === 'ENOENT' ? `No saved conversation for session ${sessionId}` : `The saved conversation of session ${sessionId} cannot be read: ${(err as Error).message}`, code === 'ENOENT' ? 'not_found' : 'unreadable');
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new HistoryError(`The saved conversation of session ${sessionId} is not valid JSON (${(err as Error).message})`, 'unreadable');
    }
    const parsed = Saved.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HistoryError(`The saved conversation of session ${sessionId} is malformed (${issue.path.join('.') || '(root)'}: ${issue.message})`, 'unreadable');
    }
    if (parsed.data.sessionId !== sessionId) throw new HistoryError(`The saved conversation in ${path.basename(file)} belongs to session ${parsed.data.sessionId}`, 'unreadable');
    return parsed.data as SavedConversation;
  }
}

/**
 * The most recent part of a conversation that fits the bounds. Long texts are shortened first; then the oldest whole
 * turns (a user message and everything up to the next one) are dropped, so a tool call always keeps its result; the
 * newest turn is never dropped whole: if it alone is too big, its oldest steps (an assistant message with the results
 * of its tool calls) go, down to its user message and last step.
 */
export function boundConversation(entries: ConversationEntry[], bounds: HistoryBounds): { entries: ConversationEntry[]; dropped: number } {
  const cap = Math.max(256, Math.min(MAX_MESSAGE_CHARS, Math.floor(bounds.maxBytes / 4)));
  let kept = entries.map((e) => shorten(e, cap));
  const sizes = new Map(kept.map((e) => [e, Buffer.byteLength(JSON.stringify(e.message))]));
  const over = (list: ConversationEntry[]) => list.length > bounds.maxMessages || list.reduce((sum, e) => sum + sizes.get(e)!, 0) > bounds.maxBytes;

  // Whole turns, oldest first.
  let starts = turnStarts(kept);
  while (over(kept) && starts.length > 1) {
    kept = kept.slice(starts[1]);
    starts = turnStarts(kept);
  }
  // One turn left and still too big: its oldest steps.
  if (over(kept)) {
    const head = kept[0]?.message.role === 'user' ? kept.slice(0, 1) : [];
    let steps = stepsOf(kept.slice(head.length));
    while (over([...head, ...steps.flat()]) && steps.length > 1) steps = steps.slice(1);
    kept = [...head, ...steps.flat()];
  }
  return { entries: kept, dropped: entries.length - kept.length };
}

function turnStarts(entries: ConversationEntry[]): number[] {
  const starts = entries.flatMap((e, i) => (e.message.role === 'user' && i > 0 ? [i] : []));
  return entries.length ? [0, ...starts] : [];
}

/** An assistant message and the tool results that follow it. */
function stepsOf(entries: ConversationEntry[]): ConversationEntry[][] {
  const steps: ConversationEntry[][] = [];
  for (const e of entries) {
    if (e.message.role === 'tool' && steps.length) steps[steps.length - 1].push(e);
    else steps.push([e]);
  }
  return steps;
}

function shorten(entry: ConversationEntry, cap: number): ConversationEntry {
  const m = entry.message;
  let message: ChatMessage = m;
  if (m.role === 'assistant') {
    const calls = m.tool_calls?.map((c) =>
      c.function.arguments.length > cap ? { ...c, function: { ...c.function, arguments: JSON.stringify({ omitted: `${c.function.arguments.length} characters of arguments were not kept` }) } } : c,
    );
    message = { ...m, content: m.content === null ? null : clipText(m.content, cap), ...(calls ? { tool_calls: calls } : {}) };
  } else {
    message = { ...m, content: clipText(m.content, cap) };
  }
  return entry.failed ? { message, failed: true } : { message };
}

function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.3);
  const tail = max - head;
  return `${text.slice(0, head)}\n… [${text.length - max} characters not kept] …\n${text.slice(text.length - tail)}`;
}

/** Bounds from the agent's environment (PROLIFERATE_AGENT_HISTORY_MAX_BYTES, PROLIFERATE_AGENT_HISTORY_MAX_MESSAGES). */
export function historyBoundsFromEnv(env: NodeJS.ProcessEnv = process.env): HistoryBounds {
  const num = (v: string | undefined, fallback: number) => (Number.isInteger(Number(v)) && Number(v) > 0 ? Number(v) : fallback);
  return {
    maxBytes: num(env.PROLIFERATE_AGENT_HISTORY_MAX_BYTES, DEFAULT_HISTORY_BOUNDS.maxBytes),
    maxMessages: num(env.PROLIFERATE_AGENT_HISTORY_MAX_MESSAGES, DEFAULT_HISTORY_BOUNDS.maxMessages),
  };
}
