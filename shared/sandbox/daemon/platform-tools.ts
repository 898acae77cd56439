import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { McpServer, createMcpHandler, type CallToolResult } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { platformTools, type PlatformTool } from '../../contracts/sandbox-api';
import type { ApiClient } from './api-client';
import { errorMessage, type Logger } from './log';
import { resolveInside } from './workspace-path';

export const PLATFORM_MCP_NAME = 'proliferate';

const MAX_VERIFY_FILES = 20;
const MAX_VERIFY_BYTES = 10 * 1024 * 1024;
const DEFAULT_VERIFY_FOLDER = '.proliferate/.verification';

const descriptions: Record<PlatformTool, string> = {
  verify:
    'Upload evidence that your change works (screenshots, logs, test output) so people can see it in the session. Pass file paths relative to the workspace, or a folder (default .proliferate/.verification/).',
  save_snapshot: 'Save the sandbox as it is now (installed dependencies, built artifacts) so later sessions start from this state.',
  save_service_commands: 'Save the commands that start this project\'s services (dev servers, databases, workers); later sessions start them automatically. Setup sessions only.',
  save_env_files: 'Save which env files this project needs (path and keys, never values); later sessions get them written with the organisation\'s secrets. Setup sessions only.',
  request_env_variables: 'Ask the person to provide environment variables or secrets (they get a form). Do not ask for keys of integrations that are already connected.',
  'automation.complete': 'Report the outcome of this automation run. Call it exactly once, at the end, with the run_id and completion_id you were given.',
};

const VerifyInput = z.object({
  paths: z.array(z.string().min(1).max(500)).max(MAX_VERIFY_FILES).optional().describe('files to upload, relative to the workspace'),
  folder: z.string().max(500).optional().describe('upload every file in this folder instead (relative to the workspace)'),
  note: z.string().max(2000).optional().describe('what the evidence shows'),
});

export interface PlatformToolsServer {
  url: string;
  /** The ACP `mcpServers` entry handed to the agent. */
  mcpServer: { type: 'http'; name: string; url: string; headers: { name: string; value: string }[] };
  /** Tool calls in flight, by tool name. */
  inFlight(tool: PlatformTool): boolean;
  close(): Promise<void>;
}

/**
 * The platform tools as an MCP server on 127.0.0.1 (random port, random bearer secret), stateless over Streamable
 * HTTP. Each call is validated with the contract's schema and forwarded to the server's sandbox API with a tool-call
 * id made once per call and reused on every retry. The reply's text goes back to the agent; failures come back as
 * tool output (`isError`), never as protocol errors.
 */
