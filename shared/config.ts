import * as z from 'zod';

/** Thrown when the environment does not describe a runnable Proliferate; the entry point exits with code 2. */
export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(
      'Invalid configuration:\n' + issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const emailList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))
  .pipe(z.array(z.email()));

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** `local`: one process, embedded runtime. `aws`: Lambda handlers behind API Gateway. */
  PROLIFERATE_RUNTIME: z.enum(['local', 'aws']).default('local'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4100),
  HOST: z.string().min(1).default('127.0.0.1'),
  PROLIFERATE_DATA_DIR: z.string().min(1).default('.proliferate'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /** Where users reach the product (links in emails). Defaults to http://localhost:<PORT>. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Signs auth sessions; at least 32 characters. Locally generated and kept in the data directory when unset. */
  BETTER_AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Comma-separated emails that are super-admins in addition to the first user who signed up. */
  SUPER_ADMIN_EMAILS: emailList.default([]),
  REQUIRE_EMAIL_VERIFICATION: booleanFlag.default(true),
  MAIL_FROM: z
    .string()
    .regex(/^([^<>]+ <[^<>\s]+@[^<>\s]+>|[^<>\s]+@[^<>\s]+)$/, 'must be an address or "Name <address>"')
    .default('Proliferate <no-reply@proliferate.local>'),
  INVITATION_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(24 * 7),
  /** How long `npm start` lets in-flight work finish on SIGTERM/SIGINT. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  /** Where new sessions' sandboxes run: on this machine (local), E2B, or Modal. */
  SANDBOX_PROVIDER: z.enum(['local', 'e2b', 'modal']).default('local'),
  /** How a sandbox reaches this server (the daemon connects out to it); defaults to PUBLIC_URL. */
  SANDBOX_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  E2B_API_KEY: z.string().min(1).optional(),
  E2B_TEMPLATE: z.string().min(1).default('base'),
  MODAL_TOKEN_ID: z.string().min(1).optional(),
  MODAL_TOKEN_SECRET: z.string().min(1).optional(),
  MODAL_APP_NAME: z.string().min(1).default('proliferate'),
  /** The OpenAI-compatible endpoint the built-in agent uses (the LLM proxy, or any compatible API). */
  LLM_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  LLM_API_KEY: z.string().min(1).optional(),
  LLM_MODEL: z.string().min(1).default('gpt-4.1-mini'),
  /** The model's context window in tokens: longer conversations are fitted into it on every model call. */
  LLM_CONTEXT_TOKENS: z.coerce.number().int().min(4_000).max(10_000_000).default(100_000),
  /** On resume, pull repos whose last fetch is older than this (0: always). */
  GIT_PULL_CADENCE_SECONDS: z.coerce.number().int().min(0).max(7 * 86400).default(0),
  /** Minutes without activity and without viewers before a session is snapshotted and paused. */
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(30),
  /**
   * How long a sandbox lives before its provider ends it (E2B, Modal: default 3600, at most 86400). Local sandboxes live
   * until stopped unless this is set; then they are treated as expiring (migrated or paused), to try expiry on one machine.
   */
  SANDBOX_LIFETIME_SECONDS: z.coerce.number().int().min(10).max(86_400).optional(),
  /** How long before a sandbox's end its session moves to a new sandbox (someone watching) or pauses (nobody is). */
  SANDBOX_EXPIRY_GRACE_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  /** AWS only: names of the resources the CDK app created, passed to every function. */
  AWS_REGION: z.string().optional(),
  QUEUE_URLS: z.string().optional(),
  STATE_MACHINE_ARNS: z.string().optional(),
  WS_ENDPOINT: z.string().optional(),
  OBJECTS_BUCKET: z.string().optional(),
  DATABASE_SECRET_ARN: z.string().optional(),
  KMS_KEY_ID: z.string().optional(),
});

export type RawConfig = z.infer<typeof schema>;

export interface Config extends RawConfig {
  publicUrl: string;
}

/** Reads every setting once, validating all of them, so a bad value fails at start and names the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input = Object.fromEntries(
    Object.keys(schema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })),
    );
  }
  const c = parsed.data;
  if (c.SANDBOX_LIFETIME_SECONDS !== undefined && c.SANDBOX_EXPIRY_GRACE_SECONDS >= c.SANDBOX_LIFETIME_SECONDS) {
    // A sandbox would be due to move as soon as it starts, and every new one again.
    throw new ConfigError([
      { variable: 'SANDBOX_EXPIRY_GRACE_SECONDS', message: `must be shorter than SANDBOX_LIFETIME_SECONDS (${c.SANDBOX_LIFETIME_SECONDS})` },
    ]);
  }
  return { ...c, publicUrl: (c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/$/, '') };
}
