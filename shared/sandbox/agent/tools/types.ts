import type * as z from 'zod';

export type ToolKind = 'read' | 'edit' | 'delete' | 'move' | 'search' | 'execute' | 'think' | 'fetch' | 'other';

export interface ToolContext {
  /** The session's working directory; every path stays inside it. */
  cwd: string;
  signal: AbortSignal;
  /** Streamed output of a running tool (command output). */
  onOutput: (delta: string) => void;
}

export interface FileChange {
  /** Absolute path. */
  path: string;
  oldText: string | null;
  newText: string;
}

export interface ToolResult {
  ok: boolean;
  /** What the model reads. */
  output: string;
  diffs?: FileChange[];
}

export interface AgentTool<A = unknown> {
  name: string;
  description: string;
  kind: ToolKind;
  schema: z.ZodType<A>;
  title(args: A): string;
  run(args: A, ctx: ToolContext): Promise<ToolResult>;
}

/** Keeps tool output within what a model turn can take: the head and the tail of a long text. */
export function clip(text: string, max = CLIP_MAX): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.3);
  return joinClipped(text.slice(0, head), text.length - max, text.slice(text.length - (max - head)));
}

const CLIP_MAX = 30_000;
const joinClipped = (head: string, omitted: number, tail: string) => `${head}\n… [${omitted} characters omitted] …\n${tail}`;

/**
 * `clip` of a text that arrives in pieces (a command's output), without holding more than about twice what it keeps:
 * `text()` is what `clip` of the whole would be.
 */
export class ClippedText {
  private head = '';
  private rest = '';
  private total = 0;
  private readonly headMax: number;
  private readonly tailMax: number;

  constructor(private readonly max = CLIP_MAX) {
    this.headMax = Math.floor(max * 0.3);
    this.tailMax = max - this.headMax;
  }

  push(piece: string): void {
    this.total += piece.length;
    if (this.head.length < this.headMax) {
      const take = piece.slice(0, this.headMax - this.head.length);
      this.head += take;
      piece = piece.slice(take.length);
    }
    this.rest += piece;
    // Trimmed now and then, not on every piece: the tail is copied once per tailMax characters at most.
    if (this.rest.length > 2 * this.tailMax) this.rest = this.rest.slice(this.rest.length - this.tailMax);
  }

  text(): string {
    if (this.total <= this.max) return this.head + this.rest;
    return joinClipped(this.head, this.total - this.max, this.rest.slice(this.rest.length - this.tailMax));
  }
}

export function defineTool<A>(tool: AgentTool<A>): AgentTool<A> {
  return tool;
}
