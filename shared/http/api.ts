import type { Context } from 'aws-lambda';
import * as z from 'zod';
import type { RouteContract } from '../contracts/route';
import type { Caller, OrgCaller } from '../domain/caller';
import { DomainError, forbidden, unauthenticated, validationFailed } from '../domain/errors';
import { resolveOrgCaller } from '../domain/orgs/organizations';
import { isSuperAdmin } from '../domain/admin/super-admins';
import { createAuth } from '../auth/auth';
import { getContainer, type Container, type ContainerNeeds } from '../runtime/container';
import type { Logger } from '../runtime/logger';
import { resolveCaller, resolveSandboxCaller, type SandboxCaller } from './caller';
import { errorResult, zodFields } from './errors';
import { HttpReply, json, requestHeaders, type HttpEvent, type HttpResult } from './types';

const MAX_BODY_BYTES = 1024 * 1024;

export interface RouteInput<C extends RouteContract> {
  params: z.output<C['params']>;
  query: z.output<C['query']>;
  body: z.output<C['body']>;
  /** The signed-in caller (absent on public routes). */
  caller: C extends RouteContract<z.ZodType, z.ZodType, z.ZodType, z.ZodType, 'public'> ? Caller | null : Caller;
  /** For `org` routes: the caller in their verified organisation. */
  org: C extends RouteContract<z.ZodType, z.ZodType, z.ZodType, z.ZodType, 'org'> ? OrgCaller : OrgCaller | null;
  /** For `sandbox` routes: the session and sandbox the token names (verified current). */
  sandbox: C extends RouteContract<z.ZodType, z.ZodType, z.ZodType, z.ZodType, 'sandbox'> ? SandboxCaller : SandboxCaller | null;
  c: Container;
  headers: Headers;
  event: HttpEvent;
  logger: Logger;
}

export interface Binding {
  contract: RouteContract;
  pattern: RegExp;
  paramNames: string[];
  run(input: RouteInput<RouteContract>): Promise<unknown>;
}

/** Binds a contract to the one service call that answers it. */
export function bind<C extends RouteContract>(
  contract: C,
  run: (input: RouteInput<C>) => Promise<z.input<C['response']> | HttpReply>,
): Binding {
  const paramNames: string[] = [];
  const source = contract.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}/g, (_m, name: string) => {
    paramNames.push(name);
    return '([^/]+)';
  });
  return { contract, pattern: new RegExp(`^${source}$`), paramNames, run: run as Binding['run'] };
}

function parsePart<T extends z.ZodType>(schema: T, value: unknown, part: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(zodFields(result.error, part));
  return result.data;
}

function readBody(event: HttpEvent, contract: RouteContract): unknown {
  if (contract.method === 'GET' || contract.method === 'DELETE') return undefined;
  const raw = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) {
    throw validationFailed([{ field: 'body', message: `must be at most ${MAX_BODY_BYTES} bytes` }]);
  }
  if (raw.trim() === '') return {};
  const type = (event.headers?.['content-type'] ?? '').toLowerCase();
  if (type && !type.startsWith('application/json')) {
    throw validationFailed([{ field: 'headers.content-type', message: 'must be application/json' }]);
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw validationFailed([{ field: 'body', message: 'must be valid JSON' }]);
  }
}

function decodeParams(names: string[], match: RegExpMatchArray): Record<string, string> {
  const params: Record<string, string> = {};
  names.forEach((name, i) => {
    try {
      params[name] = decodeURIComponent(match[i + 1]);
    } catch {
      throw validationFailed([{ field: `params.${name}`, message: 'is not a valid URL component' }]);
    }
  });
  return params;
}

