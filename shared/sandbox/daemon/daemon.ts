import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { SandboxBootstrap } from '../../contracts/sandbox-api';
import type { DaemonCommand, DaemonMessage, GitAction, SessionEvent } from '../../contracts/session-events';
import { AGENT_STATE_DIR_ENV } from '../agent/acp-meta';
import { systemPromptFor } from '../agent/prompts';
import { AgentHost } from './agent-host';
import { ApiClient } from './api-client';
import { agentBundlePath, daemonVersion } from './bundle-info';
import type { DaemonConfig } from './config';
import { DaemonConnection } from './connection';
import { removeEnvJson, scrubEnvFiles, writeEnvFiles, writeEnvJson } from './env-files';
import { GitService } from './git';
import { fitEvent } from './event-size';
import { errorMessage, type Logger } from './log';
import { Outbox } from './outbox';
import { startPlatformTools, type PlatformToolsServer } from './platform-tools';
import { prepareRepos } from './repos';
import { ServiceManager } from './services';
import { shellWords } from './shell-words';
import { StateStore } from './state-store';
import { Terminals } from './terminals';
import { TurnTranslator } from './turn-translator';
import { resolveInside } from './workspace-path';

interface QueuedPrompt {
  promptId: string;
  content: string;
  messageId: string;
}

interface RunningTurn {
  prompt: QueuedPrompt;
  done: Promise<void>;
  cancelRequested: boolean;
  killTimer?: NodeJS.Timeout;
}

/** How long a cancelled turn may take to stop before the agent process is killed. */
const CANCEL_GRACE_MS = 10_000;

/** The env JSON file inside the daemon's home (the agent finds it through $PROLIFERATE_ENV_FILE). */
export const ENV_JSON_FILE = path.join('secrets', 'env.json');

interface EnvOutcome {
  /** Written env files, relative to the workspace. */
  written: string[];
  /** Required keys without a value (nothing was written). */
  missing: string[];
  error?: string;
}

/**
 * The program inside every sandbox. It connects out to the server, prepares the workspace from the bootstrap
 * (repos, env files, services), runs the agent over ACP with the platform tools as an MCP server, and relays:
 * agent events up (numbered, buffered until acknowledged), prompts and commands down.
 */
