import { spawn, type ChildProcess } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import * as acp from '@agentclientprotocol/sdk';
import { MODE_META, SYSTEM_PROMPT_META } from '../agent/acp-meta';
import { errorMessage, type Logger } from './log';
import { childEnv, stopGroup } from './process-tree';

export interface AgentHostOptions {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  mcpServers: acp.McpServer[];
  systemPrompt: string;
  mode: string;
  log: Logger;
  version: string;
  /**
   * Where the agent's ACP session id is remembered across agent and daemon restarts. With it, and an agent that
   * advertises `loadSession`, a start continues the remembered session with `session/load`.
   */
  sessionStore?: { load(): string | null; save(acpSessionId: string): void };
  /** `session/load` failed (why): a new session was opened instead, without the earlier conversation. */
  onRestoreFailed?: (reason: string) => void;
}

/**
 * The daemon's side of ACP: spawns the agent (any ACP agent, or the built-in one), initializes it, opens one session
 * in the workspace with the platform tools' MCP server, and runs prompt turns. Permission requests are granted (the
 * sandbox is the boundary). When the agent process dies, the next `ensureStarted` starts a new one and says so.
 *
 * An agent that advertises `loadSession` continues the remembered session (`session/load`) instead of opening a new
 * one, after a daemon restart (a resumed sandbox) as after an agent restart. The conversation it replays while
 * loading is dropped here: the server has those events in its log already. If loading fails, a new session is opened
 * and `onRestoreFailed` says why.
 */
export class AgentHost {
  private child: ChildProcess | null = null;
  private conn: acp.ClientConnection | null = null;
  private sessionId: string | null = null;
  private onUpdate: ((u: acp.SessionUpdate) => void) | null = null;
  private firstTurn = true;
  private supportsSystemPrompt = false;
  private starting: Promise<void> | null = null;
  /** A session was open once: starting again is a restart. */
  private hadSession = false;
  /** Why the last agent process ended, until a new one starts. */
  private lastExit: string | null = null;
  private stopped = false;
  /** A `session/load` is in progress: its replayed updates are not turn output. */
  private replaying = false;
  private replayed = 0;

  constructor(private readonly options: AgentHostOptions) {}

  get running(): boolean {
    return this.child !== null && this.sessionId !== null;
  }

  /**
   * Starts the agent if it is not running. Returns why the previous one ended when this is a restart, and whether the
   * new agent continues the earlier conversation (`session/load`).
   */
  async ensureStarted(): Promise<{ restartedAfter: string | null; restored: boolean }> {
    if (this.running) return { restartedAfter: null, restored: false };
    if (this.starting) {
      await this.starting;
      return { restartedAfter: null, restored: false };
    }
    const restartedAfter = this.hadSession ? (this.lastExit ?? 'the agent process ended') : null;
    const starting = this.start();
    const settled = starting.then(() => undefined).finally(() => (this.starting = null));
    settled.catch(() => {}); // the caller below gets the error; concurrent callers get it from `this.starting`
    this.starting = settled;
    const { restored } = await starting;
    return { restartedAfter, restored };
  }

  /** Runs one turn; updates are handed to `onUpdate` in order. Resolves with the stop reason. */
  async prompt(content: string, onUpdate: (u: acp.SessionUpdate) => void): Promise<string> {
    const conn = this.conn;
    const sessionId = this.sessionId;
    if (!conn || !sessionId) throw new Error('The agent is not running');
    let text = content;
    if (this.firstTurn && !this.supportsSystemPrompt && this.options.systemPrompt) {
      text = `${this.options.systemPrompt}\n\n---\n\n${content}`;
    }
    this.firstTurn = false;
    this.onUpdate = onUpdate;
    try {
      const res = await conn.agent.request(acp.methods.agent.session.prompt, { sessionId, prompt: [{ type: 'text', text }] });
      return res.stopReason;
    } catch (err) {
      // A dying agent closes its stdout before it exits: wait a moment for the exit, which says more.
      await this.exitOf(this.child, 1000);
      throw new Error(describeAcpError(err, this.lastExit));
    } finally {
      this.onUpdate = null;
    }
  }

  /**
   * `session/load`: the agent replays the conversation as `session/update`s before it answers; those are counted and
   * dropped. Notification handlers run asynchronously, so the replay ends only once the ones already received ran.
   */
  private async load(conn: acp.ClientConnection, params: acp.LoadSessionRequest): Promise<string> {
    this.replaying = true;
    this.replayed = 0;
    try {
      await withTimeout(conn.agent.request(acp.methods.agent.session.load, params), 120_000, 'session/load');
      await new Promise((resolve) => setImmediate(resolve));
      return params.sessionId;
    } finally {
      this.replaying = false;
    }
  }

