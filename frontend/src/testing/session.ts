import { TestBed } from '@angular/core/testing';
import type { Me, Organization } from '../app/api/types';
import { SessionStore } from '../app/core/session.store';
import { me as meFixture, org } from './fixtures';
import { flushError, nextRequest } from './http';

/** Loads the session store as if the server said the caller is `me`, a member of `orgs`. */
export async function signIn(me: Me = meFixture(), orgs: Organization[] = [org()]): Promise<SessionStore> {
  const store = TestBed.inject(SessionStore);
  const loading = store.refresh();
  await answerSession(me, orgs);
  await loading;
  return store;
}

/** Answers the requests a session refresh sends. */
export async function answerSession(me: Me = meFixture(), orgs: Organization[] = [org()]): Promise<void> {
  (await nextRequest('/api/me')).flush(me);
  (await nextRequest('/api/orgs')).flush({ organizations: orgs });
  if (me.impersonatedBy) {
    (await nextRequest('/api/admin/status')).flush({ isSuperAdmin: false, impersonating: null });
  }
}

/** Loads the session store as signed out. */
export async function signOut(): Promise<SessionStore> {
  const store = TestBed.inject(SessionStore);
  const loading = store.refresh();
  flushError(await nextRequest('/api/me'), 401, { error: { code: 'UNAUTHENTICATED', message: 'Sign in' } });
  await loading;
  return store;
}
