import path from 'node:path';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Config } from '../../shared/config';
import { openMigratedDb, type DbHandle } from '../../shared/db/client';
import { enqueue } from '../../shared/domain/outbox/outbox';
import { createAuth } from '../../shared/auth/auth';
import { DevMailer } from '../../shared/adapters/local/dev-mailer';
import { FsObjects } from '../../shared/adapters/local/objects';
import { LocalKeys } from '../../shared/adapters/local/keys';
import { systemClock, type Clock } from '../../shared/ports';
import { setContainer, type Container } from '../../shared/runtime/container';
import { createLogger, type Logger } from '../../shared/runtime/logger';
import type { HttpHandler } from '../../shared/http/types';
import { functionSpecs, queues, scheduledQueues, stateMachines, type FunctionName, type FunctionSpec, type QueueName } from '../manifest';
import { lambdaContext } from './http-event';
import { LocalServer, type WsHandler } from './server';
import { LocalQueue, QueueWorker } from './queue';
import { LocalScheduler } from './scheduler';
import { LocalWorkflows } from './asl-runner';
import { dataDirSecret } from './secret';
import { resolvePreview } from '../../shared/domain/sessions/previews';
import { pauseSession } from '../../shared/domain/sessions/runtime';
import { sandboxRuntimeDeps } from '../../shared/runtime/sandbox-deps';
import { sandboxSession } from '../../shared/db/schema';
import { and, eq, inArray } from 'drizzle-orm';
import type { SandboxProviderKind } from '../../shared/sandbox/provider';
import { localSandboxes } from './sandboxes';
import { loadStateMachines } from './state-machines';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface RuntimeOptions {
  config: Config;
  logger?: Logger;
  clock?: Clock;
  /** The built dashboard; defaults to dist/frontend/browser. */
  staticDir?: string;
  /** Use an already open database (tests); otherwise one is opened from the configuration. */
  db?: DbHandle;
  /** Shorter Retry intervals and Wait states (tests). */
  workflowOverrides?: { retryIntervalMs?: number; waitMs?: number };
}

type AnyHandler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

async function loadHandler(spec: FunctionSpec): Promise<AnyHandler> {
  const mod = (await import(path.join(REPO_ROOT, spec.entry))) as { handler?: AnyHandler };
  if (typeof mod.handler !== 'function') throw new Error(`${spec.entry} does not export a handler`);
  return mod.handler;
}

/**
 * Proliferate on one machine: the manifest's functions behind one HTTP/WebSocket port, queues, schedules and workflows
 * on the same database, and the outbox dispatched as soon as it is written.
 */
export class LocalRuntime {
  private constructor(
    readonly container: Container,
    readonly url: string,
    readonly port: number,
    private readonly parts: {
      server: LocalServer;
      workers: QueueWorker[];
      scheduler: LocalScheduler;
      workflows: LocalWorkflows;
      ownsDb: boolean;
      stopDispatch: () => Promise<void>;
    },
  ) {}

