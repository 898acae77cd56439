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
export function clip(text: string, max = 30_000): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.3);
  const tail = max - head;
  return `${text.slice(0, head)}\n… [${text.length - max} characters omitted] …\n${text.slice(text.length - tail)}`;
}

export function defineTool<A>(tool: AgentTool<A>): AgentTool<A> {
  return tool;
}
