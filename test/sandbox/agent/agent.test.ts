import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { buildSandboxBundles } from '../../../scripts/build-sandbox';
import { serveFetch } from '../../../shared/sandbox/daemon/platform-tools';
import { startFakeOpenAI, type FakeOpenAI } from '../../support/fake-openai';
import { AcpTestClient } from './acp-test-client';

/** The built-in agent bundle, driven over ACP (stdio, ndjson) against a scripted OpenAI-compatible endpoint. */
let agentBundle: string;
let workspace: string;
let stateDir: string;
const clients: AcpTestClient[] = [];
const servers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  agentBundle = (await buildSandboxBundles()).agent;
});

beforeEach(() => {
  workspace = mkdtempSync(path.join(tmpdir(), 'agent-ws-'));
  stateDir = mkdtempSync(path.join(tmpdir(), 'agent-state-'));
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  rmSync(workspace, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
});

function startAgent(env: Record<string, string | undefined>): AcpTestClient {
  const base = { ...process.env };
  for (const k of ['LLM_BASE_URL', 'LLM_API_KEY', 'LLM_MODEL', 'LLM_MISSING']) delete base[k];
  const client = AcpTestClient.spawn([process.execPath, agentBundle], { cwd: workspace, env: { ...base, ...env } });
  clients.push(client);
  return client;
}

async function agentWith(llm: FakeOpenAI, mcpServers: unknown[] = []) {
  servers.push(llm);
  const client = startAgent({ LLM_BASE_URL: llm.url, LLM_API_KEY: llm.apiKey, LLM_MODEL: llm.model });
  const init = await client.initialize();
  const { sessionId } = await client.request('session/new', { cwd: workspace, mcpServers });
  return { client, init, sessionId };
}

function prompt(client: AcpTestClient, sessionId: string, text: string) {
  return client.request('session/prompt', { sessionId, prompt: [{ type: 'text', text }] });
}

function toolMessages(llm: FakeOpenAI, request: number): any[] {
  return llm.requests[request].messages.filter((m: any) => m.role === 'tool');
}

test('writes a file and runs a command: tool calls carry kinds, the diff and streamed output', async () => {
  const llm = await startFakeOpenAI({
    script: [
      {
        text: 'Creating the file.',
        toolCalls: [
          { name: 'write_file', arguments: { path: 'notes/hello.txt', content: 'hello\n' }, chunks: 4 },
          { name: 'run_command', arguments: { command: 'echo first; sleep 0.3; echo second; cat notes/hello.txt' }, chunks: 5 },
        ],
      },
      { text: ['All ', 'done', '.'] },
    ],
  });
  const { client, init, sessionId } = await agentWith(llm);
  expect(init.agentCapabilities.mcpCapabilities.http).toBe(true);

  const res = await prompt(client, sessionId, 'Write hello and show it');

  expect(res.stopReason).toBe('end_turn');
  expect(readFileSync(path.join(workspace, 'notes/hello.txt'), 'utf8')).toBe('hello\n');

  const calls = client.updatesOf('tool_call');
  expect(calls.map((c) => [c.name, c.kind])).toEqual([
    ['write_file', 'edit'],
    ['run_command', 'execute'],
  ]);
  expect(calls[0].title).toBe('Write notes/hello.txt');
  expect(calls[1].rawInput).toEqual({ command: 'echo first; sleep 0.3; echo second; cat notes/hello.txt' });

  const updates = client.updatesOf('tool_call_update');
  const writeDone = updates.find((u) => u.toolCallId === calls[0].toolCallId && u.status === 'completed');
  expect(writeDone.content).toContainEqual({ type: 'diff', path: path.join(workspace, 'notes/hello.txt'), oldText: null, newText: 'hello\n' });

  const runUpdates = updates.filter((u) => u.toolCallId === calls[1].toolCallId);
  const streamed = runUpdates.filter((u) => u.status === 'in_progress');
  expect(streamed.length).toBeGreaterThan(0);
  expect(streamed.every((u) => u._meta?.['proliferate.dev/outputDelta'] === true)).toBe(true);
  expect(streamed.map((u) => u.content[0].content.text).join('')).toBe('first\nsecond\nhello\n');
  const runDone = runUpdates[runUpdates.length - 1];
  expect(runDone.status).toBe('completed');
  expect(runDone.content[0].content.text).toContain('Exit code: 0');

  const text = client
    .updatesOf('agent_message_chunk')
    .map((u) => u.content.text)
    .join('');
  expect(text).toBe('Creating the file.All done.');

  // What the model saw: the tools, then the tool results in the second request.
  expect(llm.requests).toHaveLength(2);
  expect(llm.requests[0].stream).toBe(true);
  expect(llm.requests[0].headers.authorization).toBe(`Bearer ${llm.apiKey}`);
  expect(llm.requests[0].body.tools.map((t: any) => t.function.name)).toEqual(
    expect.arrayContaining(['read_file', 'write_file', 'edit_file', 'list_files', 'search', 'run_command', 'git']),
  );
  expect(llm.requests[0].messages[0].role).toBe('system');
  const results = toolMessages(llm, 1);
  // 'hello\n' is one line: the final newline ends it.
  expect(results[0].content).toBe('Created notes/hello.txt (1 line)');
  expect(results[1].content).toContain('second');
});

test('a command that times out is killed with its process group, and the turn carries on', async () => {
  const llm = await startFakeOpenAI({
    script: [{ toolCalls: [{ name: 'run_command', arguments: { command: 'echo started; echo $$ > pid.txt; exec sleep 30', timeout_seconds: 1 } }] }, { text: 'Recovered.' }],
  });
  const { client, sessionId } = await agentWith(llm);

  const res = await prompt(client, sessionId, 'Run the slow thing');

  expect(res.stopReason).toBe('end_turn');
  const failed = client.updatesOf('tool_call_update').find((u) => u.status === 'failed');
  expect(failed.content[0].content.text).toMatch(/timed out after 1s/);
  expect(failed.content[0].content.text).toContain('started');
  expect(toolMessages(llm, 1)[0].content).toMatch(/timed out/);
  const pid = Number(readFileSync(path.join(workspace, 'pid.txt'), 'utf8'));
  expect(() => process.kill(pid, 0)).toThrow();
});

test('file tool errors come back to the model as results: an edit that does not match, a path outside the workspace', async () => {
  writeFileSync(path.join(workspace, 'a.txt'), 'one\ntwo\none\n');
  const llm = await startFakeOpenAI({
    script: [
      {
        toolCalls: [
          { name: 'edit_file', arguments: { path: 'a.txt', old_string: 'three', new_string: 'x' } },
          { name: 'edit_file', arguments: { path: 'a.txt', old_string: 'one', new_string: 'x' } },
          { name: 'read_file', arguments: { path: '../outside.txt' } },
          { name: 'edit_file', arguments: { path: 'a.txt', old_string: 'two', new_string: '2' } },
          { name: 'no_such_tool', arguments: {} },
        ],
      },
      { text: 'ok' },
    ],
  });
  const { client, sessionId } = await agentWith(llm);
  await prompt(client, sessionId, 'edit');

  const results = toolMessages(llm, 1).map((m) => m.content);
  expect(results[0]).toMatch(/old_string was not found in a\.txt/);
  expect(results[1]).toMatch(/old_string appears 2 times in a\.txt/);
  expect(results[2]).toMatch(/outside the workspace/);
  expect(results[3]).toMatch(/Edited a\.txt/);
  expect(results[4]).toMatch(/There is no tool named no_such_tool/);
  expect(readFileSync(path.join(workspace, 'a.txt'), 'utf8')).toBe('one\n2\none\n');
  const statuses = client.updatesOf('tool_call_update').map((u) => u.status);
  expect(statuses).toEqual(['failed', 'failed', 'failed', 'completed', 'failed']);
});

test('tools of the MCP servers given in session/new are offered to the model and called', async () => {
  const calls: unknown[] = [];
  const factory = () => {
    const s = new McpServer({ name: 'test-tools', version: '1.0.0' }, { capabilities: { tools: {} } });
    s.registerTool('shout', { description: 'Upper-cases text', inputSchema: z.object({ text: z.string() }) }, async ({ text }) => {
      calls.push(text);
      return { content: [{ type: 'text', text: text.toUpperCase() }] };
    });
    return s;
  };
  const handler = createMcpHandler(factory);
  const httpServer = http.createServer((req, res) => {
    if (req.headers['x-test-secret'] !== 's3cret') return void res.writeHead(401).end();
    void serveFetch(handler.fetch, req, res);
  });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  servers.push({
    close: async () => {
      await handler.close();
      httpServer.closeAllConnections();
      await new Promise<void>((r) => httpServer.close(() => r()));
    },
  });
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/mcp`;

  const llm = await startFakeOpenAI({ script: [{ toolCalls: [{ name: 'test-tools__shout', arguments: { text: 'quiet' } }] }, { text: 'done' }] });
  const { client, sessionId } = await agentWith(llm, [{ type: 'http', name: 'test-tools', url, headers: [{ name: 'x-test-secret', value: 's3cret' }] }]);
  await prompt(client, sessionId, 'shout');

  expect(llm.requests[0].body.tools.map((t: any) => t.function.name)).toContain('test-tools__shout');
  expect(calls).toEqual(['quiet']);
  expect(toolMessages(llm, 1)[0].content).toBe('QUIET');
  expect(client.updatesOf('tool_call')[0].title).toBe('test-tools: shout');
});

test('a stdio MCP server gets its configured environment but never the model key', async () => {
  // A stdio MCP server, as a user's configuration may name one: its one tool reports what its environment holds.
  const script = path.join(workspace, 'env-probe.cjs');
  writeFileSync(
    script,
    [
      `const load = require('node:module').createRequire(${JSON.stringify(path.join(process.cwd(), 'package.json'))});`,
      "const { McpServer } = load('@modelcontextprotocol/server');",
      "const { StdioServerTransport } = load('@modelcontextprotocol/server/stdio');",
      "const z = load('zod');",
      "const s = new McpServer({ name: 'probe', version: '1.0.0' }, { capabilities: { tools: {} } });",
      "s.registerTool('env', { description: 'What the environment holds', inputSchema: z.object({}) }, async () => ({",
      "  content: [{ type: 'text', text: JSON.stringify({ llmKey: process.env.LLM_API_KEY ?? null, given: process.env.PROBE_GIVEN ?? null }) }],",
      '}));',
      's.connect(new StdioServerTransport());',
    ].join('\n'),
  );
  const llm = await startFakeOpenAI({ script: [{ toolCalls: [{ name: 'probe__env', arguments: {} }] }, { text: 'done' }] });
  const { client, sessionId } = await agentWith(llm, [{ name: 'probe', command: process.execPath, args: [script], env: [{ name: 'PROBE_GIVEN', value: 'yes' }] }]);
  expect((await prompt(client, sessionId, 'probe')).stopReason).toBe('end_turn');
  expect(JSON.parse(toolMessages(llm, 1)[0].content)).toEqual({ llmKey: null, given: 'yes' });
});

test('session/cancel stops a turn that is waiting on the model', async () => {
  const llm = await startFakeOpenAI({ script: [{ text: ['thinking'], holdMs: 30_000 }] });
  const { client, sessionId } = await agentWith(llm);
  const turn = prompt(client, sessionId, 'take your time');
  await llm.waitForRequests(1);
  client.notify('session/cancel', { sessionId });
  expect((await turn).stopReason).toBe('cancelled');
});

test('without a model configuration, a prompt fails with an error naming the variable to set', async () => {
  const client = startAgent({ LLM_MISSING: 'PROLIFERATE_LLM_PROXY_URL' });
  await client.initialize();
  const { sessionId } = await client.request('session/new', { cwd: workspace, mcpServers: [] });
  await expect(prompt(client, sessionId, 'hi')).rejects.toThrow(/set PROLIFERATE_LLM_PROXY_URL/);

  const bare = startAgent({});
  await bare.initialize();
  const s2 = await bare.request('session/new', { cwd: workspace, mcpServers: [] });
  await expect(prompt(bare, s2.sessionId, 'hi')).rejects.toThrow(/set LLM_BASE_URL/);
});

test('a model endpoint error is reported to the client with its message', async () => {
  const llm = await startFakeOpenAI({ script: [{ status: 400, error: 'model fake-model does not exist' }] });
  const { client, sessionId } = await agentWith(llm);
  await expect(prompt(client, sessionId, 'hi')).rejects.toThrow(/HTTP 400: model fake-model does not exist/);
});

// --- saved conversations and session/load ------------------------------------------------------------------------

/** An agent process that saves its conversations in `stateDir` (as the daemon runs it). */
async function persistentAgent(llm: FakeOpenAI, extra: Record<string, string> = {}) {
  const client = startAgent({ LLM_BASE_URL: llm.url, LLM_API_KEY: llm.apiKey, LLM_MODEL: llm.model, PROLIFERATE_AGENT_STATE_DIR: stateDir, ...extra });
  const init = await client.initialize();
  return { client, init };
}

const savedFile = (sessionId: string) => path.join(stateDir, 'sessions', `${sessionId}.json`);
const roles = (messages: any[]) => messages.map((m) => m.role);

test('a session is saved after every turn; a new agent process loads it, replays it, and the model gets the earlier turns', async () => {
  const llm = await startFakeOpenAI({
    script: [{ text: 'Writing it.', toolCalls: [{ name: 'write_file', arguments: { path: 'hello.txt', content: 'hello\n' } }] }, { text: 'Wrote hello.txt.' }, { text: 'It says hello.' }],
  });
  servers.push(llm);
  const first = await persistentAgent(llm);
  expect(first.init.agentCapabilities.loadSession).toBe(true);
  const { sessionId } = await first.client.request('session/new', { cwd: workspace, mcpServers: [] });
  // Saved before the first turn, so that a session paused right away can be loaded too.
  expect(JSON.parse(readFileSync(savedFile(sessionId), 'utf8'))).toMatchObject({ version: 1, sessionId, cwd: workspace, entries: [] });

  expect((await prompt(first.client, sessionId, 'Write hello.txt')).stopReason).toBe('end_turn');
  const saved = JSON.parse(readFileSync(savedFile(sessionId), 'utf8'));
  expect(saved.entries.map((e: any) => e.message.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
  expect(saved.systemPrompt).toBe(llm.requests[0].messages[0].content);
  await first.client.close();

  const second = await persistentAgent(llm);
  const loaded = await second.client.request('session/load', { sessionId, cwd: workspace, mcpServers: [] });
  expect(loaded).toEqual({});
  // The conversation was replayed before the response.
  const replay = second.client.updates;
  expect(replay.every((u) => u.sessionId === sessionId)).toBe(true);
  expect(replay.map((u) => u.update.sessionUpdate)).toEqual(['user_message_chunk', 'agent_message_chunk', 'tool_call', 'tool_call_update', 'agent_message_chunk']);
  expect(replay[0].update.content).toEqual({ type: 'text', text: 'Write hello.txt' });
  expect(replay[2].update).toMatchObject({ name: 'write_file', title: 'Write hello.txt', kind: 'edit', rawInput: { path: 'hello.txt', content: 'hello\n' } });
  expect(replay[3].update).toMatchObject({ toolCallId: replay[2].update.toolCallId, status: 'completed', content: [{ type: 'content', content: { type: 'text', text: expect.stringContaining('Created hello.txt') } }] });
  expect(replay[4].update.content.text).toBe('Wrote hello.txt.');

  expect((await prompt(second.client, sessionId, 'What does it say?')).stopReason).toBe('end_turn');
  const request = llm.requests[2].messages;
  expect(roles(request)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
  expect(request.slice(1, 4)).toEqual(llm.requests[1].messages.slice(1));
  expect(request[4]).toEqual({ role: 'assistant', content: 'Wrote hello.txt.' });
  expect(request[5]).toEqual({ role: 'user', content: 'What does it say?' });
  expect(request[0].content).toContain(`Working directory: ${workspace}`);
  expect(JSON.parse(readFileSync(savedFile(sessionId), 'utf8')).entries).toHaveLength(6);
});

test('the saved conversation keeps the most recent turns within its bound, and the model is told that older ones are missing', async () => {
  const llm = await startFakeOpenAI({ script: [{ text: 'one' }, { text: 'two' }, { text: 'three' }, { text: 'four' }] });
  servers.push(llm);
  const bound = { PROLIFERATE_AGENT_HISTORY_MAX_MESSAGES: '4' };
  const first = await persistentAgent(llm, bound);
  const { sessionId } = await first.client.request('session/new', { cwd: workspace, mcpServers: [] });
  for (const text of ['first question', 'second question', 'third question']) await prompt(first.client, sessionId, text);
  await first.client.close();
  const saved = JSON.parse(readFileSync(savedFile(sessionId), 'utf8'));
  expect(saved.droppedMessages).toBe(2);
  expect(saved.entries.map((e: any) => e.message.content)).toEqual(['second question', 'two', 'third question', 'three']);

  const second = await persistentAgent(llm, bound);
  await second.client.request('session/load', { sessionId, cwd: workspace, mcpServers: [] });
  await prompt(second.client, sessionId, 'fourth question');
  const request = llm.requests[3].messages;
  expect(request.slice(1).map((m: any) => m.content)).toEqual(['second question', 'two', 'third question', 'three', 'fourth question']);
  expect(request[0].content).toContain('2 older messages are missing');
});

test('session/load fails cleanly for a corrupt or unknown saved conversation, and the agent goes on with a new session', async () => {
  const llm = await startFakeOpenAI({ script: [{ text: 'fresh start' }] });
  servers.push(llm);
  const { client } = await persistentAgent(llm);
  const { sessionId } = await client.request('session/new', { cwd: workspace, mcpServers: [] });
  writeFileSync(savedFile(sessionId), '{"version":1,"entries":[{"mess');

  const other = await persistentAgent(llm);
  await expect(other.client.request('session/load', { sessionId, cwd: workspace, mcpServers: [] })).rejects.toThrow(/not valid JSON/);
  await expect(other.client.request('session/load', { sessionId: '5d2c1f7e-0000-4000-8000-000000000000', cwd: workspace, mcpServers: [] })).rejects.toMatchObject({ code: -32002 });
  await expect(other.client.request('session/load', { sessionId: '../../etc/passwd', cwd: workspace, mcpServers: [] })).rejects.toMatchObject({ code: -32002 });
  expect(other.client.updates).toEqual([]);

  const fresh = await other.client.request('session/new', { cwd: workspace, mcpServers: [] });
  expect((await prompt(other.client, fresh.sessionId, 'hello')).stopReason).toBe('end_turn');
  expect(roles(llm.requests[0].messages)).toEqual(['system', 'user']);
});

test('without a state directory the agent does not offer session/load and saves nothing', async () => {
  const llm = await startFakeOpenAI({ script: [] });
  servers.push(llm);
  const client = startAgent({ LLM_BASE_URL: llm.url, LLM_API_KEY: llm.apiKey, LLM_MODEL: llm.model });
  const init = await client.initialize();
  expect(init.agentCapabilities.loadSession).toBe(false);
  const { sessionId } = await client.request('session/new', { cwd: workspace, mcpServers: [] });
  await expect(client.request('session/load', { sessionId, cwd: workspace, mcpServers: [] })).rejects.toMatchObject({ code: -32601 });
  expect(existsSync(path.join(stateDir, 'sessions'))).toBe(false);
});

test('fits a long conversation into the context window it is given (AGENT_CONTEXT_TOKENS)', async () => {
  // Three turns of about 12k characters of command output each, in a 4k-token (16k-character) window.
  const big = { name: 'run_command', arguments: { command: `node -e "process.stdout.write('x'.repeat(12000))"` } };
  const llm = await startFakeOpenAI({ script: [{ toolCalls: [big] }, { text: 'one' }, { toolCalls: [big] }, { text: 'two' }, { toolCalls: [big] }, { text: 'three' }] });
  servers.push(llm);
  const client = startAgent({ LLM_BASE_URL: llm.url, LLM_API_KEY: llm.apiKey, LLM_MODEL: llm.model, AGENT_CONTEXT_TOKENS: '4000' });
  await client.initialize();
  const { sessionId } = await client.request('session/new', { cwd: workspace, mcpServers: [] });
  for (const p of ['first', 'second', 'third']) expect((await prompt(client, sessionId, p)).stopReason).toBe('end_turn');

  const sent = (i: number) => JSON.stringify(llm.requests[i].messages).length;
  const last = llm.requests.at(-1)!.messages;
  expect(sent(llm.requests.length - 1)).toBeLessThan(20_000);
  // The task (the first prompt) and the current turn are there; the first turn's output was cut to its head.
  const users = last.filter((m: any) => m.role === 'user').map((m: any) => m.content);
  expect(users[0]).toBe('first');
  expect(users.at(-1)).toBe('third');
  expect(JSON.stringify(last)).toContain('not shown');
  // The current turn's output is sent whole.
  expect(toolMessages(llm, llm.requests.length - 1).at(-1).content.length).toBeGreaterThan(12_000);
});
