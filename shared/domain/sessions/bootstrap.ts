import { asc, eq } from 'drizzle-orm';
import type { SandboxBootstrap } from '../../contracts/sandbox-api';
import type { Db } from '../../db/client';
import { configuration, configurationRepo, repo, sandboxSession } from '../../db/schema';
import type { KeysPort } from '../../ports';
import { notFound } from '../errors';
import { resolveSecrets, type SecretsLogger } from '../secrets/secrets';

export interface BootstrapSettings {
  llm: { baseUrl?: string; apiKey?: string; model: string; contextTokens?: number };
  gitPullCadenceSeconds: number;
  /** The system prompt for a mode, unless the session overrides it. */
  systemPromptFor(mode: 'setup' | 'coding' | 'automation'): string;
  /** Opens the organisation's secrets the env files need. */
  keys: KeysPort;
  /** Told the name of a secret that does not decrypt (never a value). */
  logger: SecretsLogger;
}

/**
 * What the daemon of a session's sandbox needs: repos, commands, env file specs with the values of their keys (the
 * organisation's secrets, most specific scope first), the agent and its model. It goes only to the sandbox's daemon,
 * over its token-authenticated API, and is never logged.
 */
export async function sandboxBootstrap(db: Db, settings: BootstrapSettings, sessionId: string, sandboxId: string): Promise<SandboxBootstrap> {
  const [s] = await db.select().from(sandboxSession).where(eq(sandboxSession.id, sessionId));
  if (!s) throw notFound('Session');
  const cfg = s.configurationId ? (await db.select().from(configuration).where(eq(configuration.id, s.configurationId)))[0] : undefined;
  const repos = cfg
    ? await db
        .select({ repoId: repo.id, url: repo.url, branch: repo.defaultBranch, workspacePath: configurationRepo.workspacePath })
        .from(configurationRepo)
        .innerJoin(repo, eq(repo.id, configurationRepo.repoId))
        .where(eq(configurationRepo.configurationId, cfg.id))
        .orderBy(asc(configurationRepo.workspacePath))
    : [];
  const envFiles = (cfg?.envFiles ?? []).map((f) => ({ ...f, workspacePath: f.workspacePath ?? '.' }));
  const envValues = cfg
    ? await resolveSecrets({ db, keys: settings.keys, logger: settings.logger }, s.organizationId, cfg.id, envFiles.flatMap((f) => f.keys.map((k) => k.key)))
    : {};
  const mode = s.sessionType === 'setup' ? 'setup' : s.clientType === 'automation' ? 'automation' : 'coding';
  const { baseUrl, apiKey, model, contextTokens } = settings.llm;
  return {
    sessionId: s.id,
    sandboxId,
    organizationId: s.organizationId,
    mode,
    systemPrompt: s.systemPrompt ?? settings.systemPromptFor(mode),
    repos,
    serviceCommands: cfg?.serviceCommands ?? [],
    envFiles,
    envValues,
    agentCommand: s.agentConfig?.agentCommand ?? cfg?.agentCommand ?? null,
    llm: !baseUrl ? { missing: 'LLM_BASE_URL' } : !apiKey ? { missing: 'LLM_API_KEY' } : { baseUrl, apiKey, model, ...(contextTokens ? { contextTokens } : {}) },
    gitPullCadenceSeconds: settings.gitPullCadenceSeconds,
    initialPrompt: null,
  };
}
