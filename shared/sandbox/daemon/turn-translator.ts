import path from 'node:path';
import type { SessionUpdate, ToolCallContent, ToolKind as AcpToolKind } from '@agentclientprotocol/sdk';
import type { SessionEvent } from '../../contracts/session-events';
import { OUTPUT_DELTA_META } from '../agent/acp-meta';

type FileDiff = { path: string; oldText: string | null; newText: string };
type ToolKind = 'read' | 'edit' | 'delete' | 'move' | 'search' | 'execute' | 'think' | 'fetch' | 'other';

/** Tool output and results are capped per event: API Gateway messages are limited to 128 KiB. */
export const MAX_EVENT_TEXT = 60 * 1024;
/** How long streamed text is gathered into one frame. */
export const FRAME_MS = 40;
const MAX_FRAME_TEXT = 16 * 1024;


interface Frame {
  kind: 'token' | 'thought' | 'output';
  key: string;
  text: string;
  timer: NodeJS.Timeout;
}

interface ToolState {
  startedAt: number;
  output: string;
  lastText: string;
  ended: boolean;
}

/**
 * Turns one prompt turn's ACP `session/update` notifications into session events, in order:
 * `message`, then `token` frames (streamed text gathered for ~40 ms so one event carries many tokens) closed by
 * `text_part_complete` whenever a tool call interrupts the text, `thought` frames, `tool_start` / `tool_metadata`
 * (coalesced output, diffs, titles) / `tool_end`, and finally `message_complete` (or `message_cancelled`).
 */
export class TurnTranslator {
  private frame: Frame | null = null;
  private part: { id: string; text: string } | null = null;
  private partCount = 0;
  private readonly tools = new Map<string, ToolState>();
  private done = false;

  constructor(
    readonly messageId: string,
    private readonly emit: (event: SessionEvent) => void,
    private readonly workspace: string,
    private readonly frameMs = FRAME_MS,
  ) {}

  start(): void {
    this.emit({ type: 'message', messageId: this.messageId, role: 'assistant' });
  }

  update(u: SessionUpdate): void {
    if (this.done) return;
    switch (u.sessionUpdate) {
      case 'agent_message_chunk':
        if (u.content.type === 'text' && u.content.text) {
          if (!this.part) this.part = { id: `${this.messageId}-t${++this.partCount}`, text: '' };
          this.part.text += u.content.text;
          this.buffer('token', this.part.id, u.content.text);
        }
        return;
      case 'agent_thought_chunk':
        if (u.content.type === 'text' && u.content.text) this.buffer('thought', this.messageId, u.content.text);
        return;
      case 'tool_call': {
        this.closePart();
        const tool = this.startTool(u.toolCallId, u.name ?? undefined, u.title, u.kind, u.rawInput);
        this.toolContent(u.toolCallId, tool, u.status ?? undefined, u.content ?? undefined, undefined);
        return;
      }
      case 'tool_call_update': {
        let tool = this.tools.get(u.toolCallId);
        if (!tool) {
          this.closePart();
          tool = this.startTool(u.toolCallId, u.name ?? undefined, u.title ?? undefined, u.kind ?? undefined, u.rawInput);
        } else if (u.title) {
          this.flush();
          this.emit({ type: 'tool_metadata', toolCallId: u.toolCallId, title: u.title.slice(0, 2000) });
        }
        this.toolContent(u.toolCallId, tool, u.status ?? undefined, u.content ?? undefined, u._meta ?? undefined);
        return;
      }
      case 'session_info_update':
        if (u.title) {
          this.flush();
          this.emit({ type: 'title_update', title: u.title.slice(0, 200) });
        }
        return;
      default:
        return;
    }
  }

  /** The turn ended (the `session/prompt` response arrived). */
  finish(stopReason: string): void {
    if (this.done) return;
    this.wrapUp();
    if (stopReason === 'cancelled') this.emit({ type: 'message_cancelled', messageId: this.messageId });
    else this.emit({ type: 'message_complete', messageId: this.messageId, stopReason });
  }

  /** The turn failed (the agent rejected the prompt or died): say why, and end the message so viewers stop waiting. */
  fail(message: string, code = 'agent_error'): void {
    if (this.done) return;
    this.wrapUp();
    this.emit({ type: 'error', message: message.slice(0, 10_000), code });
    this.emit({ type: 'message_complete', messageId: this.messageId, stopReason: 'error' });
  }

