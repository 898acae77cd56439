import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import * as acp from '@agentclientprotocol/sdk';
import { PromptMode } from '../../contracts/sandbox-api';
import { createLogger, errorMessage } from '../daemon/log';
import { AGENT_STATE_DIR_ENV, MODE_META, SYSTEM_PROMPT_META } from './acp-meta';
import { HistoryError, HistoryStore, historyBoundsFromEnv, type ConversationEntry } from './history';
import { LlmClient, type LlmConfig } from './llm-client';
import { connectMcpServers } from './mcp-tools';
import { systemPromptFor } from './prompts';
import { CHARS_PER_TOKEN } from './context';
import { AgentSession } from './session';
import { builtInTools } from './tools';

/**
 * The built-in agent: an ACP agent on stdio (stdout is the protocol, logs go to stderr) that drives any
 * OpenAI-compatible chat-completions endpoint (LLM_BASE_URL, LLM_API_KEY, LLM_MODEL) with file, search, shell and
 * git tools, plus the tools of the MCP servers it is given in `session/new` (or `session/load`).
 *
 * Given a directory in PROLIFERATE_AGENT_STATE_DIR, it saves every session's conversation there after each turn and
 * supports `session/load`: a new agent process continues the conversation, and replays it to the client first.
 */
const log = createLogger('agent');
const sessions = new Map<string, AgentSession>();
const maxSteps = Number(process.env.AGENT_MAX_STEPS) > 0 ? Number(process.env.AGENT_MAX_STEPS) : 100;
/** The model's context window in tokens (AGENT_CONTEXT_TOKENS); longer conversations are fitted into it per call. */
const contextChars = Number.isInteger(Number(process.env.AGENT_CONTEXT_TOKENS)) && Number(process.env.AGENT_CONTEXT_TOKENS) > 0 ? Number(process.env.AGENT_CONTEXT_TOKENS) * CHARS_PER_TOKEN : undefined;
const stateDir = process.env[AGENT_STATE_DIR_ENV];
const history = stateDir && path.isAbsolute(stateDir) ? new HistoryStore(path.join(stateDir, 'sessions'), historyBoundsFromEnv()) : null;

function llmConfig(): LlmConfig {
  const { LLM_BASE_URL, LLM_API_KEY, LLM_MODEL, LLM_MISSING } = process.env;
  if (!LLM_BASE_URL || !LLM_MODEL) {
    const what = LLM_MISSING || (!LLM_BASE_URL ? 'LLM_BASE_URL' : 'LLM_MODEL');
    throw new acp.RequestError(-32603, `No model endpoint is configured for the built-in agent: set ${what}.`);
  }
  return { baseUrl: LLM_BASE_URL, apiKey: LLM_API_KEY ?? '', model: LLM_MODEL };
}

/** The system prompt from `_meta` (the daemon's), else the mode's, else `fallback` (a loaded session's own). */
function systemPromptOf(meta: Record<string, unknown>, cwd: string, fallback?: string): string {
  const mode = PromptMode.safeParse(meta[MODE_META]);
  const given = typeof meta[SYSTEM_PROMPT_META] === 'string' && meta[SYSTEM_PROMPT_META] ? (meta[SYSTEM_PROMPT_META] as string) : null;
  if (!given && !mode.success && fallback) return fallback;
  const base = given ?? systemPromptFor(mode.success ? mode.data : 'coding');
  return `${base}\n\nWorking directory: ${cwd}\nToday: ${new Date().toISOString().slice(0, 10)}`;
}

/** Opens a session (new, or continuing `restored`) and keeps its conversation saved after every turn. */
async function openSession(
  id: string,
  params: { cwd: string; mcpServers: acp.McpServer[] },
  systemPrompt: string,
  restored?: { entries: ConversationEntry[]; droppedMessages: number },
): Promise<AgentSession> {
  const mcp = await connectMcpServers(params.mcpServers, log);
  const dropped = restored?.droppedMessages ?? 0;
  const save = (entries: ConversationEntry[]) => {
    if (!history) return;
    try {
      history.save({ sessionId: id, cwd: params.cwd, systemPrompt, droppedMessages: dropped, entries });
    } catch (err) {
      log.warn('could not save the conversation', { sessionId: id, error: errorMessage(err) });
    }
  };
  const note = dropped ? `\n\n(The earliest part of this conversation was not kept: ${dropped} older messages are missing.)` : '';
  const session = new AgentSession({
    id,
    cwd: params.cwd,
    systemPrompt: systemPrompt + note,
    tools: [...builtInTools(), ...mcp.tools],
    mcp,
    maxSteps,
    contextChars,
    restored: restored?.entries,
    onTurnEnd: save,
  });
  await sessions.get(id)?.close();
  sessions.set(id, session);
  // Saved from the start, so that a session paused before its first turn can be loaded too.
  if (!restored) save([]);
  log.info(restored ? 'session loaded' : 'session started', { sessionId: id, cwd: params.cwd, mcpTools: mcp.tools.length, messages: restored?.entries.length ?? 0 });
  return session;
}

const app = acp
  .agent({ name: 'proliferate-agent' })
  .onRequest(acp.methods.agent.initialize, () => ({
    protocolVersion: acp.PROTOCOL_VERSION,
    agentCapabilities: {
      loadSession: history !== null,
      promptCapabilities: { image: false, audio: false, embeddedContext: true },
      mcpCapabilities: { http: true, sse: false },
      _meta: { [SYSTEM_PROMPT_META]: true },
    },
    agentInfo: { name: 'proliferate-agent', title: 'Proliferate built-in agent', version: '1.0.0' },
    authMethods: [],
  }))
  .onRequest(acp.methods.agent.session.new, async ({ params }) => {
    const id = randomUUID();
    await openSession(id, params, systemPromptOf(params._meta ?? {}, params.cwd));
    return { sessionId: id };
  })
  .onRequest(acp.methods.agent.session.load, async ({ params, client }) => {
    if (!history) throw acp.RequestError.methodNotFound(acp.methods.agent.session.load);
    let saved;
    try {
      saved = history.load(params.sessionId);
    } catch (err) {
      log.warn('cannot load the session', { sessionId: params.sessionId, error: errorMessage(err) });
      if (err instanceof HistoryError && err.kind === 'not_found') throw acp.RequestError.sessionNotFound(params.sessionId);
      throw new acp.RequestError(-32603, errorMessage(err));
    }
    const session = await openSession(params.sessionId, params, systemPromptOf(params._meta ?? {}, params.cwd, saved.systemPrompt), saved);
    // ACP: the whole conversation goes to the client as session/update notifications before the response.
    for (const update of session.replay()) await client.notify(acp.methods.client.session.update, { sessionId: params.sessionId, update });
    return {};
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
  // A turn that is cancelled here still ends (and saves its conversation) if it does so promptly.
  await Promise.race([Promise.allSettled([...sessions.values()].map((s) => s.close())), new Promise((r) => setTimeout(r, 1000))]);
  process.exit(0);
};
void connection.closed.then(shutdown);
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
