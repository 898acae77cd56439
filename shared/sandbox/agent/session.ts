import type { SessionUpdate, StopReason, ToolCallContent } from '@agentclientprotocol/sdk';
import { OUTPUT_DELTA_META } from './acp-meta';
import { CHARS_PER_TOKEN, fitContext } from './context';
import type { ConversationEntry } from './history';
import type { ChatMessage, LlmClient, ToolCallRequest } from './llm-client';
import type { McpTools } from './mcp-tools';
import type { RunnableTool, ToolResult } from './tools';

/** What a model call carries unless configured: about 100k tokens, within what current coding models accept. */
const DEFAULT_CONTEXT_CHARS = 100_000 * CHARS_PER_TOKEN;

/** Streamed command output is gathered this long into one `tool_call_update`. */
const OUTPUT_FRAME_MS = 50;

export interface SessionOptions {
  id: string;
  cwd: string;
  systemPrompt: string;
  tools: RunnableTool[];
  mcp: McpTools;
  maxSteps: number;
  /** What a model call may carry, in characters (see fitContext); the saved conversation is always whole. */
  contextChars?: number;
  /** The conversation so far, when the session continues a saved one (`session/load`). */
  restored?: ConversationEntry[];
  /** Called after every turn (whatever its end) with the whole conversation, to save it. Must not throw. */
  onTurnEnd?: (conversation: ConversationEntry[]) => void;
}

/**
 * One ACP session of the built-in agent: the conversation so far and the tools. A prompt turn loops: ask the model
 * (streaming its text and reasoning out as ACP chunks), run the tool calls it makes (reporting each as a `tool_call`
 * with streamed output and diffs), feed the results back, until the model answers without tool calls, the turn is
 * cancelled, or the step limit is reached.
 */
export class AgentSession {
  private readonly messages: ChatMessage[] = [];
  /** Tool results of calls that failed (their status when the conversation is replayed). */
  private readonly failed = new WeakSet<ChatMessage>();
  private readonly byName: Map<string, RunnableTool>;
  private readonly seenToolCallIds = new Set<string>();
  private abort: AbortController | null = null;
  private running: Promise<StopReason> | null = null;

  constructor(readonly options: SessionOptions) {
    this.byName = new Map(options.tools.map((t) => [t.name, t]));
    for (const e of options.restored ?? []) {
      this.messages.push(e.message);
      if (e.failed) this.failed.add(e.message);
    }
  }

  /** The conversation as it is saved: the messages the model gets after the system prompt. */
  conversation(): ConversationEntry[] {
    return this.messages.map((message) => (this.failed.has(message) ? { message, failed: true } : { message }));
  }

