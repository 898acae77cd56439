import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Context } from 'aws-lambda';
import type { HttpEvent } from '../../shared/http/types';
import type { HttpRoute } from '../manifest';

/** A manifest route compiled for matching, API Gateway style: literal paths beat `{param}`s, which beat `{proxy+}`. */
export interface CompiledRoute<T> {
  method: string;
  path: string;
  pattern: RegExp;
  names: string[];
  rank: number;
  target: T;
}

export function compileRoute<T>(route: HttpRoute, target: T): CompiledRoute<T> {
  const names: string[] = [];
  let rank = 0;
  const segments = route.path.split('/').filter(Boolean);
  const source = segments
    .map((seg) => {
      const greedy = seg.match(/^\{(\w+)\+\}$/);
      if (greedy) {
        names.push(greedy[1]);
        return '(.+)';
      }
      const param = seg.match(/^\{(\w+)\}$/);
      if (param) {
        names.push(param[1]);
        rank += 1;
        return '([^/]+)';
      }
      rank += 100;
      return seg.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    })
    .join('/');
  if (route.path.includes('+}')) rank -= 10_000;
  return { method: route.method, path: route.path, pattern: new RegExp(`^/${source}/?$`), names, rank, target };
}

export function matchRoute<T>(routes: CompiledRoute<T>[], method: string, path: string) {
  const candidates = routes
    .map((r) => ({ r, m: path.match(r.pattern) }))
    .filter((x): x is { r: CompiledRoute<T>; m: RegExpMatchArray } => x.m !== null)
    .sort((a, b) => b.r.rank - a.r.rank);
  const best = candidates.find((x) => x.r.method === method) ?? candidates.find((x) => x.r.method === 'ANY');
  if (!best) return { route: undefined, allowed: [...new Set(candidates.map((x) => x.r.method))] };
  const pathParameters: Record<string, string> = {};
  best.r.names.forEach((n, i) => (pathParameters[n] = best.m[i + 1]));
  return { route: best.r, pathParameters, allowed: [] as string[] };
}

const TEXT_TYPES = /^(application\/(json|x-www-form-urlencoded|xml)|text\/)/i;

/** Builds the payload-v2 event API Gateway's HTTP API would send for this request. */
export function toHttpEvent(
  req: IncomingMessage,
  body: Buffer,
  route: { method: string; path: string },
  pathParameters: Record<string, string>,
): HttpEvent {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (k === 'cookie') {
      cookies = (Array.isArray(v) ? v.join('; ') : v).split(/;\s*/).filter(Boolean);
      continue;
    }
    headers[k] = Array.isArray(v) ? v.join(',') : v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const isText = body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? 'application/json');
  const now = new Date();
  const method = (req.method ?? 'GET').toUpperCase();
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies,
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: `${route.method} ${route.path}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length ? (isText ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !isText,
  };
}

/** A Lambda context for in-process invocations. */
export function lambdaContext(functionName: string, timeoutSeconds: number, requestId: string = randomUUID()): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/local/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
