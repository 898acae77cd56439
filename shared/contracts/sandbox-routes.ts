import * as z from 'zod';
import { route } from './route';
import { SandboxBootstrap, ToolCallReply, ToolCallRequest } from './sandbox-api';

/** Routes the in-sandbox daemon calls with its sandbox token. */
export const sandboxRoutes = {
  bootstrap: route({
    method: 'GET',
    path: '/api/sandbox/bootstrap',
    summary: "The daemon's setup: repos, commands, env file specs, agent and model",
    access: 'sandbox',
    response: SandboxBootstrap,
  }),
  tool: route({
    method: 'POST',
    path: '/api/sandbox/tools/{tool}',
    summary: 'Run a platform tool; a retried call with the same toolCallId is answered once',
    access: 'sandbox',
    params: z.object({ tool: z.string().min(1).max(100) }).strict(),
    body: ToolCallRequest,
    response: ToolCallReply,
  }),
};
