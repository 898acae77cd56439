import * as z from 'zod';
import { route } from './route';

export const Health = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  runtime: z.enum(['local', 'aws']),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional(), ms: z.number().optional() })),
});

export const metaRoutes = {
  health: route({ method: 'GET', path: '/api/health', summary: 'Database and runtime health', access: 'public', response: Health }),
  openapi: route({
    method: 'GET',
    path: '/api/openapi.json',
    summary: 'This document',
    access: 'public',
    response: z.record(z.string(), z.unknown()),
  }),
};
