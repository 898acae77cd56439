import { Routes, UrlMatcher, UrlSegment } from '@angular/router';
import { activeOrgGuard, signedInGuard, signedOutGuard, superAdminGuard } from './core/guards';
import { Shell } from './shell/shell.component';

/** `dev/mail` and `dev/mail/:mailId` share one route, so opening a message keeps the list in place. */
const devMailMatcher: UrlMatcher = (segments) => {
  const [dev, mail, id] = segments;
  if (dev?.path !== 'dev' || mail?.path !== 'mail' || segments.length > 3) return null;
  const posParams: Record<string, UrlSegment> = id ? { mailId: id } : {};
  return { consumed: segments, posParams };
};

export const routes: Routes = [
  {
    path: 'sign-in',
    title: 'Sign in',
    canActivate: [signedOutGuard],
    loadComponent: () => import('./auth/sign-in.page').then((m) => m.SignInPage),
  },
  {
    path: 'sign-up',
    title: 'Create your account',
    canActivate: [signedOutGuard],
    loadComponent: () => import('./auth/sign-up.page').then((m) => m.SignUpPage),
  },
  {
    path: 'verify-email',
    title: 'Verify your email',
    loadComponent: () => import('./auth/verify-email.page').then((m) => m.VerifyEmailPage),
  },
  {
    matcher: devMailMatcher,
    title: 'Dev mailbox',
    loadComponent: () => import('./dev-mail/dev-mail.page').then((m) => m.DevMailPage),
  },
  {
    path: 'onboarding',
    title: 'Get started',
    canActivate: [signedInGuard],
    loadComponent: () => import('./onboarding/onboarding.page').then((m) => m.OnboardingPage),
  },
  {
    path: 'invite/:id',
    title: 'Invitation',
    loadComponent: () => import('./invite/invite.page').then((m) => m.InvitePage),
  },
  {
    path: 'preview/:id',
    title: 'Shared preview',
    loadComponent: () => import('./preview/public-preview.page').then((m) => m.PublicPreviewPage),
  },
  {
    // The dashboard. Product areas plug in here as lazy routes (and in shell/nav-items.ts).
    path: '',
    component: Shell,
    canActivate: [signedInGuard, activeOrgGuard],
    // Who is signed in can change while the URL stays inside the shell (a super-admin starts impersonating someone,
    // whose session has no active organisation yet): check again on every navigation, not only on entering it.
    runGuardsAndResolvers: 'always',
    children: [
      {
        path: '',
        pathMatch: 'full',
        title: 'Overview',
        loadComponent: () => import('./overview/overview.page').then((m) => m.OverviewPage),
      },
      { path: 'sessions', loadChildren: () => import('./sessions/sessions.routes') },
      { path: 'repos', loadChildren: () => import('./repos/repos.routes') },
      { path: 'configurations', loadChildren: () => import('./configurations/configurations.routes') },
      { path: 'automations', loadChildren: () => import('./areas/automations.routes') },
      { path: 'inbox', loadChildren: () => import('./areas/inbox.routes') },
      { path: 'integrations', loadChildren: () => import('./areas/integrations.routes') },
      { path: 'billing', loadChildren: () => import('./areas/billing.routes') },
      {
        path: 'members',
        title: 'Members',
        loadComponent: () => import('./members/members.page').then((m) => m.MembersPage),
      },
      {
        path: 'api-keys',
        title: 'API keys',
        loadComponent: () => import('./api-keys/api-keys.page').then((m) => m.ApiKeysPage),
      },
      {
        path: 'settings',
        title: 'Settings',
        loadComponent: () => import('./settings/settings.page').then((m) => m.SettingsPage),
      },
      {
        path: 'settings/secrets',
        title: 'Secrets',
        loadComponent: () => import('./settings/secrets.page').then((m) => m.SecretsPage),
      },
      {
        path: 'admin',
        title: 'Admin',
        canActivate: [superAdminGuard],
        loadComponent: () => import('./admin/admin.page').then((m) => m.AdminPage),
      },
    ],
  },
  {
    path: '**',
    title: 'Not found',
    loadComponent: () => import('./not-found/not-found.page').then((m) => m.NotFoundPage),
  },
];