  private exitOf(child: ChildProcess | null, timeoutMs: number): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        setImmediate(resolve);
      });
    });
  }

  async cancel(): Promise<void> {
    if (!this.conn || !this.sessionId) return;
    await this.conn.agent.notify(acp.methods.agent.session.cancel, { sessionId: this.sessionId }).catch(() => {});
  }

  /** Kills the agent (it is restarted on the next prompt). */
  async kill(reason: string): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.lastExit = reason;
    this.conn?.close(new Error(reason));
    await stopGroup(child, 2000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.kill('the daemon is stopping');
  }

  private async start(): Promise<{ restored: boolean }> {
    if (this.stopped) throw new Error('The daemon is stopping');
    const { argv, cwd, log } = this.options;
    log.info('starting the agent', { command: argv[0] });
    const child = spawn(argv[0], argv.slice(1), { cwd, env: { ...childEnv(), ...this.options.env }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.firstTurn = true;
    this.sessionId = null;
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.stdin!.on('error', () => {}); // EPIPE when the agent dies; the exit handler reports it
    let stderrTail = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-2000);
      for (const line of chunk.split('\n')) if (line.trim()) log.debug('agent stderr', { line: line.slice(0, 2000) });
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      const tail = stderrTail.trim().split('\n').slice(-3).join(' | ');
      this.lastExit ??= `the agent process exited (${signal ?? `code ${code}`})${tail ? `: ${tail.slice(0, 500)}` : ''}`;
      log.warn('agent exited', { code, signal });
      this.child = null;
      this.sessionId = null;
      this.conn?.close(new Error(this.lastExit));
      this.conn = null;
    });
    await spawned.catch((err) => {
      this.child = null;
      throw new Error(`Could not start the agent (${argv[0]}): ${errorMessage(err)}`);
    });
    this.lastExit = null;

    const stream = acp.ndJsonStream(Writable.toWeb(child.stdin!) as WritableStream<Uint8Array>, Readable.toWeb(child.stdout!) as ReadableStream<Uint8Array>);
    const conn = acp
      .client({ name: 'proliferate-daemon' })
      .onNotification(acp.methods.client.session.update, ({ params }) => {
        if (this.replaying) this.replayed++;
        else if (params.sessionId === this.sessionId) this.onUpdate?.(params.update);
      })
      .onRequest(acp.methods.client.session.requestPermission, ({ params }) => {
        const option = params.options.find((o) => o.kind === 'allow_always') ?? params.options.find((o) => o.kind === 'allow_once') ?? params.options[0];
        return option ? { outcome: { outcome: 'selected', optionId: option.optionId } } : { outcome: { outcome: 'cancelled' } };
      })
      .connect(stream);
    this.conn = conn;

    try {
      const init = await withTimeout(
        conn.agent.request(acp.methods.agent.initialize, {
          protocolVersion: acp.PROTOCOL_VERSION,
          clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
          clientInfo: { name: 'proliferate-daemon', version: this.options.version },
        }),
        60_000,
        'initialize',
      );
      const caps = init.agentCapabilities;
      this.supportsSystemPrompt = caps?._meta?.[SYSTEM_PROMPT_META] === true;
      const mcpServers = this.options.mcpServers.filter((s) => !('type' in s) || (s.type === 'http' ? caps?.mcpCapabilities?.http : caps?.mcpCapabilities?.sse));
      if (mcpServers.length < this.options.mcpServers.length) log.warn('the agent does not take HTTP MCP servers; platform tools are unavailable to it');
      const meta = { [MODE_META]: this.options.mode, ...(this.supportsSystemPrompt ? { [SYSTEM_PROMPT_META]: this.options.systemPrompt } : {}) };
      const stored = caps?.loadSession === true ? (this.options.sessionStore?.load() ?? null) : null;
      let sessionId: string | null = null;
      let restored = false;
      if (stored) {
        try {
          sessionId = await this.load(conn, { sessionId: stored, cwd, mcpServers, _meta: meta });
          restored = true;
          log.info('agent session loaded', { agent: init.agentInfo?.name, sessionId: stored, replayedUpdates: this.replayed });
        } catch (err) {
          if (this.child !== child || conn.signal.aborted) throw err; // the agent died: it did not start at all
          const reason = describeAcpError(err, null);
          log.warn('the agent could not load its earlier session; opening a new one', { sessionId: stored, error: reason });
          this.options.onRestoreFailed?.(reason);
        }
      }
      if (!sessionId) {
        const session = await withTimeout(conn.agent.request(acp.methods.agent.session.new, { cwd, mcpServers, _meta: meta }), 120_000, 'session/new');
        sessionId = session.sessionId;
        log.info('agent session started', { agent: init.agentInfo?.name, protocolVersion: init.protocolVersion });
      }
      this.sessionId = sessionId;
      this.hadSession = true;
      // A continued conversation already has the system prompt.
      this.firstTurn = !restored;
      try {
        this.options.sessionStore?.save(sessionId);
      } catch (err) {
        log.warn('could not remember the agent session', { error: errorMessage(err) });
      }
      return { restored };
    } catch (err) {
      const reason = describeAcpError(err, this.lastExit);
      await this.kill(reason);
      throw new Error(`The agent did not start: ${reason}`);
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000}s`)), ms)))]).finally(() => clearTimeout(timer));
}

/** A JSON-RPC error's message with its details (the SDK puts a handler's own message in `data.details`). */
export function describeAcpError(err: unknown, lastExit: string | null): string {
  if (lastExit) return lastExit;
  if (err instanceof acp.RequestError) {
    const data = err.data as { details?: unknown; message?: unknown } | undefined;
    const details = typeof data?.details === 'string' ? data.details : typeof data?.message === 'string' ? data.message : '';
    return details && !err.message.includes(details) ? `${err.message}: ${details}` : err.message;
  }
  return errorMessage(err);
}
