import { sandboxRoutes as r } from '../../shared/contracts/sandbox-routes';
import { sandboxBootstrap } from '../../shared/domain/sessions/bootstrap';
import { runPlatformTool } from '../../shared/domain/sessions/tools';
import { bind, httpApi } from '../../shared/http/api';
import { toolDeps } from '../../shared/runtime/sandbox-deps';
import { systemPromptFor } from '../../shared/sandbox/agent/prompts';

/** The API the in-sandbox daemon calls with its sandbox token. */
export const handler = httpApi('sandboxApi', [
  bind(r.bootstrap, ({ c, sandbox, logger }) =>
    sandboxBootstrap(
      c.db,
      {
        llm: { baseUrl: c.config.LLM_BASE_URL, apiKey: c.config.LLM_API_KEY, model: c.config.LLM_MODEL, contextTokens: c.config.LLM_CONTEXT_TOKENS },
        gitPullCadenceSeconds: c.config.GIT_PULL_CADENCE_SECONDS,
        systemPromptFor,
        keys: c.keys,
        logger: logger.child({ sessionId: sandbox.sessionId }),
      },
      sandbox.sessionId,
      sandbox.sandboxId,
    ),
  ),
  bind(r.tool, async ({ c, sandbox, params, body }) => {
    const reply = await runPlatformTool(toolDeps(c), sandbox, params.tool, body.toolCallId, body.args);
    await c.outboxWritten();
    return reply;
  }),
]);
