import * as z from 'zod';
import type { HttpMethod } from '../../infra/manifest';

/**
 * Who may call a route: anyone, a signed-in user, a member of the active organisation, a super-admin, or the daemon
 * of a session's current sandbox (with its sandbox token).
 */
export type Access = 'public' | 'user' | 'org' | 'superAdmin' | 'sandbox';
export type Role = 'owner' | 'admin' | 'member';

export interface RouteContract<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
  A extends Access = Access,
> {
  method: Exclude<HttpMethod, 'ANY'>;
  path: string;
  summary: string;
  access: A;
  /** For `org` routes: the roles allowed (default: every member). */
  roles?: Role[];
  params: P;
  query: Q;
  body: B;
  response: R;
  /** Status of a successful reply (default 200). */
  status?: number;
}

const none = z.object({}).strict();

export function route<
  P extends z.ZodType = typeof none,
  Q extends z.ZodType = typeof none,
  B extends z.ZodType = typeof none,
  R extends z.ZodType = z.ZodType,
  const A extends Access = Access,
>(
  def: Omit<RouteContract<P, Q, B, R, A>, 'params' | 'query' | 'body'> & { params?: P; query?: Q; body?: B },
): RouteContract<P, Q, B, R, A> {
  return {
    ...def,
    params: (def.params ?? none) as P,
    query: (def.query ?? z.object({})) as unknown as Q,
    body: (def.body ?? z.unknown()) as unknown as B,
  };
}

export const ErrorReply = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
  }),
});

export const Ok = z.object({ ok: z.literal(true) });
export const Id = z.string().min(1).max(128);
export const IsoDate = z.iso.datetime({ offset: true });