  static async start(options: RuntimeOptions): Promise<LocalRuntime> {
    let { config } = options;
    const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL });
    const clock = options.clock ?? systemClock;
    const dataDir = path.resolve(config.PROLIFERATE_DATA_DIR);

    const dbHandle =
      options.db ?? (await openMigratedDb(config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: path.join(dataDir, 'pgdata') }));
    const db = dbHandle.db;

    const handlers = new Map<FunctionName, AnyHandler>();
    const specs = functionSpecs();
    for (const [name, spec] of specs) handlers.set(name, await loadHandler(spec));
    const invoke = async (name: string, event: unknown) => {
      const handler = handlers.get(name as FunctionName);
      if (!handler) throw new Error(`no function named ${name}`);
      const spec = specs.find(([n]) => n === name)![1];
      return handler(event, lambdaContext(name, spec.timeoutSeconds ?? 30));
    };

    const ws = specs.find(([, s]) => s.ws?.length);
    const server = new LocalServer({
      host: config.HOST,
      port: config.PORT,
      functions: specs
        .filter(([, s]) => s.http?.length)
        .map(([name, s]) => ({ name, routes: s.http!, handler: handlers.get(name) as unknown as HttpHandler, timeoutSeconds: s.timeoutSeconds ?? 30 })),
      websocket: ws ? { name: ws[0], handler: handlers.get(ws[0]) as unknown as WsHandler } : undefined,
      staticDir: options.staticDir ?? path.join(REPO_ROOT, 'dist', 'frontend', 'browser'),
      logger: logger.child({ component: 'http' }),
      preview: async (token) => {
        const target = await resolvePreview(db, clock, token);
        if (!target) return null;
        return container.sandboxes.provider(target.provider as SandboxProviderKind).tunnelUrl(target.providerSandboxId!, target.port);
      },
    });
    // Listen first: with PORT=0 the address (and so the links in emails) is only known now.
    const { port, url } = await server.listen();
    if (!config.PUBLIC_URL && config.PORT === 0) config = { ...config, PORT: port, publicUrl: url };

    const queue = new LocalQueue({ db, clock, logger: logger.child({ component: 'queue' }) });
    const workflows = new LocalWorkflows({
      db,
      clock,
      logger: logger.child({ component: 'workflows' }),
      definitions: loadStateMachines(stateMachines, REPO_ROOT),
      invokeFunction: invoke,
      overrides: options.workflowOverrides,
    });

    // Also the scheduler port: one-off schedules deliver to the manifest's scheduled queues, and outlive a restart.
    const scheduler = new LocalScheduler({
      db,
      clock,
      logger: logger.child({ component: 'scheduler' }),
      invoke: async (target, event) => {
        await invoke(target, event);
      },
      send: (name, body) => queue.send(name, body),
      scheduledQueues: scheduledQueues(),
    });

    let dispatchKick: () => void = () => {};
    const objects = new FsObjects(path.join(dataDir, 'objects'));
    const container: Container = {
      config,
      db,
      dbHandle,
      logger,
      clock,
      queue,
      workflows,
      sockets: server.sockets,
      objects,
      keys: new LocalKeys(dataDir, { logger }),
      scheduler,
      mailer: new DevMailer(db, config.MAIL_FROM, logger.child({ component: 'mail' })),
      auth: undefined as never,
      sandboxSecret: dataDirSecret(dataDir, 'sandbox-secret'),
      sandboxes: localSandboxes(config, dataDir, logger, objects),
      outboxWritten: () => dispatchKick(),
    };
    container.auth = createAuth({
      db,
      config,
      logger,
      clock,
      secret: dataDirSecret(dataDir, 'auth-secret'),
      enqueueMail: async (mail) => {
        await enqueue(db, 'mail.send', mail);
        dispatchKick();
      },
    });
    setContainer(container);

    const workers = specs
      .filter(([, s]) => s.queue)
      .map(
        ([name, s]) =>
          new QueueWorker({
            db,
            clock,
            queue: s.queue!,
            spec: queues[s.queue as QueueName],
            logger: logger.child({ component: 'queue', queue: s.queue }),
            consumer: (event: SQSEvent) => invoke(name, event) as Promise<SQSBatchResponse | void>,
          }),
      );
    queue.onSend = (name) => workers.find((w) => w.queue === name)?.kick();

    await scheduler.upsertAll(
      specs.flatMap(([name, s]) => (s.schedules ?? []).map((sch) => ({ name: sch.name, expression: sch.expression, timezone: sch.timezone, target: name }))),
    );

    // The outbox is dispatched right after writes (kick) and every second as a backstop, one run at a time.
    let running: Promise<unknown> | null = null;
    let again = false;
    const dispatch = () => {
      if (running) {
        again = true;
        return;
      }
      running = invoke('outboxDispatcher', { source: 'local.kick' })
        .catch((err) => logger.error({ err }, 'outbox dispatch failed'))
        .finally(() => {
          running = null;
          if (again) {
            again = false;
            dispatch();
          }
        });
    };
    dispatchKick = dispatch;
    const poll = setInterval(dispatch, 1000);
    poll.unref();

    container.runtimeChecks = async () => ({
      queues: { ok: workers.every((w) => w.running), detail: workers.map((w) => w.queue).join(', ') },
      scheduler: { ok: scheduler.running },
      workflows: { ok: true, detail: `${Object.keys(stateMachines).length} state machines` },
      websocket: { ok: true, detail: `${server.sockets.sockets.size} connections` },
    });

    for (const w of workers) w.start();
    await scheduler.start();
    await workflows.resumeAll();
    server.ready = true;
    dispatch();

    return new LocalRuntime(container, config.publicUrl, port, {
      server,
      workers,
      scheduler,
      workflows,
      ownsDb: !options.db,
      stopDispatch: async () => {
        clearInterval(poll);
        dispatchKick = () => {};
        await running;
      },
    });
  }

  /**
   * Graceful shutdown: stop taking work, let in-flight work finish within `graceMs`, pause sandboxes that run on this
   * machine (their processes must not outlive Proliferate; they resume on demand), then close the database.
   */
  async stop(graceMs = this.container.config.SHUTDOWN_GRACE_MS): Promise<void> {
    const { server, workers, scheduler, workflows } = this.parts;
    await this.pauseLocalSandboxes(graceMs);
    await Promise.all([scheduler.stop(graceMs), server.close(graceMs), ...workers.map((w) => w.stop(graceMs)), workflows.stop(graceMs), this.parts.stopDispatch()]);
    setContainer(undefined);
    if (this.parts.ownsDb) await this.container.dbHandle.close();
  }

  private async pauseLocalSandboxes(graceMs: number): Promise<void> {
    const c = this.container;
    const live = await c.db
      .select({ id: sandboxSession.id })
      .from(sandboxSession)
      .where(and(eq(sandboxSession.sandboxProvider, 'local'), inArray(sandboxSession.status, ['starting', 'running', 'migrating'])));
    if (live.length === 0) return;
    const deps = { ...sandboxRuntimeDeps(c), snapshotWaitMs: Math.min(graceMs, 2000) };
    await Promise.allSettled(live.map((s) => pauseSession(deps, s.id, 'server_stopped')));
    c.logger.info({ paused: live.length }, 'local sandboxes paused for shutdown');
  }
}
