import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import * as acp from '@agentclientprotocol/sdk';

/**
 * A second, minimal ACP agent for tests (bundled by the test with esbuild and run via `agentCommand`): it echoes the
 * prompt, asks for a permission, reports a tool call with replace-style output and a diff, and dies on request.
 * It does not take a system prompt in `session/new`, so the daemon has to prefix it to the first turn.
 * With `--loadable` it advertises `loadSession`: `session/load` replays a made-up conversation (marked REPLAYED) and
 * continues the given session id; with `--fail-load` too, loading fails.
 */
let mcpNames: string[] = [];
let turn = 0;
let loadedFrom = '';
const loadable = process.argv.includes('--loadable');
const failLoad = process.argv.includes('--fail-load');

const app = acp
  .agent({ name: 'echo-agent' })
  .onRequest(acp.methods.agent.initialize, () => ({
    protocolVersion: acp.PROTOCOL_VERSION,
    agentCapabilities: { loadSession: loadable, mcpCapabilities: { http: true, sse: false } },
    agentInfo: { name: 'echo-agent', version: '0.0.1' },
    authMethods: [],
  }))
  .onRequest(acp.methods.agent.session.new, ({ params }) => {
    mcpNames = params.mcpServers.map((s) => s.name);
    return { sessionId: `echo-${process.pid}` };
  })
  .onRequest(acp.methods.agent.session.load, async ({ params, client }) => {
    if (!loadable) throw acp.RequestError.methodNotFound(acp.methods.agent.session.load);
    if (failLoad) throw new acp.RequestError(-32603, `the history of ${params.sessionId} is damaged`);
    mcpNames = params.mcpServers.map((s) => s.name);
    const send = (update: acp.SessionUpdate) => client.notify(acp.methods.client.session.update, { sessionId: params.sessionId, update });
    await send({ sessionUpdate: 'user_message_chunk', content: { type: 'text', text: 'REPLAYED question' } });
    await send({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'REPLAYED answer' } });
    await send({ sessionUpdate: 'tool_call', toolCallId: 'replayed-tool', title: 'REPLAYED tool', kind: 'edit', status: 'completed' });
    await send({ sessionUpdate: 'tool_call_update', toolCallId: 'replayed-tool', status: 'completed', content: [{ type: 'content', content: { type: 'text', text: 'REPLAYED output' } }] });
    loadedFrom = params.sessionId;
    return {};
  })
  .onRequest(acp.methods.agent.session.prompt, async ({ params, client }) => {
    const text = params.prompt.map((b) => (b.type === 'text' ? b.text : '')).join('');
    const send = (update: acp.SessionUpdate) => client.notify(acp.methods.client.session.update, { sessionId: params.sessionId, update });
    turn++;
    if (text.endsWith('please die')) {
      await send({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'dying' } });
      setTimeout(() => process.exit(3), 50);
      await new Promise(() => {});
    }
    const permission = await client.request(acp.methods.client.session.requestPermission, {
      sessionId: params.sessionId,
      toolCall: { toolCallId: `perm-${turn}`, title: 'Write hello.txt' },
      options: [
        { optionId: 'reject', name: 'Reject', kind: 'reject_once' },
        { optionId: 'allow', name: 'Allow', kind: 'allow_once' },
      ],
    });
    const reply = `echo[${turn}]: ${text} | argv: ${process.argv.slice(2).join('|')} | mcp: ${mcpNames.join(',')} | permission: ${permission.outcome.outcome === 'selected' ? permission.outcome.optionId : 'cancelled'}${loadedFrom ? ` | loaded: ${loadedFrom}` : ''}`;
    for (let i = 0; i < reply.length; i += 7) await send({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: reply.slice(i, i + 7) } });
    const toolCallId = `tool-${turn}`;
    await send({ sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: 'thinking about files' } });
    await send({ sessionUpdate: 'tool_call', toolCallId, title: 'Edit hello.txt', kind: 'edit', status: 'pending', rawInput: { path: 'hello.txt' } });
    await send({ sessionUpdate: 'tool_call_update', toolCallId, status: 'in_progress', content: [{ type: 'content', content: { type: 'text', text: 'line1\n' } }] });
    await send({ sessionUpdate: 'tool_call_update', toolCallId, status: 'in_progress', content: [{ type: 'content', content: { type: 'text', text: 'line1\nline2\n' } }] });
    await send({
      sessionUpdate: 'tool_call_update',
      toolCallId,
      status: 'completed',
      content: [
        { type: 'content', content: { type: 'text', text: 'edited' } },
        { type: 'diff', path: path.join(process.cwd(), 'hello.txt'), oldText: 'a', newText: 'b' },
      ],
    });
    await send({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: ' done' } });
    return { stopReason: 'end_turn' };
  })
  .onNotification(acp.methods.agent.session.cancel, () => {});

const conn = app.connect(acp.ndJsonStream(Writable.toWeb(process.stdout) as WritableStream<Uint8Array>, Readable.toWeb(process.stdin) as ReadableStream<Uint8Array>));
void conn.closed.then(() => process.exit(0));
