import { Routes } from '@angular/router';

/** Integrations: replace this placeholder route with the area's pages. */
export default [
  {
    path: '',
    title: 'Integrations',
    loadComponent: () => import('./coming-soon.page').then((m) => m.ComingSoonPage),
    data: {
      title: 'Integrations',
      icon: 'integrations',
      summary: 'The external systems agents and automations can reach.',
      features: [
        'GitHub repositories, Linear, Sentry, PostHog and Slack connections',
        'Remote MCP connectors and the actions they offer, with their risk ratings',
        'Secrets and environment files handed to sandboxes',
      ],
    },
  },
] satisfies Routes;
