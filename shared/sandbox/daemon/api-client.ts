import { SandboxBootstrap, ToolCallReply } from '../../contracts/sandbox-api';
import { retry } from './backoff';
import { errorMessage, type Logger } from './log';

/** An error worth retrying: the request may not have reached the server, or the server was momentarily unavailable. */
export class TransportError extends Error {}

/**
 * The daemon's calls to the server's sandbox API, authenticated with the sandbox token.
 * Bootstrap is retried until it succeeds; a tool call is retried on transport errors with the SAME tool-call id, so
 * the server can recognise a retry of a call it has already run (save_snapshot freezes the sandbox and drops the
 * connection while the server still completes the call).
 */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly log: Logger,
  ) {}

  async bootstrap(signal?: AbortSignal): Promise<SandboxBootstrap> {
    return retry(
      async () => {
        const res = await this.request('GET', '/api/sandbox/bootstrap', undefined, 30_000, signal);
        const body = await readBody(res);
        if (!res.ok) {
          const err = new Error(`bootstrap: HTTP ${res.status} ${body.slice(0, 300)}`);
          throw res.status >= 500 || res.status === 429 || res.status === 401 || res.status === 404 ? new TransportError(err.message) : err;
        }
        const parsed = SandboxBootstrap.safeParse(JSON.parse(body));
        if (!parsed.success) throw new Error(`bootstrap: unexpected reply: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        return parsed.data;
      },
      {
        attempts: Infinity,
        baseMs: 500,
        maxMs: 15_000,
        signal,
        retryable: (err) => err instanceof TransportError,
        onRetry: (err, attempt, delayMs) => this.log.warn('bootstrap failed, retrying', { attempt, delayMs, error: errorMessage(err) }),
      },
    );
  }

  /** Never throws: failures come back as `{ success: false, result }` for the agent to read. */
  async callTool(tool: string, toolCallId: string, args: unknown, options: { attempts?: number; baseMs?: number } = {}): Promise<ToolCallReply> {
    try {
      return await retry(
        async () => {
          const res = await this.request('POST', `/api/sandbox/tools/${encodeURIComponent(tool)}`, { toolCallId, args }, 120_000);
          const text = await readBody(res);
          if (res.status === 502 || res.status === 503 || res.status === 504) throw new TransportError(`HTTP ${res.status}`);
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            return { success: false, result: `The server answered HTTP ${res.status}: ${text.slice(0, 2000)}` };
          }
          const reply = ToolCallReply.safeParse(json);
          if (reply.success) return reply.data;
          const message = typeof json === 'object' && json && 'message' in json ? String((json as { message: unknown }).message) : text.slice(0, 2000);
          return { success: false, result: `The server answered HTTP ${res.status}: ${message}` };
        },
        {
          attempts: options.attempts ?? 6,
          baseMs: options.baseMs ?? 500,
          maxMs: 8000,
          jitter: 0.2,
          retryable: (err) => err instanceof TransportError,
          onRetry: (err, attempt, delayMs) => this.log.warn('tool call failed, retrying with the same id', { tool, toolCallId, attempt, delayMs, error: errorMessage(err) }),
        },
      );
    } catch (err) {
      return { success: false, result: `Could not reach the Proliferate server for ${tool}: ${errorMessage(err)}` };
    }
  }

  private async request(method: string, route: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      return await fetch(`${this.baseUrl}${route}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      // fetch rejects only when no response arrived: connection refused/reset, DNS, timeout.
      throw new TransportError(errorMessage(err));
    }
  }
}

async function readBody(res: Response): Promise<string> {
  try {
    return await res.text();
  } catch (err) {
    throw new TransportError(errorMessage(err));
  }
}