async function authorise(
  binding: Binding,
  c: Container,
  headers: Headers,
): Promise<{ caller: Caller | null; org: OrgCaller | null; sandbox?: SandboxCaller }> {
  const { access, roles } = binding.contract;
  if (access === 'public') return { caller: await resolveCaller(c, headers).catch(() => null), org: null };
  if (access === 'sandbox') return { caller: null, org: null, sandbox: await resolveSandboxCaller(c, headers) };
  const caller = await resolveCaller(c, headers);
  if (!caller) throw unauthenticated();
  if (access === 'superAdmin' && !(await isSuperAdmin(c.db, caller, c.config.SUPER_ADMIN_EMAILS))) {
    throw forbidden('super_admin_only', 'Only super-admins can do this');
  }
  if (access !== 'org') return { caller, org: null };
  const requested = headers.get('x-org-id') ?? undefined;
  if (requested !== undefined && !/^[\w-]{1,128}$/.test(requested)) {
    throw validationFailed([{ field: 'headers.x-org-id', message: 'is not an organisation id' }]);
  }
  const org = await resolveOrgCaller(c.db, caller, requested);
  if (roles && !roles.includes(org.role)) {
    throw forbidden('insufficient_role', `This needs the ${roles.join(' or ')} role; you are ${org.role}`);
  }
  return { caller, org };
}

async function route(bindings: Binding[], event: HttpEvent, logger: Logger, needs: ContainerNeeds): Promise<HttpResult> {
  const method = event.requestContext.http.method.toUpperCase();
  const path = event.rawPath.length > 1 ? event.rawPath.replace(/\/+$/, '') : event.rawPath;
  const matches = bindings.map((b) => ({ b, m: path.match(b.pattern) })).filter((x) => x.m);
  if (matches.length === 0) throw new DomainError('not_found', 'route_not_found', `No route for ${method} ${path}`);
  const hit = matches.find((x) => x.b.contract.method === method);
  if (!hit) {
    return json(405, { error: { code: 'method_not_allowed', message: `${method} is not allowed here` } }, {
      headers: { allow: matches.map((x) => x.b.contract.method).join(', ') },
    });
  }
  const { b: binding, m } = hit;
  const c = await getContainer({ createAuth, ...needs });
  const headers = requestHeaders(event);
  const { caller, org, sandbox } = await authorise(binding, c, headers);
  const params = parsePart(binding.contract.params, decodeParams(binding.paramNames, m!), 'params');
  const query = parsePart(binding.contract.query, event.queryStringParameters ?? {}, 'query');
  const body = parsePart(binding.contract.body, readBody(event, binding.contract), 'body');
  const out = await binding.run({ params, query, body, caller, org, sandbox: sandbox ?? null, c, headers, event, logger } as RouteInput<RouteContract>);
  if (out instanceof HttpReply) {
    return json(out.status, out.body, { cookies: out.cookies.length ? out.cookies : undefined, headers: out.headers });
  }
  // Replies go through their contract too, so nothing a contract does not name leaves the API.
  return json(binding.contract.status ?? 200, binding.contract.response.parse(out));
}

/** One Lambda handler per area: a small router over the area's contracts, logged, with errors mapped in one place. */
export function httpApi(area: string, bindings: Binding[], needs: ContainerNeeds = {}) {
  return withRequestLog(area, async (event, _context, logger) => {
    try {
      return await route(bindings, event, logger, needs);
    } catch (err) {
      return errorResult(err, event.requestContext.requestId, logger);
    }
  });
}

/** Wraps an HTTP handler with a child logger carrying the request id and one log line per request. */
export function withRequestLog(
  area: string,
  handle: (event: HttpEvent, context: Context, logger: Logger) => Promise<HttpResult>,
  needs: ContainerNeeds = {},
): (event: HttpEvent, context: Context) => Promise<HttpResult> {
  return async (event, context) => {
    const c = await getContainer({ createAuth, ...needs });
    const started = Date.now();
    const logger = c.logger.child({ area, requestId: event.requestContext.requestId });
    const result = await handle(event, context, logger);
    const line = { method: event.requestContext.http.method, path: event.rawPath, status: result.statusCode ?? 200, ms: Date.now() - started };
    if (line.status >= 500) logger.error(line, 'request');
    else logger.info(line, 'request');
    return result;
  };
}