export class Daemon {
  readonly version: string;
  private readonly store: StateStore;
  private readonly outbox: Outbox;
  private readonly connection: DaemonConnection;
  private readonly api: ApiClient;
  private readonly git: GitService;
  private readonly terminals: Terminals;
  private services: ServiceManager | null = null;
  private tools: PlatformToolsServer | null = null;
  private agent: AgentHost | null = null;
  private bootstrap: SandboxBootstrap | null = null;
  private ready = false;
  /** Why the sandbox could not be prepared; prompts then fail with it instead of waiting forever. */
  private bootError: string | null = null;
  private blocked = false;
  private readonly queue: QueuedPrompt[] = [];
  private readonly held: QueuedPrompt[] = [];
  private current: RunningTurn | null = null;
  private heartbeat?: NodeJS.Timeout;
  private gitChain: Promise<void> = Promise.resolve();
  private envFiles: string[] = [];
  /** Values a person gave this session while it runs (they win over the bootstrap's); kept in memory only. */
  private readonly envOverrides: Record<string, string> = {};
  private readonly envJson: string;
  /** The workspace is prepared: env values can be written (before, they wait for it). */
  private envReady = false;
  /** A snapshot is being taken: secret files are removed until `resume_prompts` writes them again. */
  private envScrubbed = false;
  private stopping = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly config: DaemonConfig,
    private readonly log: Logger,
  ) {
    this.version = daemonVersion(config.versionOverride);
    this.envJson = path.join(config.home, ENV_JSON_FILE);
    this.store = new StateStore(config.home);
    this.outbox = new Outbox(this.store, () => this.connection.flushSoon());
    this.api = new ApiClient(config.apiUrl, config.sandboxToken, log.child({ part: 'api' }));
    this.connection = new DaemonConnection({
      url: config.wsUrl,
      token: config.sandboxToken,
      outbox: this.outbox,
      log: log.child({ part: 'ws' }),
      hello: () => ({ type: 'hello', sandboxId: config.sandboxId, daemonVersion: this.version, lastAckedDseq: this.outbox.lastAckedDseq }),
      onCommand: (cmd) => this.onCommand(cmd),
      onWelcome: () => this.sendHeartbeat(),
    });
    this.git = new GitService(config.workspace, () => this.defaultWorkspacePath());
    this.terminals = new Terminals({
      cwd: () => this.defaultRepoDir(),
      log: log.child({ part: 'terminal' }),
      onOutput: (terminalId, data) => this.connection.send({ type: 'terminal_output', terminalId, data }),
      onExit: (terminalId, exitCode) => this.connection.send({ type: 'terminal_exit', terminalId, exitCode }),
    });
  }

  async start(): Promise<void> {
    this.log.info('daemon starting', { version: this.version, sessionId: this.config.sessionId, lastDseq: this.outbox.lastDseq });
    this.connection.start();
    this.heartbeat = setInterval(() => this.sendHeartbeat(), this.config.heartbeatMs);
    try {
      await this.prepare();
    } catch (err) {
      if (this.stopping) return;
      this.bootError = `The sandbox could not be prepared: ${errorMessage(err)}`;
      this.log.error('sandbox preparation failed', { error: errorMessage(err) });
      this.emit({ type: 'error', message: this.bootError, code: 'bootstrap_failed' });
      this.pump();
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    clearInterval(this.heartbeat);
    if (this.current) clearTimeout(this.current.killTimer);
    this.terminals.closeAll();
    await Promise.allSettled([this.agent?.stop(), this.services?.stopAll()]);
    // Whatever stops this process (a pause, a terminate) leaves no secret file behind; the next start writes them again.
    this.scrubEnv();
    await this.tools?.close().catch(() => {});
    await this.connection.drain(3000);
    await this.connection.close();
    this.log.info('daemon stopped');
  }

  private async prepare(): Promise<void> {
    const b = await this.api.bootstrap(this.abort.signal);
    if (this.stopping) return;
    this.bootstrap = b;
    const { workspace, home } = this.config;

    const repos = await prepareRepos({ workspace, repos: b.repos, cadenceSeconds: b.gitPullCadenceSeconds, store: this.store, log: this.log.child({ part: 'repos' }) });
    for (const r of repos.filter((o) => o.action === 'failed')) {
      this.emit({ type: 'error', message: `Could not check out ${r.repo.workspacePath}: ${r.error}`, code: 'repo_checkout_failed' });
    }
    this.store.saveMetadata({ sessionId: b.sessionId, createdAt: this.store.loadMetadata().createdAt ?? new Date().toISOString() });

    this.envReady = true;
    const env = this.writeEnv();
    if (env.missing.length) {
      this.emit({ type: 'error', message: `Env files were not written: no value for ${env.missing.join(', ')}. Add them as secrets, or give them to the session when the agent asks.`, code: 'env_missing' });
    } else if (env.error) {
      this.emit({ type: 'error', message: `Env files were not written: ${env.error}`, code: 'env_failed' });
    }

    this.services = new ServiceManager({ workspace, home, log: this.log.child({ part: 'services' }), defaultWorkspacePath: this.defaultWorkspacePath() });
    for (const cmd of b.serviceCommands) await this.startService(cmd);

    this.tools = await startPlatformTools({ workspace, api: this.api, log: this.log.child({ part: 'mcp' }), envFile: this.envJson });
    const builtIn = b.agentCommand === null || b.agentCommand.trim() === '';
    // Which agent a remembered ACP session belongs to (a command is kept as its hash: it may carry settings).
    const agentKey = builtIn ? 'built-in' : `command:${createHash('sha256').update(b.agentCommand!.trim()).digest('hex').slice(0, 16)}`;
    const llmEnv: Record<string, string> =
      'missing' in b.llm
        ? { LLM_MISSING: b.llm.missing }
        : { LLM_BASE_URL: b.llm.baseUrl, LLM_API_KEY: b.llm.apiKey, LLM_MODEL: b.llm.model, ...(b.llm.contextTokens ? { AGENT_CONTEXT_TOKENS: String(b.llm.contextTokens) } : {}) };
    this.agent = new AgentHost({
      argv: builtIn ? [process.execPath, agentBundlePath(home, this.config.agentBundle)] : shellWords(b.agentCommand!),
      cwd: workspace,
      // The agent's own state (the built-in agent's saved conversations) lives in the home, which pause keeps.
      env: {
        ...llmEnv,
        PROLIFERATE_WORKSPACE: workspace,
        PROLIFERATE_SESSION_ID: this.config.sessionId,
        PROLIFERATE_ENV_FILE: this.envJson,
        [AGENT_STATE_DIR_ENV]: path.join(home, 'agent'),
      },
      mcpServers: [this.tools.mcpServer],
      systemPrompt: b.systemPrompt.trim() || systemPromptFor(b.mode),
      mode: b.mode,
      log: this.log.child({ part: 'agent' }),
      version: this.version,
      sessionStore: {
        load: () => this.store.loadAgentSession(this.config.sessionId, agentKey),
        save: (acpSessionId) => this.store.saveAgentSession(this.config.sessionId, agentKey, acpSessionId),
      },
      onRestoreFailed: (reason) =>
        this.emit({ type: 'error', message: `The earlier conversation could not be restored (${reason}). The agent starts a new conversation without it.`, code: 'conversation_not_restored' }),
    });
    this.ready = true;
    this.log.info('sandbox ready', { repos: repos.map((r) => `${r.repo.workspacePath}:${r.action}`), services: b.serviceCommands.length, builtInAgent: builtIn });
    if (!this.llmMissing()) {
      // Start the agent now so the first prompt does not wait for it; a failure is reported again on that prompt.
      this.agent.ensureStarted().catch((err) => this.log.warn('the agent did not start', { error: errorMessage(err) }));
    }
    this.pump();
  }

  private onCommand(cmd: DaemonCommand): void {
    switch (cmd.type) {
      case 'prompt':
        return this.onPrompt({ promptId: cmd.promptId, content: cmd.content, messageId: cmd.messageId });
      case 'cancel':
        return this.cancelTurn();
      case 'git':
        this.gitChain = this.gitChain.then(() => this.runGit(cmd.requestId, cmd.git, cmd.viewerConnectionId));
        return;
      case 'terminal_open':
        return this.terminals.open(cmd.terminalId, cmd.cols, cmd.rows);
      case 'terminal_input':
        return this.terminals.input(cmd.terminalId, cmd.data);
      case 'terminal_resize':
        return this.terminals.resize(cmd.terminalId, cmd.cols, cmd.rows);
      case 'terminal_close':
        return this.terminals.close(cmd.terminalId);
      case 'prepare_snapshot':
        void this.prepareSnapshot(cmd.requestId, cmd.waitMs);
        return;
      case 'resume_prompts':
        return this.resumePrompts();
      case 'env':
        return this.onEnv(cmd.requestId, cmd.values);
      case 'services':
        void (async () => {
          for (const c of cmd.commands) await this.startService(c);
        })();
        return;
      default:
        return;
    }
  }

  // --- prompts ---------------------------------------------------------------------------------------------------

  private onPrompt(p: QueuedPrompt): void {
    const known = this.outbox.isAccepted(p.promptId) || this.held.some((h) => h.promptId === p.promptId);
    if (known) {
      // A resend of a prompt this daemon already took: confirm again, run it once.
      if (this.outbox.isAccepted(p.promptId)) this.connection.send({ type: 'prompt_accepted', promptId: p.promptId });
      return;
    }
    if (this.blocked) {
      this.held.push(p);
      return;
    }
    this.admit(p);
  }

  private admit(p: QueuedPrompt): void {
    this.outbox.markAccepted(p.promptId);
    this.connection.send({ type: 'prompt_accepted', promptId: p.promptId });
    this.queue.push(p);
    this.pump();
  }

  private pump(): void {
    if (this.current || (!this.ready && !this.bootError) || this.blocked || this.stopping) return;
    const next = this.queue.shift();
    if (!next) return;
    const turn: RunningTurn = { prompt: next, cancelRequested: false, done: Promise.resolve() };
    this.current = turn;
    this.sendHeartbeat();
    turn.done = this.runTurn(turn).finally(() => {
      clearTimeout(turn.killTimer);
      this.current = null;
      this.sendHeartbeat();
      this.pump();
    });
  }

  private async runTurn(turn: RunningTurn): Promise<void> {
    const translator = new TurnTranslator(`${turn.prompt.messageId}-reply`, (e) => this.emit(e), this.config.workspace);
    translator.start();
    if (this.bootError) {
      translator.fail(this.bootError, 'bootstrap_failed');
      return;
    }
    const missing = this.llmMissing();
    if (missing) {
      translator.fail(`No model endpoint is configured for this sandbox's built-in agent. Set ${missing} on the Proliferate server (or configure an agent command).`, 'llm_not_configured');
      return;
    }
    const agent = this.agent!;
    try {
      const { restartedAfter, restored } = await agent.ensureStarted();
      if (restartedAfter) {
        const memory = restored ? 'it continues the conversation as of the last finished turn' : 'it does not remember the earlier conversation';
        this.emit({ type: 'error', message: `The agent had stopped (${restartedAfter}). A new agent process was started; ${memory}.`, code: 'agent_restarted' });
      }
    } catch (err) {
      translator.fail(errorMessage(err), 'agent_start_failed');
      return;
    }
    try {
      const stopReason = await agent.prompt(turn.prompt.content, (u) => translator.update(u));
      translator.finish(turn.cancelRequested && stopReason !== 'end_turn' ? 'cancelled' : stopReason);
    } catch (err) {
      if (turn.cancelRequested) translator.finish('cancelled');
      else translator.fail(errorMessage(err));
    }
  }

  private cancelTurn(): void {
    const turn = this.current;
    if (!turn || turn.cancelRequested) return;
    turn.cancelRequested = true;
    void this.agent?.cancel();
    turn.killTimer = setTimeout(() => void this.agent?.kill('the agent did not stop after a cancel'), CANCEL_GRACE_MS);
  }

  // --- snapshots -------------------------------------------------------------------------------------------------

  private async prepareSnapshot(requestId: string, waitMs: number): Promise<void> {
    this.blocked = true;
    const turn = this.current;
    // The agent itself asked for the snapshot and is waiting for it: the turn cannot finish first, and is quiet.
    const agentAsked = this.tools?.inFlight('save_snapshot') ?? false;
    if (turn && !agentAsked) {
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([turn.done.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), waitMs)))]);
      clearTimeout(timer);
      if (!finished) {
        this.log.info('cancelling the running turn for a snapshot', { waitMs });
        this.cancelTurn();
        await turn.done;
      }
    }
    if (!this.blocked) return; // resumed meanwhile
    // Secrets stay out of the snapshot (env files and the env JSON file); resume_prompts writes them again.
    this.scrubEnv();
    this.envScrubbed = true;
    this.connection.send({ type: 'snapshot_ready', requestId });
  }

  private resumePrompts(): void {
    this.blocked = false;
    if (this.envScrubbed) {
      this.envScrubbed = false;
      const env = this.writeEnv();
      if (env.error) this.emit({ type: 'error', message: `Env files were not written again after the snapshot: ${env.error}`, code: 'env_failed' });
    }
    const held = this.held.splice(0);
    for (const p of held) this.admit(p);
    this.pump();
  }

  // --- git, services, env ----------------------------------------------------------------------------------------

  private async runGit(requestId: string, action: GitAction, viewerConnectionId?: string): Promise<void> {
    try {
      if (action.action !== 'status') {
        const outcome = await this.git.run(action);
        this.emit({ type: 'git_result', requestId, action: action.action, ...outcome, message: outcome.message.slice(0, 10_000) });
        if (outcome.code === 'NOT_A_REPO') return;
      }
      const state = await this.git.status(action.workspacePath);
      this.connection.send({ type: 'git_status', requestId, ...(viewerConnectionId ? { viewerConnectionId } : {}), state });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      this.emit({ type: 'git_result', requestId, action: action.action, success: false, code: typeof code === 'string' ? code : 'UNKNOWN_ERROR', message: errorMessage(err).slice(0, 10_000) });
    }
  }

  private async startService(cmd: { name: string; command: string; cwd?: string; workspacePath?: string }): Promise<void> {
    if (!this.services) return;
    try {
      await this.services.start(cmd);
    } catch (err) {
      this.emit({ type: 'error', message: `Service ${cmd.name} did not start: ${errorMessage(err)}`, code: 'service_failed' });
    }
  }

  /**
   * Values given while the session runs: kept in memory, written into the env files (with the bootstrap's values) and
   * the env JSON file, and confirmed by name. During a snapshot they are only kept, and written once it is done.
   */
  private onEnv(requestId: string, values: Record<string, string>): void {
    Object.assign(this.envOverrides, values);
    this.log.info('env values received', { keys: Object.keys(values) });
    if (this.envScrubbed || !this.envReady) {
      this.connection.send({ type: 'env_applied', requestId, written: [], missing: [], deferred: true });
      return;
    }
    const env = this.writeEnv();
    this.connection.send({ type: 'env_applied', requestId, written: env.written.slice(0, 100), missing: env.missing.slice(0, 500), deferred: false, ...(env.error ? { error: env.error.slice(0, 2000) } : {}) });
  }

  /** Writes the env files from the bootstrap's values and those given since, and the env JSON file of the latter. */
  private writeEnv(): EnvOutcome {
    const b = this.bootstrap;
    const outcome: EnvOutcome = { written: [], missing: [] };
    try {
      if (Object.keys(this.envOverrides).length) writeEnvJson(this.envJson, this.envOverrides);
      if (b?.envFiles.length) {
        const result = writeEnvFiles(this.config.workspace, b.envFiles, { ...b.envValues, ...this.envOverrides });
        if (result.written.length) this.envFiles = [...new Set([...this.envFiles, ...result.written])];
        outcome.written = result.written.map((f) => path.relative(this.config.workspace, f));
        outcome.missing = [...new Set(result.missing.map((m) => m.key))];
      }
    } catch (err) {
      outcome.error = errorMessage(err);
    }
    return outcome;
  }

  private scrubEnv(): void {
    try {
      scrubEnvFiles(this.envFiles);
      removeEnvJson(this.envJson);
    } catch (err) {
      this.log.warn('env files could not be removed', { error: errorMessage(err) });
    }
  }

  // --- helpers ---------------------------------------------------------------------------------------------------

  private emit(event: SessionEvent): void {
    this.outbox.append(fitEvent(event));
  }

  private sendHeartbeat(): void {
    const msg: DaemonMessage = { type: 'heartbeat', agentBusy: this.current !== null || this.queue.length > 0, runningServices: (this.services?.running() ?? []).slice(0, 100) };
    this.connection.send(msg);
  }

  private llmMissing(): string | null {
    const b = this.bootstrap;
    if (!b || (b.agentCommand && b.agentCommand.trim())) return null;
    return 'missing' in b.llm ? b.llm.missing : null;
  }

  private defaultWorkspacePath(): string {
    return this.bootstrap?.repos[0]?.workspacePath ?? '.';
  }

  private defaultRepoDir(): string {
    try {
      const dir = resolveInside(this.config.workspace, this.defaultWorkspacePath());
      return existsSync(dir) ? dir : this.config.workspace;
    } catch {
      return this.config.workspace;
    }
  }
}
