import { Routes } from '@angular/router';

/** Sessions: the list (with its peek drawer, `?peek=<id>`) and one session, live. */
export default [
  {
    path: '',
    title: 'Sessions',
    loadComponent: () => import('./sessions-list.page').then((m) => m.SessionsListPage),
  },
  {
    path: ':id',
    title: 'Session',
    loadComponent: () => import('./session.page').then((m) => m.SessionPage),
  },
] satisfies Routes;
