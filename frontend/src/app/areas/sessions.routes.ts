import { Routes } from '@angular/router';

/** Sessions: replace this placeholder route with the area's pages. */
export default [
  {
    path: '',
    title: 'Sessions',
    loadComponent: () => import('./coming-soon.page').then((m) => m.ComingSoonPage),
    data: {
      title: 'Sessions',
      icon: 'sessions',
      summary: 'Work live with a coding agent in a cloud sandbox that has your repositories checked out.',
      features: [
        'Your running and paused sessions, with their repositories, branch and agent',
        'A live view of the agent: messages, tool calls, diffs, terminal and preview URLs',
        'Starting a session from a saved configuration or snapshot',
      ],
    },
  },
] satisfies Routes;
