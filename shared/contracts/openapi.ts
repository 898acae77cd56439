import * as z from 'zod';
import { adminRoutes } from './admin';
import { devMailRoutes } from './dev-mail';
import { metaRoutes } from './meta';
import { orgRoutes } from './orgs';
import { sandboxRoutes } from './sandbox-routes';
import { previewRoutes, sessionRoutes } from './sessions';
import { configurationRoutes, repoRoutes } from './repos';
import { secretRoutes, sessionEnvRoutes } from './secrets';
import { ErrorReply, type RouteContract } from './route';

export const allRoutes: Record<string, Record<string, RouteContract>> = {
  meta: metaRoutes,
  orgs: orgRoutes,
  admin: adminRoutes,
  devMail: devMailRoutes,
  sessions: sessionRoutes,
  previews: previewRoutes,
  repos: repoRoutes,
  configurations: configurationRoutes,
  secrets: secretRoutes,
  sessionEnv: sessionEnvRoutes,
  sandbox: sandboxRoutes,
};

const schema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'openapi-3.0' });

function parameters(contract: RouteContract) {
  const out: unknown[] = [];
  for (const [where, s] of [['path', contract.params], ['query', contract.query]] as const) {
    const json = schema(s, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, prop] of Object.entries(json.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: prop });
    }
  }
  return out;
}

/** The OpenAPI 3 document, generated from the zod contracts the handlers validate with. */
export function openApiDocument(version: string, serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [tag, routes] of Object.entries(allRoutes)) {
    for (const [operationId, c] of Object.entries(routes)) {
      const hasBody = c.method !== 'GET' && c.method !== 'DELETE' && !(c.body instanceof z.ZodUnknown);
      paths[c.path] ??= {};
      paths[c.path][c.method.toLowerCase()] = {
        operationId: `${tag}.${operationId}`,
        tags: [tag],
        summary: c.summary,
        security: c.access === 'public' ? [] : c.access === 'sandbox' ? [{ sandboxToken: [] }] : [{ session: [] }, { apiKey: [] }],
        parameters: parameters(c),
        ...(hasBody ? { requestBody: { required: true, content: { 'application/json': { schema: schema(c.body, 'input') } } } } : {}),
        responses: {
          [String(c.status ?? 200)]: { description: 'OK', content: { 'application/json': { schema: schema(c.response, 'output') } } },
          default: { description: 'Error', content: { 'application/json': { schema: schema(ErrorReply, 'output') } } },
        },
      };
    }
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Proliferate API',
      version,
      description: 'Authentication (sign-up, sign-in, sessions, email verification) is served by better-auth under /api/auth.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'better-auth.session_token' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        sandboxToken: { type: 'http', scheme: 'bearer', description: "A sandbox daemon's token (one session, one sandbox)" },
      },
    },
    paths,
  };
}
