import type { IconName } from '../shared/icon.component';

export interface NavItem {
  path: string;
  label: string;
  icon: IconName;
  /** Shown to super-admins only. */
  superAdmin?: boolean;
  /** Active on this path only, not on the paths below it (Settings is not active on Settings › Secrets). */
  exact?: boolean;
}

export interface NavGroup {
  label: string;
  items: NavItem[];
}

/** The side navigation. An area added later gets a line here and a lazy route in `app.routes.ts`. */
export const NAV_GROUPS: NavGroup[] = [
  {
    label: 'Work',
    items: [
      { path: '/', label: 'Overview', icon: 'home' },
      { path: '/sessions', label: 'Sessions', icon: 'sessions' },
      { path: '/automations', label: 'Automations', icon: 'automations' },
      { path: '/inbox', label: 'Inbox', icon: 'inbox' },
    ],
  },
  {
    label: 'Workspace',
    items: [
      { path: '/repos', label: 'Repos', icon: 'repo' },
      { path: '/configurations', label: 'Configurations', icon: 'configuration' },
    ],
  },
  {
    label: 'Organisation',
    items: [
      { path: '/integrations', label: 'Integrations', icon: 'integrations' },
      { path: '/members', label: 'Members', icon: 'members' },
      { path: '/api-keys', label: 'API keys', icon: 'key' },
      { path: '/billing', label: 'Billing', icon: 'billing' },
      { path: '/settings', label: 'Settings', icon: 'settings', exact: true },
      { path: '/settings/secrets', label: 'Secrets', icon: 'lock' },
    ],
  },
  {
    label: 'Platform',
    items: [{ path: '/admin', label: 'Admin', icon: 'admin', superAdmin: true }],
  },
];

/** `data-testid` of a nav link: `nav-api-keys`, `nav-overview`. */
export function navTestId(item: NavItem): string {
  return 'nav-' + item.label.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}
