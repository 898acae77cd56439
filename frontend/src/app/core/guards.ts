import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import { safeReturnUrl } from './return-url';
import { SessionStore } from './session.store';

/** Signed out → `/sign-in?returnUrl=<where they were going>`. */
export const signedInGuard: CanActivateFn = async (_route, state) => {
  const store = inject(SessionStore);
  const router = inject(Router);
  await store.ensureLoaded();
  return store.signedIn() ? true : router.createUrlTree(['/sign-in'], { queryParams: { returnUrl: state.url } });
};

/** The sign-in and sign-up pages send someone already signed in on to where they were going. */
export const signedOutGuard: CanActivateFn = async (route) => {
  const store = inject(SessionStore);
  const router = inject(Router);
  await store.ensureLoaded();
  return store.signedIn() ? router.parseUrl(safeReturnUrl(route.queryParamMap.get('returnUrl'))) : true;
};

/**
 * The dashboard needs an active organisation: activate one the user already belongs to, or send them to
 * onboarding to create or join one.
 */
export const activeOrgGuard: CanActivateFn = async (_route, state) => {
  const store = inject(SessionStore);
  const router = inject(Router);
  await store.ensureLoaded();
  if (!store.signedIn()) return router.createUrlTree(['/sign-in'], { queryParams: { returnUrl: state.url } });
  if (store.activeOrg()) return true;
  const first = store.orgs()[0];
  if (first) {
    try {
      await store.activate(first.id);
      if (store.activeOrg()) return true;
    } catch {
      // fall through to onboarding, which lets them pick again
    }
  }
  return router.createUrlTree(['/onboarding']);
};

/** Only super-admins reach `/admin`; everyone else lands on the overview. */
export const superAdminGuard: CanActivateFn = async () => {
  const store = inject(SessionStore);
  const router = inject(Router);
  await store.ensureLoaded();
  return store.isSuperAdmin() ? true : router.createUrlTree(['/']);
};
