import { Routes } from '@angular/router';

/** Automations: replace this placeholder route with the area's pages. */
export default [
  {
    path: '',
    title: 'Automations',
    loadComponent: () => import('./coming-soon.page').then((m) => m.ComingSoonPage),
    data: {
      title: 'Automations',
      icon: 'automations',
      summary: 'Agents that start by themselves when a trigger fires, and report back.',
      features: [
        'Triggers: GitHub, Linear, Sentry and PostHog webhooks, polled sources and cron schedules',
        'The runs each automation started, their outcome, pull requests and artifacts',
        'Where results are reported: Slack channels, pull request links',
      ],
    },
  },
] satisfies Routes;
