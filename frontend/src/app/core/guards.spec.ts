import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { me, org } from '../../testing/fixtures';
import { flushError, nextRequest } from '../../testing/http';
import { answerSession } from '../../testing/session';
import { activeOrgGuard, signedInGuard, signedOutGuard, superAdminGuard } from './guards';

@Component({ template: 'page' })
class Page {}

describe('guards', () => {
  let harness: RouterTestingHarness;
  let router: Router;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([
          { path: 'sign-in', component: Page, canActivate: [signedOutGuard] },
          { path: 'onboarding', component: Page, canActivate: [signedInGuard] },
          { path: 'admin', component: Page, canActivate: [activeOrgGuard, superAdminGuard] },
          { path: 'members', component: Page, canActivate: [signedInGuard, activeOrgGuard] },
          { path: '', component: Page, canActivate: [signedInGuard, activeOrgGuard] },
        ]),
      ],
    });
    harness = await RouterTestingHarness.create();
    router = TestBed.inject(Router);
  });

  afterEach(() => TestBed.inject(HttpTestingController).verify());

  it('sends someone signed out to sign-in with where they were going', async () => {
    const navigation = harness.navigateByUrl('/members?tab=invitations');
    flushError(await nextRequest('/api/me'), 401, { error: { code: 'UNAUTHENTICATED', message: 'Sign in' } });
    await navigation;
    expect(router.url).toBe('/sign-in?returnUrl=%2Fmembers%3Ftab%3Dinvitations');
  });

  it('sends someone signed in without an organisation to onboarding', async () => {
    const navigation = harness.navigateByUrl('/members');
    await answerSession(me({ activeOrganizationId: null }), []);
    await navigation;
    expect(router.url).toBe('/onboarding');
  });

  it('activates an organisation the user already has when none is active', async () => {
    const navigation = harness.navigateByUrl('/members');
    await answerSession(me({ activeOrganizationId: null }), [org({ active: false })]);
    const activate = await nextRequest({ method: 'POST', url: '/api/orgs/org_1/activate' });
    activate.flush(org());
    await answerSession(me(), [org()]);
    await navigation;
    expect(router.url).toBe('/members');
  });

  it('lets a member with an active organisation in', async () => {
    const navigation = harness.navigateByUrl('/members');
    await answerSession();
    await navigation;
    expect(router.url).toBe('/members');
  });

  it('keeps non-admins out of /admin', async () => {
    const navigation = harness.navigateByUrl('/admin');
    await answerSession(me({ isSuperAdmin: false }));
    await navigation;
    expect(router.url).toBe('/');
  });

  it('lets super-admins into /admin', async () => {
    const navigation = harness.navigateByUrl('/admin');
    await answerSession(me({ isSuperAdmin: true }));
    await navigation;
    expect(router.url).toBe('/admin');
  });

  it('sends someone already signed in from sign-in to their return URL, never off-site', async () => {
    const first = harness.navigateByUrl('/sign-in?returnUrl=%2Fmembers');
    await answerSession();
    await first;
    expect(router.url).toBe('/members');

    await harness.navigateByUrl('/sign-in?returnUrl=%2F%2Fevil.example');
    expect(router.url).toBe('/');
  });
});
