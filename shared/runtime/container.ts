import type { Config } from '../config';
import type { Db, DbHandle } from '../db/client';
import type { Clock, KeysPort, MailerPort, ObjectsPort, QueuePort, SchedulerPort, SocketsPort, WorkflowsPort } from '../ports';
import type { Logger } from './logger';
import type { Auth, AuthDeps } from '../auth/auth';
import type { SandboxProvider, SandboxProviderKind } from '../sandbox/provider';

/**
 * Everything a handler needs, built once per process (the embedded runtime) or per Lambda cold start (AWS).
 * Handlers reach it through getContainer(); tests and the embedded runtime install their own with setContainer().
 */
export interface Container {
  config: Config;
  db: Db;
  dbHandle: DbHandle;
  auth: Auth;
  logger: Logger;
  clock: Clock;
  queue: QueuePort;
  workflows: WorkflowsPort;
  sockets: SocketsPort;
  objects: ObjectsPort;
  mailer: MailerPort;
  keys: KeysPort;
  /** One-off schedules that deliver a queue message at a time (sessions' expiry and idle checks). */
  scheduler: SchedulerPort;
  /**
   * Called after a transaction wrote outbox rows, so they are published now rather than on the dispatcher's next tick
   * (locally a nudge to the dispatcher; on Lambda a bounded, best-effort publish before the reply).
   */
  outboxWritten(): Promise<void> | void;
  /** Signs sandbox tokens (one per session and sandbox). */
  sandboxSecret: string;
  /** Sandbox providers and the daemon they start; only the functions that manage sandboxes use them. */
  sandboxes: SandboxesRuntime;
  /** Health of the runtime's own parts (queue workers, scheduler, workflows, sockets), reported by /api/health. */
  runtimeChecks?(): Promise<Record<string, { ok: boolean; detail?: string }>>;
}

let installed: Container | undefined;
let building: Promise<Container> | undefined;

export function setContainer(container: Container | undefined): void {
  installed = container;
  building = undefined;
}

/** How a function that serves sessions builds better-auth; passed by those functions only, so others never bundle it. */
export type AuthFactory = (deps: AuthDeps) => Auth;

/** Builds a sandbox provider; passed only by functions that start or snapshot sandboxes (the SDKs are large). */
export type SandboxProviderFactory = typeof import('../sandbox/providers').createSandboxProvider;

/** Heavy parts a function asks for explicitly, so functions that do not need them do not bundle them. */
export interface ContainerNeeds {
  createAuth?: AuthFactory;
  createSandboxProvider?: SandboxProviderFactory;
}

/**
 * The installed container, or (on Lambda) the AWS one, built on first use. Functions that authenticate callers pass
 * `createAuth`; queue consumers and schedules do not, which keeps better-auth out of their bundles.
 */
export async function getContainer(needs: ContainerNeeds = {}): Promise<Container> {
  if (installed) return installed;
  building ??= import('../adapters/aws/container').then(async (m) => {
    const built = await m.createAwsContainer({ createAuth: needs.createAuth, createSandboxProvider: needs.createSandboxProvider });
    installed = built;
    return built;
  });
  return building;
}

export interface SandboxesRuntime {
  defaultProvider: SandboxProviderKind;
  provider(kind: SandboxProviderKind): SandboxProvider;
  /** The built daemon the providers copy into sandboxes, and its version (part of every snapshot key). */
  daemon(): Promise<{ path: string; version: string }>;
  /** How a daemon inside a sandbox reaches the platform. */
  endpoints: { apiUrl: string; wsUrl: string };
  /** The URL of a preview token (its own origin, routed by the preview proxy). */
  previewUrl(token: string): string;
}
