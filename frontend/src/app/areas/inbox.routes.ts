import { Routes } from '@angular/router';

/** Inbox: replace this placeholder route with the area's pages. */
export default [
  {
    path: '',
    title: 'Inbox',
    loadComponent: () => import('./coming-soon.page').then((m) => m.ComingSoonPage),
    data: {
      title: 'Inbox',
      icon: 'inbox',
      summary: 'Everything that is waiting for a person.',
      features: [
        'Actions an agent wants to take that need your approval, and reusable grants',
        'Runs that finished as "needs human"',
        'Requests from agents for environment variables or access',
      ],
    },
  },
] satisfies Routes;
