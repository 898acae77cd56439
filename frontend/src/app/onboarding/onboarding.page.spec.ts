import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { errorBody, me, org, publicInvitation } from '../../testing/fixtures';
import { flushError, nextRequest, settle } from '../../testing/http';
import { answerSession, signIn } from '../../testing/session';
import type { Onboarding } from '../api/types';
import { OnboardingPage } from './onboarding.page';

@Component({ template: 'dashboard' })
class Dashboard {}

const fresh: Onboarding = { hasOrg: false, onboardingComplete: false, activeOrganizationId: null, suggestions: [], pendingInvitations: [] };
const newcomer = me({ activeOrganizationId: null });

describe('OnboardingPage', () => {
  let harness: RouterTestingHarness;
  let root: HTMLElement;

  async function open(state: Onboarding, who = newcomer): Promise<void> {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([
          { path: 'onboarding', component: OnboardingPage },
          { path: '', component: Dashboard },
          { path: 'admin', component: Dashboard },
        ]),
      ],
    });
    await signIn(who, []);
    harness = await RouterTestingHarness.create();
    const navigation = harness.navigateByUrl('/onboarding');
    (await nextRequest('/api/onboarding')).flush(state);
    await navigation;
    await settle(harness.fixture);
    root = harness.routeNativeElement as HTMLElement;
  }

  afterEach(() => TestBed.inject(HttpTestingController).verify());

  function fill(testId: string, value: string): void {
    const input = root.querySelector<HTMLInputElement>(`[data-testid="${testId}"]`)!;
    input.value = value;
    input.dispatchEvent(new Event('input'));
  }

  it('creates an organisation, then finishes onboarding and opens the dashboard', async () => {
    await open(fresh);
    fill('onboarding-org-name', 'Initech');
    fill('onboarding-org-slug', 'initech');
    root.querySelector<HTMLButtonElement>('[data-testid="onboarding-create-org"]')!.click();
    const create = await nextRequest({ method: 'POST', url: '/api/orgs' });
    expect(create.request.body).toEqual({ name: 'Initech', slug: 'initech' });
    create.flush(org({ name: 'Initech', slug: 'initech', onboardingComplete: false }));
    await answerSession(me(), [org({ name: 'Initech', onboardingComplete: false })]);
    await settle(harness.fixture);
    expect(root.querySelector('[data-testid="onboarding-finish-step"]')?.textContent).toContain('Initech is ready');

    root.querySelector<HTMLButtonElement>('[data-testid="onboarding-finish"]')!.click();
    (await nextRequest({ method: 'POST', url: '/api/onboarding/complete' })).flush({ ...fresh, hasOrg: true, onboardingComplete: true });
    await answerSession(me(), [org({ name: 'Initech' })]);
    await settle(harness.fixture);
    expect(TestBed.inject(Router).url).toBe('/');
  });

  it('checks the slug before sending and shows a taken slug under its field', async () => {
    await open(fresh);
    fill('onboarding-org-name', 'Initech');
    fill('onboarding-org-slug', 'Not A Slug');
    root.querySelector<HTMLButtonElement>('[data-testid="onboarding-create-org"]')!.click();
    await settle(harness.fixture);
    TestBed.inject(HttpTestingController).expectNone('/api/orgs');
    expect(root.textContent).toContain('Use lowercase letters, digits and single dashes.');

    fill('onboarding-org-slug', 'initech');
    root.querySelector<HTMLButtonElement>('[data-testid="onboarding-create-org"]')!.click();
    flushError(await nextRequest('/api/orgs'), 409, errorBody('CONFLICT', 'Slug taken', [{ field: 'body.slug', message: 'This slug is taken' }]));
    await settle(harness.fixture);
    expect(root.textContent).toContain('This slug is taken');
  });

  it('shows no impersonation banner to the person themselves', async () => {
    await open(fresh);
    expect(root.querySelector('[data-testid="impersonation-banner"]')).toBeNull();
  });

  it('keeps the impersonation banner, and the way back, for a super-admin impersonating someone without an organisation', async () => {
    await open(fresh, me({ activeOrganizationId: null, impersonatedBy: 'user_admin' }));
    const banner = root.querySelector('[data-testid="impersonation-banner"]');
    expect(banner?.textContent).toContain('ada@acme.test');

    root.querySelector<HTMLButtonElement>('[data-testid="stop-impersonating"]')!.click();
    (await nextRequest({ method: 'POST', url: '/api/admin/stop-impersonating' })).flush({ ok: true });
    await answerSession(me({ isSuperAdmin: true }), [org()]);
    await settle(harness.fixture);
    expect(TestBed.inject(Router).url).toBe('/admin');
  });

  it('offers pending invitations and domain matches, and joins one', async () => {
    await open({
      ...fresh,
      pendingInvitations: [publicInvitation({ organizationName: 'Acme' })],
      suggestions: [{ id: 'org_9', name: 'Globex', slug: 'globex', memberCount: 3 }],
    });
    expect(root.querySelector('[data-testid="onboarding-invitations"]')?.textContent).toContain('Acme');
    expect(root.querySelector('[data-testid="onboarding-suggestions"]')?.textContent).toContain('3 members');

    root.querySelector<HTMLButtonElement>('[data-testid="onboarding-join-org"]')!.click();
    (await nextRequest({ method: 'POST', url: '/api/orgs/org_9/join' })).flush(org({ id: 'org_9', name: 'Globex', role: 'member' }));
    await answerSession(me({ activeOrganizationId: 'org_9' }), [org({ id: 'org_9', name: 'Globex', role: 'member' })]);
    await settle(harness.fixture);
    expect(TestBed.inject(Router).url).toBe('/');
  });
});
