import { betterAuth } from 'better-auth/minimal';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { admin, bearer, organization } from 'better-auth/plugins';
import { apiKey } from '@better-auth/api-key';
import type { Config } from '../config';
import type { Db } from '../db/client';
import * as schema from '../db/schema';
import type { MailTemplate } from '../contracts/messages';
import type { Clock } from '../ports';
import type { Logger } from '../runtime/logger';
import { grantSuperAdminOnSignUp } from '../domain/admin/super-admins';

export interface AuthDeps {
  db: Db;
  config: Config;
  logger: Logger;
  clock: Clock;
  /** Writes a mail to the outbox; it is sent by the mail queue's consumer. */
  enqueueMail(mail: MailTemplate): Promise<void>;
  /** Secret used when BETTER_AUTH_SECRET is unset (the embedded runtime keeps one in its data directory). */
  secret: string;
}

/** API keys carry this prefix so they can never be mistaken for session tokens in an Authorization header. */
export const API_KEY_PREFIX = 'prl_';

/**
 * Organisation writes (create, invite, accept, roles, removal) go through our services, which enforce the product's
 * rules and write the outbox in the same transaction; better-auth keeps sessions, the active organisation, reads,
 * API key hashing and admin impersonation. These paths are switched off so there is one way to do each thing.
 */
const DISABLED_PATHS = [
  '/organization/create',
  '/organization/update',
  '/organization/delete',
  '/organization/invite-member',
  '/organization/accept-invitation',
  '/organization/reject-invitation',
  '/organization/cancel-invitation',
  '/organization/update-member-role',
  '/organization/remove-member',
  '/organization/leave',
  '/organization/add-member',
  '/api-key/create',
  '/api-key/update',
  '/api-key/delete',
  '/api-key/delete-all-expired-api-keys',
  '/admin/create-user',
  '/admin/set-role',
  '/admin/remove-user',
  '/admin/set-user-password',
];

export function createAuth(deps: AuthDeps) {
  const { config } = deps;
  const origins = new Set([config.publicUrl, `http://localhost:${config.PORT}`, `http://127.0.0.1:${config.PORT}`]);
  return betterAuth({
    appName: 'Proliferate',
    baseURL: config.publicUrl,
    basePath: '/api/auth',
    secret: config.BETTER_AUTH_SECRET ?? deps.secret,
    trustedOrigins: [...origins],
    telemetry: { enabled: false },
    disabledPaths: DISABLED_PATHS,
    database: drizzleAdapter(deps.db, { provider: 'pg', schema: { ...schema } }),
    // Each Lambda instance would keep its own in-memory counters; the database is shared by all of them.
    rateLimit: { enabled: config.NODE_ENV === 'production', storage: 'database', window: 60, max: 100 },
    session: { expiresIn: 60 * 60 * 24 * 7, updateAge: 60 * 60 * 24 },
    emailAndPassword: {
      enabled: true,
      requireEmailVerification: config.REQUIRE_EMAIL_VERIFICATION,
      minPasswordLength: 8,
      maxPasswordLength: 128,
      sendResetPassword: async ({ user, url }) => {
        await deps.enqueueMail({ template: 'password-reset', to: user.email, name: user.name, url });
      },
    },
    emailVerification: {
      sendOnSignUp: config.REQUIRE_EMAIL_VERIFICATION,
      autoSignInAfterVerification: true,
      sendVerificationEmail: async ({ user, url }) => {
        await deps.enqueueMail({ template: 'verify-email', to: user.email, name: user.name, url });
      },
    },
    databaseHooks: {
      user: {
        create: {
          after: async (user) => {
            await grantSuperAdminOnSignUp(deps.db, { userId: user.id, email: user.email }, config.SUPER_ADMIN_EMAILS);
          },
        },
      },
    },
    plugins: [
      organization({ allowUserToCreateOrganization: true, invitationExpiresIn: config.INVITATION_TTL_HOURS * 3600 }),
      apiKey({
        defaultPrefix: API_KEY_PREFIX,
        enableMetadata: true,
        rateLimit: { enabled: false },
        apiKeyHeaders: ['x-api-key'],
      }),
      admin({ impersonationSessionDuration: 60 * 60 }),
      bearer(),
    ],
    logger: {
      level: config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace' ? 'debug' : 'warn',
      log: (level, message, ...args) => {
        const log = deps.logger.child({ component: 'auth' });
        const fields = args.length ? { args: args.map((a) => (a instanceof Error ? a.message : a)) } : {};
        if (level === 'error') log.error(fields, message);
        else if (level === 'warn') log.warn(fields, message);
        else log.debug(fields, message);
      },
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;
