import { Routes } from '@angular/router';

/** Configurations: which repos a sandbox starts with, its services, env files and snapshot. */
export default [
  {
    path: '',
    title: 'Configurations',
    loadComponent: () => import('./configurations.page').then((m) => m.ConfigurationsPage),
  },
  {
    path: ':id',
    title: 'Configuration',
    loadComponent: () => import('./configuration.page').then((m) => m.ConfigurationPage),
  },
] satisfies Routes;