export async function startPlatformTools(options: { workspace: string; api: ApiClient; log: Logger; envFile?: string }): Promise<PlatformToolsServer> {
  const secret = randomBytes(24).toString('base64url');
  const inFlight = new Map<string, number>();

  const forward = async (tool: PlatformTool, args: unknown): Promise<CallToolResult> => {
    const toolCallId = randomUUID();
    inFlight.set(tool, (inFlight.get(tool) ?? 0) + 1);
    try {
      options.log.info('platform tool call', { tool, toolCallId });
      const reply = await options.api.callTool(tool, toolCallId, args);
      let text = reply.result || (reply.success ? 'Done.' : 'Failed.');
      // The server cannot know where this sandbox keeps the env JSON file; the daemon says it.
      if (tool === 'request_env_variables' && reply.success && options.envFile) text += `\nPROLIFERATE_ENV_FILE=${options.envFile}`;
      return { content: [{ type: 'text', text }], isError: !reply.success };
    } finally {
      inFlight.set(tool, (inFlight.get(tool) ?? 1) - 1);
    }
  };
  const failure = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });

  const factory = () => {
    const server = new McpServer({ name: PLATFORM_MCP_NAME, version: '1.0.0' }, { capabilities: { tools: {} } });
    server.registerTool('verify', { description: descriptions.verify, inputSchema: VerifyInput }, async (input) => {
      let files;
      try {
        files = readEvidence(options.workspace, input.paths, input.folder);
      } catch (err) {
        return failure(errorMessage(err));
      }
      const args = platformTools.verify.safeParse({ files, note: input.note });
      if (!args.success) return failure(`verify: ${args.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return forward('verify', args.data);
    });
    server.registerTool('save_snapshot', { description: descriptions.save_snapshot, inputSchema: platformTools.save_snapshot }, (args) => forward('save_snapshot', args));
    server.registerTool('save_service_commands', { description: descriptions.save_service_commands, inputSchema: platformTools.save_service_commands }, (args) =>
      forward('save_service_commands', args),
    );
    server.registerTool('save_env_files', { description: descriptions.save_env_files, inputSchema: platformTools.save_env_files }, (args) => forward('save_env_files', args));
    server.registerTool('request_env_variables', { description: descriptions.request_env_variables, inputSchema: platformTools.request_env_variables }, (args) =>
      forward('request_env_variables', args),
    );
    server.registerTool('automation.complete', { description: descriptions['automation.complete'], inputSchema: platformTools['automation.complete'] }, (args) =>
      forward('automation.complete', args),
    );
    return server;
  };
  const handler = createMcpHandler(factory, { onerror: (err) => options.log.warn('mcp error', { error: errorMessage(err) }) });

  const httpServer = http.createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${secret}`) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized');
      return;
    }
    void serveFetch(handler.fetch, req, res).catch((err) => {
      options.log.warn('mcp request failed', { error: errorMessage(err) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/mcp`;
  return {
    url,
    mcpServer: { type: 'http', name: PLATFORM_MCP_NAME, url, headers: [{ name: 'Authorization', value: `Bearer ${secret}` }] },
    inFlight: (tool) => (inFlight.get(tool) ?? 0) > 0,
    async close() {
      await handler.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

function readEvidence(workspace: string, paths: string[] | undefined, folder: string | undefined) {
  let files: string[];
  if (paths?.length) {
    files = paths.map((p) => resolveInside(workspace, p));
  } else {
    const dir = resolveInside(workspace, folder ?? DEFAULT_VERIFY_FOLDER);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      throw new Error(`verify: no files given and ${folder ?? DEFAULT_VERIFY_FOLDER} does not exist; save evidence there or pass paths`);
    }
    files = names.map((n) => path.join(dir, n)).filter((f) => statSync(f).isFile());
  }
  if (files.length === 0) throw new Error('verify: there are no files to upload');
  if (files.length > MAX_VERIFY_FILES) throw new Error(`verify: at most ${MAX_VERIFY_FILES} files at a time`);
  const root = resolveInside(workspace, '.');
  return files.map((file) => {
    const size = statSync(file).size;
    if (size > MAX_VERIFY_BYTES) throw new Error(`verify: ${path.relative(root, file)} is larger than 10 MB`);
    return { path: path.relative(root, file).split(path.sep).join('/'), contentBase64: readFileSync(file).toString('base64'), contentType: contentType(file) };
  });
}

function contentType(file: string): string {
  const ext = path.extname(file).toLowerCase();
  const types: Record<string, string> = {
    '.png': 'image/png',
    '.jpg': 'image/jpeg',
    '.jpeg': 'image/jpeg',
    '.gif': 'image/gif',
    '.webp': 'image/webp',
    '.svg': 'image/svg+xml',
    '.json': 'application/json',
    '.html': 'text/html',
    '.txt': 'text/plain',
    '.log': 'text/plain',
    '.md': 'text/markdown',
    '.mp4': 'video/mp4',
    '.webm': 'video/webm',
  };
  return types[ext] ?? 'application/octet-stream';
}

/** Serves a web-standard fetch handler on node:http (streaming the response body, e.g. SSE). */
export async function serveFetch(fetchHandler: (request: Request) => Promise<Response>, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else if (v !== undefined) headers.set(k, v);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const response = await fetchHandler(
    new Request(`http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`, { method: req.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined, signal: abort.signal }),
  );
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (response.body) {
    for await (const chunk of response.body) {
      if (abort.signal.aborted) break;
      res.write(chunk);
    }
  }
  res.end();
}