  /**
   * The conversation as ACP `session/update`s, for `session/load` to replay to the client: user and agent messages,
   * and each tool call with its final status and result. Tool call ids are made unique the way a live turn makes them.
   */
  replay(): SessionUpdate[] {
    const updates: SessionUpdate[] = [];
    const ids = new Map<string, string[]>();
    for (const m of this.messages) {
      if (m.role === 'user') updates.push({ sessionUpdate: 'user_message_chunk', content: { type: 'text', text: m.content } });
      else if (m.role === 'assistant') {
        if (m.content) updates.push({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: m.content } });
        for (const call of m.tool_calls ?? []) {
          const toolCallId = this.uniqueToolCallId(call.id);
          ids.set(call.id, [...(ids.get(call.id) ?? []), toolCallId]);
          const tool = this.byName.get(call.function.name);
          let args: unknown = call.function.arguments;
          try {
            args = call.function.arguments.trim() ? JSON.parse(call.function.arguments) : {};
          } catch {
            // shown as the raw text
          }
          updates.push({ sessionUpdate: 'tool_call', toolCallId, name: call.function.name, title: tool ? tool.title(args) : call.function.name, kind: tool?.kind ?? 'other', status: 'in_progress', rawInput: args });
        }
      } else if (m.role === 'tool') {
        const toolCallId = ids.get(m.tool_call_id)?.shift() ?? this.uniqueToolCallId(m.tool_call_id);
        updates.push({ sessionUpdate: 'tool_call_update', toolCallId, status: this.failed.has(m) ? 'failed' : 'completed', content: [{ type: 'content', content: { type: 'text', text: m.content } }] });
      }
    }
    return updates;
  }

  cancel(): void {
    this.abort?.abort();
  }

  /** Cancels the running turn, waits for it to end (it saves the conversation), and disconnects the MCP servers. */
  async close(): Promise<void> {
    this.cancel();
    await this.running?.catch(() => {});
    await this.options.mcp.close();
  }

  async prompt(text: string, llm: LlmClient, notify: (update: SessionUpdate) => Promise<void>): Promise<StopReason> {
    const turn = this.turn(text, llm, notify);
    this.running = turn;
    try {
      return await turn;
    } finally {
      if (this.running === turn) this.running = null;
    }
  }

  private async turn(text: string, llm: LlmClient, notify: (update: SessionUpdate) => Promise<void>): Promise<StopReason> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    // Updates go out in order; the turn's response waits until all of them are written.
    let chain = Promise.resolve();
    const send = (u: SessionUpdate) => {
      chain = chain.then(() => notify(u)).catch(() => {});
    };
    try {
      this.messages.push({ role: 'user', content: text });
      const definitions = this.options.tools.map((t) => t.definition);
      for (let step = 0; step < this.options.maxSteps; step++) {
        let partial = '';
        let completion;
        try {
          completion = await llm.complete(
            [{ role: 'system', content: this.options.systemPrompt }, ...fitContext(this.messages, (this.options.contextChars ?? DEFAULT_CONTEXT_CHARS) - this.options.systemPrompt.length)],
            definitions,
            {
              onText: (t) => {
                partial += t;
                send({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: t } });
              },
              onThought: (t) => send({ sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: t } }),
            },
            abort.signal,
          );
        } catch (err) {
          if (abort.signal.aborted) {
            if (partial) this.messages.push({ role: 'assistant', content: partial });
            return 'cancelled';
          }
          throw err;
        }
        const calls = completion.toolCalls;
        this.messages.push({ role: 'assistant', content: completion.content || null, ...(calls.length ? { tool_calls: calls } : {}) });
        if (calls.length === 0) return completion.finishReason === 'length' ? 'max_tokens' : 'end_turn';
        for (let i = 0; i < calls.length; i++) {
          if (abort.signal.aborted) {
            for (const rest of calls.slice(i)) {
              const message: ChatMessage = { role: 'tool', tool_call_id: rest.id, content: 'Cancelled before it ran.' };
              this.failed.add(message);
              this.messages.push(message);
            }
            return 'cancelled';
          }
          const result = await this.runTool(calls[i], send, abort.signal);
          const message: ChatMessage = { role: 'tool', tool_call_id: calls[i].id, content: result.output };
          if (!result.ok) this.failed.add(message);
          this.messages.push(message);
        }
        if (abort.signal.aborted) return 'cancelled';
      }
      send({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: `\n\n(Stopped after ${this.options.maxSteps} steps.)` } });
      return 'max_turn_requests';
    } finally {
      await chain;
      if (this.abort === abort) this.abort = null;
      this.options.onTurnEnd?.(this.conversation());
    }
  }

  private uniqueToolCallId(id: string): string {
    let toolCallId = id;
    for (let n = 2; this.seenToolCallIds.has(toolCallId); n++) toolCallId = `${id}-${n}`;
    this.seenToolCallIds.add(toolCallId);
    return toolCallId;
  }

  private async runTool(call: ToolCallRequest, send: (u: SessionUpdate) => void, signal: AbortSignal): Promise<ToolResult> {
    const toolCallId = this.uniqueToolCallId(call.id);

    const tool = this.byName.get(call.function.name);
    let args: unknown;
    let argError: string | null = null;
    try {
      args = call.function.arguments.trim() ? JSON.parse(call.function.arguments) : {};
    } catch (err) {
      argError = `The arguments are not valid JSON (${(err as Error).message}). Call the tool again with a JSON object.`;
    }
    send({
      sessionUpdate: 'tool_call',
      toolCallId,
      name: call.function.name,
      title: tool && !argError ? tool.title(args) : call.function.name,
      kind: tool?.kind ?? 'other',
      status: 'in_progress',
      rawInput: args ?? call.function.arguments,
    });

    let result: ToolResult;
    if (!tool) result = { ok: false, output: `There is no tool named ${call.function.name}. Available: ${[...this.byName.keys()].join(', ')}` };
    else if (argError) result = { ok: false, output: argError };
    else {
      let pending = '';
      let timer: NodeJS.Timeout | undefined;
      const flush = () => {
        clearTimeout(timer);
        timer = undefined;
        if (!pending) return;
        send({ sessionUpdate: 'tool_call_update', toolCallId, status: 'in_progress', content: [{ type: 'content', content: { type: 'text', text: pending } }], _meta: { [OUTPUT_DELTA_META]: true } });
        pending = '';
      };
      result = await tool.run(args, {
        cwd: this.options.cwd,
        signal,
        onOutput: (d) => {
          pending += d;
          timer ??= setTimeout(flush, OUTPUT_FRAME_MS);
        },
      });
      flush();
    }
    const content: ToolCallContent[] = [{ type: 'content', content: { type: 'text', text: result.output } }];
    for (const d of result.diffs ?? []) content.push({ type: 'diff', path: d.path, oldText: d.oldText, newText: d.newText });
    send({ sessionUpdate: 'tool_call_update', toolCallId, status: result.ok ? 'completed' : 'failed', content });
    return result;
  }
}
