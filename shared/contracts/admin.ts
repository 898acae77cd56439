import * as z from 'zod';
import { Id, IsoDate, Ok, route } from './route';

export const AdminUser = z.object({
  id: Id,
  name: z.string(),
  email: z.string(),
  emailVerified: z.boolean(),
  isSuperAdmin: z.boolean(),
  organizationCount: z.number().int(),
  createdAt: IsoDate,
});

export const AdminOrganization = z.object({
  id: Id,
  name: z.string(),
  slug: z.string(),
  memberCount: z.number().int(),
  createdAt: IsoDate,
});

const page = z
  .object({
    q: z.string().trim().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();

export const adminRoutes = {
  status: route({
    method: 'GET',
    path: '/api/admin/status',
    summary: 'Whether the caller is a super-admin, and whom they impersonate',
    access: 'user',
    response: z.object({
      isSuperAdmin: z.boolean(),
      impersonating: z.object({ userId: Id, email: z.string(), realUserId: Id }).nullable(),
    }),
  }),
  listUsers: route({
    method: 'GET',
    path: '/api/admin/users',
    summary: 'Every user',
    access: 'superAdmin',
    query: page,
    response: z.object({ users: z.array(AdminUser), total: z.number().int() }),
  }),
  listOrganizations: route({
    method: 'GET',
    path: '/api/admin/organizations',
    summary: 'Every organisation',
    access: 'superAdmin',
    query: page,
    response: z.object({ organizations: z.array(AdminOrganization), total: z.number().int() }),
  }),
  impersonate: route({
    method: 'POST',
    path: '/api/admin/impersonate',
    summary: 'Act as another user for one hour (the session records who impersonates)',
    access: 'superAdmin',
    body: z.object({ userId: Id }).strict(),
    response: Ok,
  }),
  stopImpersonating: route({
    method: 'POST',
    path: '/api/admin/stop-impersonating',
    summary: "Return to the super-admin's own session",
    access: 'user',
    response: Ok,
  }),
};
