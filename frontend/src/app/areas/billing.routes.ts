import { Routes } from '@angular/router';

/** Billing: replace this placeholder route with the area's pages. */
export default [
  {
    path: '',
    title: 'Billing',
    loadComponent: () => import('./coming-soon.page').then((m) => m.ComingSoonPage),
    data: {
      title: 'Billing',
      icon: 'billing',
      summary: 'Credits, usage and spend of this organisation.',
      features: [
        'Your credit balance and how compute and model use draw it down',
        'Usage by session, automation and member',
        'Budgets, top-ups and invoices',
      ],
    },
  },
] satisfies Routes;
