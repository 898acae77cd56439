import { and, eq } from 'drizzle-orm';
import * as z from 'zod';
import { platformTools, type PlatformTool, type ToolCallReply } from '../../contracts/sandbox-api';
import type { Db } from '../../db/client';
import { configuration, sandboxSession, sessionToolCall } from '../../db/schema';
import type { ObjectsPort } from '../../ports';
import { enqueue } from '../outbox/outbox';
import { notFound, validationFailed } from '../errors';

export interface ToolDeps {
  db: Db;
  objects: ObjectsPort;
  /** Saves a snapshot of the session's sandbox now (the agent asked, so its turn is not waited for). */
  snapshot(sessionId: string): Promise<{ success: boolean; snapshotId?: string; error?: string }>;
}

export interface ToolContext {
  sessionId: string;
  organizationId: string;
}

type Handler<T extends PlatformTool> = (deps: ToolDeps, ctx: ToolContext, args: z.output<(typeof platformTools)[T]>, toolCallId: string) => Promise<ToolCallReply>;

async function setupConfiguration(db: Db, ctx: ToolContext) {
  const [s] = await db.select({ type: sandboxSession.sessionType, configurationId: sandboxSession.configurationId }).from(sandboxSession).where(eq(sandboxSession.id, ctx.sessionId));
  if (!s?.configurationId) return { error: 'This session has no configuration to save to' };
  if (s.type !== 'setup') return { error: 'Only setup sessions can change their configuration' };
  return { configurationId: s.configurationId };
}

const handlers: { [T in PlatformTool]: Handler<T> } = {
  async verify(deps, ctx, args, toolCallId) {
    const keys: string[] = [];
    for (const f of args.files) {
      const key = `sessions/${ctx.sessionId}/evidence/${toolCallId}/${f.path}`;
      await deps.objects.put(key, Buffer.from(f.contentBase64, 'base64'), { contentType: f.contentType });
      keys.push(key);
    }
    return { success: true, result: `Uploaded ${keys.length} file(s) as evidence.`, data: { keys, note: args.note ?? null } };
  },
  async save_snapshot(deps, ctx) {
    const r = await deps.snapshot(ctx.sessionId);
    return r.success
      ? { success: true, result: `Snapshot saved (${r.snapshotId}).`, data: { snapshotId: r.snapshotId } }
      : { success: false, result: `The snapshot failed: ${r.error ?? 'unknown error'}` };
  },
  async save_service_commands(deps, ctx, args) {
    const target = await setupConfiguration(deps.db, ctx);
    if ('error' in target) return { success: false, result: target.error! };
    await deps.db.update(configuration).set({ serviceCommands: args.commands, updatedAt: new Date() }).where(eq(configuration.id, target.configurationId));
    return { success: true, result: `Saved ${args.commands.length} service command(s); new sessions start them.`, data: { configurationId: target.configurationId, commandCount: args.commands.length } };
  },
  async save_env_files(deps, ctx, args) {
    const target = await setupConfiguration(deps.db, ctx);
    if ('error' in target) return { success: false, result: target.error! };
    await deps.db.update(configuration).set({ envFiles: args.files, updatedAt: new Date() }).where(eq(configuration.id, target.configurationId));
    return { success: true, result: `Saved ${args.files.length} env file spec(s).`, data: { configurationId: target.configurationId, fileCount: args.files.length } };
  },
  async request_env_variables(_deps, _ctx, args) {
    // The dashboard shows a form for these keys from the tool_start event; the values reach the daemon, which writes
    // them into the env files and the JSON file named by $PROLIFERATE_ENV_FILE (the daemon adds its path below).
    const keys = args.keys.map((k) => k.key);
    return {
      success: true,
      result:
        `Asked the user for ${keys.join(', ')} with a form in the session. Stop here and wait for them: they are not available yet. ` +
        `Once submitted, the values are in the session's env files and in the JSON file named by $PROLIFERATE_ENV_FILE (an object of KEY: value). ` +
        `Read one value where you need it, e.g. "$(jq -r '.${keys[0]}' "$PROLIFERATE_ENV_FILE")"; never print, cat or echo the file or a value, and never write a value into a tracked file.`,
      data: { keys },
    };
  },
  async 'automation.complete'(deps, ctx, args) {
    const [s] = await deps.db.select({ outcome: sandboxSession.outcome, summary: sandboxSession.summary }).from(sandboxSession).where(eq(sandboxSession.id, ctx.sessionId));
    if (s?.outcome) {
      return s.outcome === args.outcome && (s.summary ?? null) === (args.summary_markdown ?? null)
        ? { success: true, result: 'The run was already completed with this outcome.' }
        : { success: false, result: `The run was already completed as ${s.outcome}; a different completion is refused.` };
    }
    await deps.db.transaction(async (tx) => {
      await tx.update(sandboxSession).set({ outcome: args.outcome, summary: args.summary_markdown ?? null, updatedAt: new Date() }).where(eq(sandboxSession.id, ctx.sessionId));
      await enqueue(tx, 'session.command', { sessionId: ctx.sessionId, organizationId: ctx.organizationId, command: 'pause', reason: 'automation_completed' }, ctx.organizationId);
    });
    return { success: true, result: `Run completed: ${args.outcome}.`, data: { runId: args.run_id, completionId: args.completion_id } };
  },
};

