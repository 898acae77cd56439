import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake OpenAI-compatible model endpoint on 127.0.0.1 for tests: `POST /v1/chat/completions` plays scripted turns,
 * streaming (SSE `data:` chunks ending with `[DONE]`) or not, and records every request it gets.
 *
 *   const llm = await startFakeOpenAI({ script: [
 *     { toolCalls: [{ name: 'write_file', arguments: { path: 'a.txt', content: 'hi' } }] },
 *     { text: ['Wrote ', 'the file.'] },
 *   ] });
 *   // LLM_BASE_URL = llm.url (ends with /v1), LLM_API_KEY = llm.apiKey, LLM_MODEL = llm.model
 *   ...
 *   expect(llm.requests[1].messages.at(-1).role).toBe('tool');
 *   await llm.close();
 *
 * Each request takes the next turn of the script; with none left it answers 500 with a message saying so.
 */
export interface FakeToolCall {
  id?: string;
  name: string;
  /** An object is JSON-encoded. */
  arguments: string | Record<string, unknown>;
  /** Into how many pieces the arguments are split when streamed (default 3). */
  chunks?: number;
}

export interface FakeTurn {
  /** The assistant's text; an array gives the streamed pieces exactly. A string is streamed in pieces of a few characters. */
  text?: string | string[];
  /** Reasoning streamed before the text (as `reasoning_content`). */
  reasoning?: string | string[];
  toolCalls?: FakeToolCall[];
  /** Pause between streamed chunks; 0 (default) writes all chunks at once. */
  chunkDelayMs?: number;
  /** Keep the response open this long before finishing (ends early when the client goes away). */
  holdMs?: number;
  /** Answer with this HTTP status and an OpenAI-style error body instead. */
  status?: number;
  error?: string;
  finishReason?: string;
}

export type FakeScript = FakeTurn[] | ((request: RecordedRequest, index: number) => FakeTurn | undefined);

export interface RecordedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  messages: any[];
  stream: boolean;
  /** Set when the client went away before the response finished. */
  aborted: boolean;
}

export interface FakeOpenAI {
  /** Base URL, ending with `/v1` (what OpenAI clients call the base URL). */
  url: string;
  apiKey: string;
  model: string;
  requests: RecordedRequest[];
  /** Adds turns to an array script. */
  push(...turns: FakeTurn[]): void;
  /** Resolves once `n` requests have arrived. */
  waitForRequests(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeOpenAI(options: { script?: FakeScript; apiKey?: string; model?: string } = {}): Promise<FakeOpenAI> {
  const apiKey = options.apiKey ?? 'sk-fake-key';
  const model = options.model ?? 'fake-model';
  const script = options.script ?? [];
  const queue = Array.isArray(script) ? [...script] : null;
  const requests: RecordedRequest[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let nextId = 0;

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === '/v1/models') return json(res, 200, { object: 'list', data: [{ id: model, object: 'model' }] });
    if (req.method !== 'POST' || url !== '/v1/chat/completions') return json(res, 404, { error: { message: `fake-openai: no route ${req.method} ${url}` } });
    if (req.headers.authorization !== `Bearer ${apiKey}`) return json(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } });

    let body: any;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return json(res, 400, { error: { message: 'fake-openai: the body is not JSON' } });
    }
    const recorded: RecordedRequest = { path: url, headers: req.headers, body, messages: body.messages ?? [], stream: body.stream === true, aborted: false };
    const index = requests.push(recorded) - 1;
    for (const w of waiters.filter((w) => requests.length >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    res.on('close', () => {
      if (!res.writableFinished) recorded.aborted = true;
    });

    const turn = queue ? queue.shift() : (script as Exclude<FakeScript, FakeTurn[]>)(recorded, index);
    if (!turn) return json(res, 500, { error: { message: `fake-openai: the script has no turn left for request #${index + 1}` } });
    if (turn.status) return json(res, turn.status, { error: { message: turn.error ?? 'scripted error', type: 'server_error' } });

    const id = `chatcmpl-fake-${++nextId}`;
    const calls = (turn.toolCalls ?? []).map((c, i) => ({ id: c.id ?? `call_${nextId}_${i}`, name: c.name, args: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments), chunks: c.chunks ?? 3 }));
    const finishReason = turn.finishReason ?? (calls.length ? 'tool_calls' : 'stop');
    const text = pieces(turn.text);

    if (!recorded.stream) {
      return json(res, 200, {
        id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [
          {
            index: 0,
            finish_reason: finishReason,
            message: {
              role: 'assistant',
              content: text.join('') || null,
              ...(calls.length ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.args } })) } : {}),
            },
          },
        ],
      });
    }

    const deltas: Record<string, unknown>[] = [{ role: 'assistant', content: '' }];
    for (const r of pieces(turn.reasoning)) deltas.push({ reasoning_content: r });
    for (const t of text) deltas.push({ content: t });
    calls.forEach((c, i) => {
      deltas.push({ tool_calls: [{ index: i, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] });
      for (const piece of split(c.args, c.chunks)) deltas.push({ tool_calls: [{ index: i, function: { arguments: piece } }] });
    });
    const frame = (delta: Record<string, unknown>, finish: string | null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    if (!turn.chunkDelayMs) {
      res.write(deltas.map((d) => frame(d, null)).join(''));
    } else {
      for (const d of deltas) {
        if (recorded.aborted) return;
        res.write(frame(d, null));
        await delay(turn.chunkDelayMs);
      }
    }
    if (turn.holdMs) await waitOrClose(res, turn.holdMs);
    if (recorded.aborted) return;
    res.end(`${frame({}, finishReason)}data: [DONE]\n\n`);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    apiKey,
    model,
    requests,
    push(...turns) {
      if (!queue) throw new Error('fake-openai: push() needs an array script');
      queue.push(...turns);
    },
    waitForRequests(n) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function pieces(text: string | string[] | undefined): string[] {
  if (text === undefined) return [];
  if (Array.isArray(text)) return text;
  return text.match(/[\s\S]{1,4}/g) ?? [];
}

function split(s: string, n: number): string[] {
  if (n <= 1 || s.length < n) return [s];
  const size = Math.ceil(s.length / n);
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function waitOrClose(res: http.ServerResponse, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    res.once('close', done);
    function done() {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    }
  });
}
