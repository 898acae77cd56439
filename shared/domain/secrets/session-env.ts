import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { SubmitEnvBody, SubmitEnvReply } from '../../contracts/secrets';
import type { DaemonMessage } from '../../contracts/session-events';
import type { Db } from '../../db/client';
import { envDelivery, type EnvDeliveryResult } from '../../db/schema';
import type { SocketsPort } from '../../ports';
import type { OrgCaller } from '../caller';
import { DomainError, forbidden, validationFailed } from '../errors';
import { daemonConnection } from '../sessions/runtime';
import { findSession } from '../sessions/sessions';
import { persistSubmitted, type SecretsDeps, type SecretsLogger } from './secrets';

export interface SessionEnvDeps extends SecretsDeps {
  sockets: SocketsPort;
  logger: SecretsLogger;
  /** How long to wait for the daemon to write the values (default 15 s). */
  waitMs?: number;
}

const notRunning = (code: string, message: string) => new DomainError('conflict', code, message, [{ field: 'params.sessionId', message: 'has no running sandbox to take the values' }]);

/**
 * Values a person gives a running session (`request_env_variables` asked for them):
 * 1. find the session in the caller's organisation; its creator, an owner or an admin may give it values, and only
 *    owners and admins may save them for future sessions;
 * 2. it must have a running sandbox whose daemon is connected (409 otherwise);
 * 3. send every value to that daemon over its sandbox-token connection and wait until it has rewritten the env files
 *    and the agent's env JSON file (its answer names files and keys, never values);
 * 4. only then save the values marked `persist` (a key already set in that scope: `alreadyExisted`).
 */
export async function submitSessionEnv(deps: SessionEnvDeps, caller: OrgCaller, sessionId: string, body: SubmitEnvBody): Promise<SubmitEnvReply> {
  const session = await findSession(deps.db, caller.organizationId, sessionId);
  const manager = caller.role === 'owner' || caller.role === 'admin';
  if (!manager && session.createdBy !== null && session.createdBy !== caller.userId) {
    throw forbidden('not_session_owner', 'Only the person who started this session, an owner or an admin can give it env values');
  }
  const toPersist = body.secrets.filter((s) => s.persist ?? body.saveToConfiguration ?? false);
  if (toPersist.length && !manager) {
    throw forbidden('insufficient_role', 'Only owners and admins can save secrets for future sessions; send the values without persist');
  }
  if (toPersist.length && body.saveToConfiguration && !session.configurationId) {
    throw validationFailed([{ field: 'body.saveToConfiguration', message: 'this session has no configuration to save to' }]);
  }

  if (session.status !== 'running' || !session.sandboxId) {
    throw notRunning('sandbox_not_running', `The session is ${session.status}: its sandbox must be running to take env values`);
  }
  const delivery = await deliver(deps, session.id, session.sandboxId, Object.fromEntries(body.secrets.map((s) => [s.key, s.value])));

  const persisted = toPersist.length
    ? await persistSubmitted(
        deps,
        { organizationId: caller.organizationId, createdBy: caller.userId, configurationId: body.saveToConfiguration ? session.configurationId : null },
        toPersist,
      )
    : [];
  const byKey = new Map(persisted.map((p) => [p.key, p]));
  return {
    submitted: true,
    results: body.secrets.map((s) => byKey.get(s.key) ?? { key: s.key, persisted: false, alreadyExisted: false }),
    delivery: { written: delivery.written, missing: delivery.missing, deferred: delivery.deferred },
  };
}

/** Sends the values to the daemon of this sandbox (and no other) and waits for its answer, recorded by request id. */
async function deliver(deps: SessionEnvDeps, sessionId: string, sandboxId: string, values: Record<string, string>): Promise<EnvDeliveryResult> {
  const connectionId = await daemonConnection(deps.db, sessionId, sandboxId);
  if (!connectionId) throw notRunning('sandbox_not_connected', 'The sandbox is not connected yet; try again in a moment');
  const requestId = `env_${randomBytes(12).toString('base64url')}`;
  await deps.db.insert(envDelivery).values({ id: requestId, sessionId, sandboxId });
  try {
    try {
      await deps.sockets.postToConnection(connectionId, { type: 'env', requestId, values });
    } catch {
      throw notRunning('sandbox_not_connected', 'The sandbox is not connected; try again in a moment');
    }
    const deadline = Date.now() + (deps.waitMs ?? 15_000);
    for (;;) {
      const [row] = await deps.db.select({ status: envDelivery.status, result: envDelivery.result }).from(envDelivery).where(eq(envDelivery.id, requestId));
      if (row && row.status !== 'sent') {
        const result = row.result ?? { written: [], missing: [], deferred: false };
        if (row.status === 'failed') {
          throw new DomainError('conflict', 'env_not_written', `The sandbox could not write the values: ${result.error ?? 'unknown error'}`);
        }
        return result;
      }
      if (Date.now() > deadline) throw notRunning('sandbox_not_responding', 'The sandbox did not confirm the values in time; try again');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await deps.db.delete(envDelivery).where(eq(envDelivery.id, requestId));
  }
}

/** The daemon's answer to an `env` command (from its connection, so only for its own session and sandbox). */
export async function recordEnvApplied(db: Db, sessionId: string, sandboxId: string, msg: Extract<DaemonMessage, { type: 'env_applied' }>): Promise<void> {
  const result: EnvDeliveryResult = { written: msg.written, missing: msg.missing, deferred: msg.deferred, ...(msg.error ? { error: msg.error } : {}) };
  await db
    .update(envDelivery)
    .set({ status: msg.error ? 'failed' : 'applied', result, completedAt: new Date() })
    .where(and(eq(envDelivery.id, msg.requestId), eq(envDelivery.sessionId, sessionId), eq(envDelivery.sandboxId, sandboxId)));
}
