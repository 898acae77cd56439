import { sleep } from '../daemon/backoff';
import { sseData } from './sse';

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCallRequest[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ToolCallRequest {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ToolDefinition {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface Completion {
  content: string;
  toolCalls: ToolCallRequest[];
  finishReason: string | null;
}

export interface StreamHandlers {
  onText?: (text: string) => void;
  onThought?: (text: string) => void;
}

export class LlmError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'LlmError';
  }
}

export interface LlmConfig {
  baseUrl: string;
  apiKey: string;
  model: string;
}

/**
 * A small client for OpenAI-compatible chat completions (the LLM proxy, OpenAI, vLLM, …) with streaming: text and
 * reasoning deltas are handed out as they arrive, tool calls are assembled from their streamed pieces by index.
 * Requests that fail before anything streamed (network, 429, 5xx) are retried a few times.
 */
export class LlmClient {
  constructor(private readonly config: LlmConfig) {}

  async complete(messages: ChatMessage[], tools: ToolDefinition[], handlers: StreamHandlers = {}, signal?: AbortSignal): Promise<Completion> {
    for (let attempt = 0; ; attempt++) {
      let streamed = false;
      try {
        return await this.once(messages, tools, { onText: (t) => ((streamed = true), handlers.onText?.(t)), onThought: (t) => ((streamed = true), handlers.onThought?.(t)) }, signal);
      } catch (err) {
        const retryable = err instanceof LlmError ? err.retryable : !signal?.aborted;
        if (streamed || !retryable || attempt >= 3 || signal?.aborted) throw err;
        await sleep(1000 * 2 ** attempt, signal);
      }
    }
  }

  private async once(messages: ChatMessage[], tools: ToolDefinition[], handlers: StreamHandlers, signal?: AbortSignal): Promise<Completion> {
    const url = `${this.config.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${this.config.apiKey}` },
        body: JSON.stringify({ model: this.config.model, messages, stream: true, ...(tools.length ? { tools, tool_choice: 'auto' } : {}) }),
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new LlmError(`Could not reach the model endpoint ${url}: ${(err as Error).message}`, null, true);
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let detail = text.slice(0, 1000);
      try {
        const j = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
        detail = (typeof j.error === 'string' ? j.error : j.error?.message) ?? j.message ?? detail;
      } catch {
        // not JSON
      }
      throw new LlmError(`The model endpoint answered HTTP ${res.status}: ${detail}`, res.status, res.status === 429 || res.status >= 500);
    }
    if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      return parseWhole(await res.json());
    }
    const calls: { id: string; name: string; arguments: string }[] = [];
    let content = '';
    let finishReason: string | null = null;
    for await (const data of sseData(res.body!, signal)) {
      if (data === '[DONE]') break;
      let chunk: StreamChunk;
      try {
        chunk = JSON.parse(data) as StreamChunk;
      } catch {
        continue;
      }
      if (chunk.error) throw new LlmError(`The model stream failed: ${chunk.error.message ?? JSON.stringify(chunk.error)}`, null, false);
      const choice = chunk.choices?.[0];
      if (!choice) continue;
      const delta = choice.delta ?? {};
      const thought = delta.reasoning_content ?? delta.reasoning;
      if (typeof thought === 'string' && thought) handlers.onThought?.(thought);
      if (typeof delta.content === 'string' && delta.content) {
        content += delta.content;
        handlers.onText?.(delta.content);
      }
      for (const tc of delta.tool_calls ?? []) {
        const i = tc.index ?? calls.length;
        calls[i] ??= { id: '', name: '', arguments: '' };
        if (tc.id) calls[i].id = tc.id;
        if (tc.function?.name) calls[i].name += tc.function.name;
        if (tc.function?.arguments) calls[i].arguments += tc.function.arguments;
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
    if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
    return {
      content,
      finishReason,
      toolCalls: calls.filter(Boolean).map((c, i) => ({ id: c.id || `call_${i}_${Date.now()}`, type: 'function', function: { name: c.name, arguments: c.arguments } })),
    };
  }
}

interface StreamChunk {
  error?: { message?: string };
  choices?: {
    finish_reason?: string | null;
    delta?: {
      content?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[];
    };
  }[];
}

function parseWhole(json: unknown): Completion {
  const j = json as { choices?: { finish_reason?: string; message?: { content?: string | null; tool_calls?: ToolCallRequest[] } }[] };
  const choice = j.choices?.[0];
  return { content: choice?.message?.content ?? '', toolCalls: choice?.message?.tool_calls ?? [], finishReason: choice?.finish_reason ?? null };
}
