import * as z from 'zod';
import type { ToolDefinition } from '../llm-client';
import { editFile, listFiles, readFile, writeFile } from './files';
import { git } from './git';
import { runCommand } from './run-command';
import { search } from './search';
import type { AgentTool, ToolContext, ToolKind, ToolResult } from './types';

/** A tool as the turn loop sees it: raw arguments in (validated inside), a result out, never an exception. */
export interface RunnableTool {
  name: string;
  kind: ToolKind;
  definition: ToolDefinition;
  title(rawArgs: unknown): string;
  run(rawArgs: unknown, ctx: ToolContext): Promise<ToolResult>;
}

export function runnable<A>(tool: AgentTool<A>): RunnableTool {
  return {
    name: tool.name,
    kind: tool.kind,
    definition: toolDefinition(tool),
    title(raw) {
      const parsed = tool.schema.safeParse(raw);
      return parsed.success ? tool.title(parsed.data) : tool.name;
    },
    async run(raw, ctx) {
      const parsed = tool.schema.safeParse(raw);
      if (!parsed.success) {
        return { ok: false, output: `Invalid arguments for ${tool.name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` };
      }
      try {
        return await tool.run(parsed.data, ctx);
      } catch (err) {
        return { ok: false, output: `${tool.name} failed: ${err instanceof Error ? err.message : String(err)}` };
      }
    },
  };
}

/** The built-in agent's own tools (each session adds its MCP servers' tools next to them). */
export function builtInTools(): RunnableTool[] {
  return [runnable(readFile), runnable(writeFile), runnable(editFile), runnable(listFiles), runnable(search), runnable(runCommand), runnable(git)];
}

/** The OpenAI function definition of a tool, its parameters from the zod schema. */
export function toolDefinition(tool: { name: string; description: string; schema: z.ZodType }): ToolDefinition {
  const { $schema: _ignored, ...parameters } = z.toJSONSchema(tool.schema, { io: 'input' }) as Record<string, unknown>;
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters } };
}

export type { ToolContext, ToolResult, FileChange, ToolKind } from './types';
