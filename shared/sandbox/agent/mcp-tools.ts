import type { McpServer as AcpMcpServer } from '@agentclientprotocol/sdk';
import { Client, StreamableHTTPClientTransport, type Tool } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { errorMessage, type Logger } from '../daemon/log';
import { childEnv } from '../daemon/process-tree';
import type { RunnableTool } from './tools';

/** Tool calls may take long (save_snapshot waits for the sandbox to be captured). */
const CALL_TIMEOUT_MS = 15 * 60_000;

export interface McpTools {
  tools: RunnableTool[];
  close(): Promise<void>;
}

/**
 * Connects to the MCP servers given in `session/new` (HTTP, or stdio commands) and exposes their tools to the model
 * as `<server>__<tool>` (OpenAI function names allow only letters, digits, `_` and `-`). A server that cannot be
 * reached is skipped with a log line; the session works without it.
 */
export async function connectMcpServers(servers: AcpMcpServer[], log: Logger): Promise<McpTools> {
  const clients: Client[] = [];
  const tools: RunnableTool[] = [];
  const used = new Set<string>();
  for (const server of servers) {
    const client = new Client({ name: 'proliferate-agent', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    try {
      if ('type' in server && server.type === 'sse') {
        log.warn('skipping an SSE MCP server (not supported)', { server: server.name });
        continue;
      }
      const transport =
        'type' in server && server.type === 'http'
          ? new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: Object.fromEntries(server.headers.map((h) => [h.name, h.value])) } })
          : new StdioClientTransport({
              command: (server as { command: string }).command,
              args: (server as { args?: string[] }).args ?? [],
              // Like every process the agent starts: its environment without the model key and the sandbox token,
              // plus what the server's own configuration gives it.
              env: {
                ...(childEnv() as Record<string, string>),
                ...Object.fromEntries(((server as { env?: { name: string; value: string }[] }).env ?? []).map((e) => [e.name, e.value])),
              },
              stderr: 'ignore',
            });
      await withTimeout(client.connect(transport), 20_000, `connecting to MCP server ${server.name}`);
      clients.push(client);
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined);
        for (const t of page.tools) tools.push(mcpTool(client, server.name, t, used));
        cursor = page.nextCursor;
      } while (cursor);
      log.info('MCP server connected', { server: server.name, tools: tools.length });
    } catch (err) {
      log.warn('MCP server unavailable', { server: server.name, error: errorMessage(err) });
      await client.close().catch(() => {});
    }
  }
  return {
    tools,
    async close() {
      await Promise.allSettled(clients.map((c) => c.close()));
    },
  };
}

function mcpTool(client: Client, serverName: string, tool: Tool, used: Set<string>): RunnableTool {
  let name = `${sanitize(serverName)}__${sanitize(tool.name)}`.slice(0, 64);
  for (let i = 2; used.has(name); i++) name = `${name.slice(0, 60)}_${i}`;
  used.add(name);
  const label = tool.title ?? tool.annotations?.title ?? tool.name;
  return {
    name,
    kind: 'other',
    definition: { type: 'function', function: { name, description: tool.description ?? label, parameters: tool.inputSchema as Record<string, unknown> } },
    title: () => `${serverName}: ${label}`,
    async run(raw, ctx) {
      try {
        const res = await client.callTool({ name: tool.name, arguments: (raw ?? {}) as Record<string, unknown> }, { signal: ctx.signal, timeout: CALL_TIMEOUT_MS });
        const text = (res.content ?? [])
          .map((c) => (c.type === 'text' ? c.text : c.type === 'image' ? '[image]' : c.type === 'resource' ? '[resource]' : `[${c.type}]`))
          .join('\n');
        const structured = !text && res.structuredContent ? JSON.stringify(res.structuredContent) : '';
        return { ok: !res.isError, output: text || structured || (res.isError ? 'The tool failed.' : 'Done.') };
      } catch (err) {
        return { ok: false, output: `${serverName}: ${tool.name} failed: ${errorMessage(err)}` };
      }
    },
  };
}

function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '_');
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out`)), ms)))]).finally(() => clearTimeout(timer));
}
