import { adminRoutes as r } from '../../shared/contracts/admin';
import { bind, httpApi } from '../../shared/http/api';
import { authReply } from '../../shared/http/auth-bridge';
import { listOrganizations, listUsers } from '../../shared/domain/admin/directory';
import { ensureSuperAdminRole, isSuperAdmin } from '../../shared/domain/admin/super-admins';
import { conflict } from '../../shared/domain/errors';

export const handler = httpApi('admin', [
  bind(r.status, async ({ caller, c }) => ({
    isSuperAdmin: await isSuperAdmin(c.db, caller, c.config.SUPER_ADMIN_EMAILS),
    impersonating: caller.impersonatedBy ? { userId: caller.userId, email: caller.email, realUserId: caller.impersonatedBy } : null,
  })),
  bind(r.listUsers, ({ c, query }) => listUsers(c.db, query, c.config.SUPER_ADMIN_EMAILS)),
  bind(r.listOrganizations, ({ c, query }) => listOrganizations(c.db, query)),
  bind(r.impersonate, async ({ caller, c, body, headers }) => {
    // better-auth's admin plugin authorises impersonation by role; a super-admin from configuration may not have it yet.
    await ensureSuperAdminRole(c.db, caller.userId);
    return authReply(await c.auth.api.impersonateUser({ body: { userId: body.userId }, headers, asResponse: true }));
  }),
  bind(r.stopImpersonating, async ({ caller, c, headers }) => {
    if (!caller.impersonatedBy) throw conflict('not_impersonating', 'This session is not impersonating anyone');
    return authReply(await c.auth.api.stopImpersonating({ headers, asResponse: true }));
  }),
]);
