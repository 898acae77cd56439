import * as z from 'zod';

/**
 * The HTTP API the in-sandbox daemon calls, authenticated with `Authorization: Bearer <sandbox token>` (scoped to one
 * session and one sandbox). Routes: GET /api/sandbox/bootstrap, POST /api/sandbox/tools/{tool}.
 */

export const PromptMode = z.enum(['setup', 'coding', 'automation']);
export type PromptMode = z.infer<typeof PromptMode>;

const relativePath = z
  .string()
  .min(1)
  .max(500)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'a relative path inside the workspace');

export const ServiceCommandSchema = z.object({
  name: z.string().min(1).max(100).regex(/^[\w.-]+$/, 'letters, digits, dot, dash, underscore'),
  command: z.string().min(1).max(1000),
  cwd: relativePath.optional(),
  workspacePath: z.string().max(500).optional(),
});

/** An environment variable name, as shells accept it. */
export const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const EnvKeyName = z.string().min(1).max(200).regex(ENV_KEY_PATTERN, 'an environment variable name (letters, digits and _, not starting with a digit)');

export const EnvFileSpecSchema = z.object({
  path: relativePath,
  workspacePath: z.string().max(500).default('.'),
  format: z.literal('dotenv').default('dotenv'),
  mode: z.literal('secret').default('secret'),
  keys: z.array(z.object({ key: EnvKeyName, required: z.boolean().default(true) })).min(1).max(50),
});

/** What the daemon needs to prepare the sandbox and run the agent. */
export const SandboxBootstrap = z.object({
  sessionId: z.string(),
  sandboxId: z.string(),
  organizationId: z.string(),
  mode: PromptMode,
  systemPrompt: z.string(),
  repos: z.array(z.object({ repoId: z.string(), url: z.string(), branch: z.string(), workspacePath: z.string() })),
  serviceCommands: z.array(ServiceCommandSchema),
  envFiles: z.array(EnvFileSpecSchema),
  /** Values for env files (decrypted for this sandbox only). */
  envValues: z.record(z.string(), z.string()),
  /** An ACP agent command (e.g. Claude Code's ACP adapter); absent: the built-in agent. */
  agentCommand: z.string().nullable(),
  /** The OpenAI-compatible endpoint the built-in agent talks to, or null with the variable to set. */
  llm: z.union([
    z.object({ baseUrl: z.string(), apiKey: z.string(), model: z.string(), contextTokens: z.number().int().positive().optional() }),
    z.object({ missing: z.string() }),
  ]),
  /** Pull repos on resume when their last fetch is older than this (seconds; 0 = always). */
  gitPullCadenceSeconds: z.number().int().min(0),
  initialPrompt: z.string().nullable(),
});
export type SandboxBootstrap = z.infer<typeof SandboxBootstrap>;

/** Arguments of each platform tool, validated by the server (the MCP server in the daemon validates them too). */
export const platformTools = {
  verify: z.object({
    files: z
      .array(z.object({ path: relativePath, contentBase64: z.string().max(14_000_000), contentType: z.string().max(200).optional() }))
      .min(1)
      .max(20),
    note: z.string().max(2000).optional(),
  }),
  save_snapshot: z.object({ message: z.string().max(500).optional() }),
  save_service_commands: z.object({ commands: z.array(ServiceCommandSchema).min(1).max(10) }),
  save_env_files: z.object({ files: z.array(EnvFileSpecSchema).min(1).max(10) }),
  request_env_variables: z.object({
    keys: z
      .array(
        z.object({
          key: EnvKeyName,
          description: z.string().max(1000).optional(),
          /** `secret`: the person may also save it for future sessions; `env`: for this session only. */
          type: z.enum(['env', 'secret']).default('secret'),
          required: z.boolean().default(true),
          /** Where to find a value, or values to pick from (a test key, a local URL). */
          suggestions: z
            .array(z.object({ label: z.string().min(1).max(200), value: z.string().max(2000).optional(), instructions: z.string().max(2000).optional() }))
            .max(10)
            .optional(),
        }),
      )
      .min(1)
      .max(50),
  }),
  'automation.complete': z.object({
    run_id: z.string().min(1).max(200),
    completion_id: z.string().min(1).max(200),
    outcome: z.enum(['succeeded', 'failed', 'needs_human']),
    summary_markdown: z.string().max(100_000).optional(),
    citations: z.array(z.string().max(2000)).max(100).optional(),
  }),
} as const;
export type PlatformTool = keyof typeof platformTools;

export const ToolCallRequest = z.object({ toolCallId: z.string().min(1).max(200), args: z.unknown() });
export const ToolCallReply = z.object({ success: z.boolean(), result: z.string(), data: z.record(z.string(), z.unknown()).optional() });
export type ToolCallReply = z.infer<typeof ToolCallReply>;