/**
 * Runs a platform tool for the session's daemon. The call is recorded by its tool-call id first, so a retried call (the
 * daemon retries on transport errors with the same id) is answered from the record instead of running again.
 */
export async function runPlatformTool(deps: ToolDeps, ctx: ToolContext, tool: string, toolCallId: string, rawArgs: unknown): Promise<ToolCallReply> {
  if (!(tool in platformTools)) throw notFound(`Tool ${tool}`);
  const name = tool as PlatformTool;
  const parsed = platformTools[name].safeParse(rawArgs ?? {});
  if (!parsed.success) {
    throw validationFailed(parsed.error.issues.map((i) => ({ field: ['body', 'args', ...i.path.map(String)].join('.'), message: i.message })));
  }
  const inserted = await deps.db
    .insert(sessionToolCall)
    .values({ sessionId: ctx.sessionId, toolCallId, tool: name, status: 'running', args: parsed.data })
    .onConflictDoNothing()
    .returning({ id: sessionToolCall.toolCallId });
  if (inserted.length === 0) return awaitRecorded(deps.db, ctx.sessionId, toolCallId);
  let reply: ToolCallReply;
  try {
    reply = await (handlers[name] as Handler<PlatformTool>)(deps, ctx, parsed.data as never, toolCallId);
  } catch (err) {
    reply = { success: false, result: `The tool failed: ${(err as Error).message}` };
  }
  await deps.db
    .update(sessionToolCall)
    .set({ status: reply.success ? 'completed' : 'failed', result: reply, completedAt: new Date() })
    .where(and(eq(sessionToolCall.sessionId, ctx.sessionId), eq(sessionToolCall.toolCallId, toolCallId)));
  return reply;
}

/** A duplicate call: the recorded reply, waiting (bounded) while the first call is still running. */
async function awaitRecorded(db: Db, sessionId: string, toolCallId: string): Promise<ToolCallReply> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const [row] = await db
      .select({ status: sessionToolCall.status, result: sessionToolCall.result })
      .from(sessionToolCall)
      .where(and(eq(sessionToolCall.sessionId, sessionId), eq(sessionToolCall.toolCallId, toolCallId)));
    if (row && row.status !== 'running') return row.result as ToolCallReply;
    if (Date.now() > deadline) return { success: false, result: 'The first attempt of this call is still running; try again later.' };
    await new Promise((r) => setTimeout(r, 200));
  }
}