  private wrapUp(): void {
    this.closePart();
    for (const [toolCallId, tool] of this.tools) {
      if (!tool.ended) this.emit({ type: 'tool_end', toolCallId, status: 'failed', result: truncate(tool.output || 'The tool did not finish.'), durationMs: Date.now() - tool.startedAt });
      tool.ended = true;
    }
    this.done = true;
  }

  private startTool(toolCallId: string, name: string | undefined, title: string | undefined, kind: AcpToolKind | undefined, rawInput: unknown): ToolState {
    this.flush();
    const state: ToolState = { startedAt: Date.now(), output: '', lastText: '', ended: false };
    this.tools.set(toolCallId, state);
    this.emit({
      type: 'tool_start',
      messageId: this.messageId,
      toolCallId,
      tool: (name || title || kind || 'tool').slice(0, 200),
      title: (title || name || 'Tool call').slice(0, 2000),
      kind: toKind(kind),
      ...(rawInput === undefined ? {} : { args: rawInput }),
    });
    return state;
  }

  private toolContent(toolCallId: string, tool: ToolState, status: string | undefined, content: ToolCallContent[] | undefined, meta: Record<string, unknown> | undefined): void {
    if (tool.ended) return;
    const text = (content ?? [])
      .flatMap((c) => (c.type === 'content' && c.content.type === 'text' ? [c.content.text] : []))
      .join('\n');
    const diffs = (content ?? []).flatMap((c) => (c.type === 'diff' ? [this.toDiff(c.path, c.oldText ?? null, c.newText)] : []));
    const final = status === 'completed' || status === 'failed';

    if (text && !final) {
      const isDelta = meta?.[OUTPUT_DELTA_META] === true;
      let delta: string;
      if (isDelta) delta = text;
      else if (text.startsWith(tool.lastText)) delta = text.slice(tool.lastText.length);
      else delta = (tool.output ? '\n' : '') + text;
      if (!isDelta) tool.lastText = text;
      if (delta) {
        tool.output += delta;
        this.buffer('output', toolCallId, delta);
      }
    }

    if (final) {
      this.flush();
      tool.ended = true;
      const result = text || tool.output;
      this.emit({
        type: 'tool_end',
        toolCallId,
        status: status as 'completed' | 'failed',
        ...(result ? { result: truncate(result) } : {}),
        ...(diffs.length ? { diffs: diffs.slice(0, 50) } : {}),
        durationMs: Date.now() - tool.startedAt,
      });
    } else if (diffs.length) {
      this.flush();
      this.emit({ type: 'tool_metadata', toolCallId, diffs: diffs.slice(0, 50) });
    }
  }

  private toDiff(file: string, oldText: string | null, newText: string): FileDiff {
    const rel = path.isAbsolute(file) ? path.relative(this.workspace, file) : file;
    const shown = rel && !rel.startsWith('..') ? rel : file;
    return { path: shown.slice(0, 4096), oldText: oldText === null ? null : truncate(oldText), newText: truncate(newText) };
  }

  private closePart(): void {
    this.flush();
    if (this.part) {
      this.emit({ type: 'text_part_complete', messageId: this.messageId, partId: this.part.id, text: this.part.text });
      this.part = null;
    }
  }

  /** Gathers streamed text into the current frame; a different stream (or a full frame) sends the current one first. */
  private buffer(kind: Frame['kind'], key: string, text: string): void {
    if (this.frame && (this.frame.kind !== kind || this.frame.key !== key)) this.flush();
    if (!this.frame) this.frame = { kind, key, text: '', timer: setTimeout(() => this.flush(), this.frameMs) };
    this.frame.text += text;
    if (this.frame.text.length >= MAX_FRAME_TEXT) this.flush();
  }

  private flush(): void {
    const f = this.frame;
    if (!f) return;
    this.frame = null;
    clearTimeout(f.timer);
    if (f.kind === 'token') this.emit({ type: 'token', messageId: this.messageId, partId: f.key, text: f.text });
    else if (f.kind === 'thought') this.emit({ type: 'thought', messageId: this.messageId, text: f.text });
    else this.emit({ type: 'tool_metadata', toolCallId: f.key, output: truncate(f.text) });
  }
}

function toKind(kind: AcpToolKind | undefined): ToolKind {
  return kind && kind !== 'switch_mode' ? kind : 'other';
}

/** Keeps the head and the tail of a long text (the end of a command's output is usually what matters). */
export function truncate(text: string, max = MAX_EVENT_TEXT): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.25);
  const tail = max - head - 100;
  return `${text.slice(0, head)}\n… [${text.length - head - tail} characters omitted] …\n${text.slice(text.length - tail)}`;
}
