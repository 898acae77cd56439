import { randomUUID } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import * as acp from '@agentclientprotocol/sdk';
import { PromptMode } from '../../contracts/sandbox-api';
import { createLogger, errorMessage } from '../daemon/log';
import { MODE_META, SYSTEM_PROMPT_META } from './acp-meta';
import { LlmClient, type LlmConfig } from './llm-client';
import { connectMcpServers } from './mcp-tools';
import { systemPromptFor } from './prompts';
import { AgentSession } from './session';
import { builtInTools } from './tools';

/**
 * The built-in agent: an ACP agent on stdio (stdout is the protocol, logs go to stderr) that drives any
 * OpenAI-compatible chat-completions endpoint (LLM_BASE_URL, LLM_API_KEY, LLM_MODEL) with file, search, shell and
 * git tools, plus the tools of the MCP servers it is given in `session/new`.
 */
const log = createLogger('agent');
const sessions = new Map<string, AgentSession>();
const maxSteps = Number(process.env.AGENT_MAX_STEPS) > 0 ? Number(process.env.AGENT_MAX_STEPS) : 100;

function llmConfig(): LlmConfig {
  const { LLM_BASE_URL, LLM_API_KEY, LLM_MODEL, LLM_MISSING } = process.env;
  if (!LLM_BASE_URL || !LLM_MODEL) {
    const what = LLM_MISSING || (!LLM_BASE_URL ? 'LLM_BASE_URL' : 'LLM_MODEL');
    throw new acp.RequestError(-32603, `No model endpoint is configured for the built-in agent: set ${what}.`);
  }
  return { baseUrl: LLM_BASE_URL, apiKey: LLM_API_KEY ?? '', model: LLM_MODEL };
}

const app = acp
  .agent({ name: 'proliferate-agent' })
  .onRequest(acp.methods.agent.initialize, () => ({
    protocolVersion: acp.PROTOCOL_VERSION,
    agentCapabilities: {
      loadSession: false,
      promptCapabilities: { image: false, audio: false, embeddedContext: true },
      mcpCapabilities: { http: true, sse: false },
      _meta: { [SYSTEM_PROMPT_META]: true },
    },
    agentInfo: { name: 'proliferate-agent', title: 'Proliferate built-in agent', version: '1.0.0' },
    authMethods: [],
  }))
  .onRequest(acp.methods.agent.session.new, async ({ params }) => {
    const meta = params._meta ?? {};
    const mode = PromptMode.safeParse(meta[MODE_META]);
    const base = typeof meta[SYSTEM_PROMPT_META] === 'string' && meta[SYSTEM_PROMPT_META] ? (meta[SYSTEM_PROMPT_META] as string) : systemPromptFor(mode.success ? mode.data : 'coding');
    const mcp = await connectMcpServers(params.mcpServers, log);
    const id = randomUUID();
    sessions.set(
      id,
      new AgentSession({
        id,
        cwd: params.cwd,
        systemPrompt: `${base}\n\nWorking directory: ${params.cwd}\nToday: ${new Date().toISOString().slice(0, 10)}`,
        tools: [...builtInTools(), ...mcp.tools],
        mcp,
        maxSteps,
      }),
    );
    log.info('session started', { sessionId: id, cwd: params.cwd, mcpTools: mcp.tools.length });
    return { sessionId: id };
  })
  .onRequest(acp.methods.agent.session.prompt, async ({ params, client }) => {
    const session = sessions.get(params.sessionId);
    if (!session) throw acp.RequestError.sessionNotFound(params.sessionId);
    const llm = new LlmClient(llmConfig());
    const text = params.prompt
      .map((b) => (b.type === 'text' ? b.text : b.type === 'resource' && 'text' in b.resource ? b.resource.text : b.type === 'resource_link' ? b.uri : ''))
      .filter(Boolean)
      .join('\n\n');
    try {
      const stopReason = await session.prompt(text, llm, (update) => client.notify(acp.methods.client.session.update, { sessionId: params.sessionId, update }));
      return { stopReason };
    } catch (err) {
      log.warn('turn failed', { error: errorMessage(err) });
      throw err instanceof acp.RequestError ? err : new acp.RequestError(-32603, errorMessage(err));
    }
  })
  .onNotification(acp.methods.agent.session.cancel, ({ params }) => {
    sessions.get(params.sessionId)?.cancel();
  });

const connection = app.connect(acp.ndJsonStream(Writable.toWeb(process.stdout) as WritableStream<Uint8Array>, Readable.toWeb(process.stdin) as ReadableStream<Uint8Array>));

const shutdown = async () => {
  await Promise.allSettled([...sessions.values()].map((s) => s.close()));
  process.exit(0);
};
void connection.closed.then(shutdown);
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
