import { sessionCommand, sessionsCommand } from './session-commands';
import { table } from './table';
import { UsageError, type CommandSpec } from './types';

export { UsageError } from './types';
export type { Command, CommandSpec, Options } from './types';

interface Health {
  status: string;
  version: string;
  runtime: string;
  checks: Record<string, { ok: boolean; detail?: string; ms?: number }>;
}

export const commands: Record<string, CommandSpec> = {
  status: {
    summary: 'Health of the server and its parts',
    usage: 'status',
    run: async (api) => {
      const h = await api.request<Health>('GET', '/api/health');
      return `${api.baseUrl}: ${h.status} (version ${h.version}, ${h.runtime} runtime)\n\n` +
        table(['part', 'ok', 'detail'], Object.entries(h.checks).map(([name, c]) => [name, c.ok ? 'yes' : 'NO', c.detail]));
    },
  },
  whoami: {
    summary: 'The user and organisation this API key acts as',
    usage: 'whoami',
    run: async (api) => {
      const me = await api.request<{ user: { name: string; email: string }; activeOrganizationId: string | null }>('GET', '/api/me');
      const org = await api.request<{ name: string; slug: string; role: string }>('GET', '/api/org');
      return `${me.user.name} <${me.user.email}>, ${org.role} of ${org.name} (${org.slug})`;
    },
  },
  members: {
    summary: "Members of the key's organisation",
    usage: 'members',
    run: async (api) => {
      const { members } = await api.request<{ members: { name: string; email: string; role: string; createdAt: string }[] }>('GET', '/api/org/members');
      return table(['name', 'email', 'role', 'joined'], members.map((m) => [m.name, m.email, m.role, m.createdAt.slice(0, 10)]));
    },
  },
  invitations: {
    summary: "Invitations of the key's organisation",
    usage: 'invitations',
    run: async (api) => {
      const { invitations } = await api.request<{ invitations: { email: string; role: string; status: string; expiresAt: string }[] }>('GET', '/api/org/invitations');
      return table(['email', 'role', 'status', 'expires'], invitations.map((i) => [i.email, i.role, i.status, i.expiresAt.slice(0, 16).replace('T', ' ')]));
    },
  },
  invite: {
    summary: 'Invite someone by email (owners and admins)',
    usage: 'invite <email> [--role member|admin]',
    run: async (api, [email], options) => {
      if (!email) throw new UsageError('invite needs an email address');
      const inv = await api.request<{ email: string; role: string; expiresAt: string }>('POST', '/api/org/invitations', { email, role: options.role ?? 'member' });
      return `Invited ${inv.email} as ${inv.role}; the invitation expires ${inv.expiresAt.slice(0, 16).replace('T', ' ')} UTC.`;
    },
  },
  sessions: sessionsCommand,
  session: sessionCommand,
};
