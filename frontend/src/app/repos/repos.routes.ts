import { Routes } from '@angular/router';

/** Repositories the organisation's sandboxes can check out. */
export default [
  {
    path: '',
    title: 'Repos',
    loadComponent: () => import('./repos.page').then((m) => m.ReposPage),
  },
] satisfies Routes;
