import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { errorBody, me, org, publicInvitation } from '../../testing/fixtures';
import { flushError, nextRequest, settle } from '../../testing/http';
import { answerSession } from '../../testing/session';
import type { Me, PublicInvitation } from '../api/types';
import { InvitePage } from './invite.page';

@Component({ template: 'elsewhere' })
class Elsewhere {}

const grace = me({ user: { id: 'user_2', name: 'Grace Hopper', email: 'grace@acme.test', emailVerified: true }, activeOrganizationId: null });

describe('InvitePage', () => {
  let harness: RouterTestingHarness;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([
          { path: 'invite/:id', component: InvitePage },
          { path: 'sign-in', component: Elsewhere },
          { path: '', component: Elsewhere },
        ]),
      ],
    });
    harness = await RouterTestingHarness.create();
  });

  afterEach(() => TestBed.inject(HttpTestingController).verify());

  /** Opens the page; `who` null means signed out. */
  async function open(invitation: PublicInvitation | { status: number; body: object }, who: Me | null): Promise<HTMLElement> {
    const navigation = harness.navigateByUrl('/invite/inv_1');
    const req = await nextRequest('/api/invitations/inv_1');
    if ('id' in invitation) req.flush(invitation);
    else flushError(req, invitation.status, invitation.body);
    if (who) await answerSession(who, []);
    else flushError(await nextRequest('/api/me'), 401, errorBody('UNAUTHENTICATED', 'Sign in'));
    await navigation;
    await settle(harness.fixture);
    return harness.routeNativeElement as HTMLElement;
  }

  const text = (root: HTMLElement, testId: string) => root.querySelector(`[data-testid="${testId}"]`)?.textContent?.trim();

  it('shows the organisation, inviter and role, and sign-in / sign-up links that come back here', async () => {
    const root = await open(publicInvitation(), null);
    expect(text(root, 'invite-title')).toBe('Join Acme');
    expect(text(root, 'invite-role')).toBe('admin');
    expect(root.textContent).toContain('Ada Lovelace invited you');
    expect(text(root, 'invite-status')).toBe('pending');
    const signIn = root.querySelector('[data-testid="invite-sign-in"]')?.getAttribute('href');
    const signUp = root.querySelector('[data-testid="invite-sign-up"]')?.getAttribute('href');
    expect(signIn).toBe('/sign-in?returnUrl=%2Finvite%2Finv_1&email=grace@acme.test');
    expect(signUp).toBe('/sign-up?returnUrl=%2Finvite%2Finv_1&email=grace@acme.test');
    expect(root.querySelector('[data-testid="invite-accept"]')).toBeNull();
  });

  it('accepts for the invited user and goes to the dashboard in that organisation', async () => {
    const root = await open(publicInvitation(), grace);
    const accept = root.querySelector<HTMLButtonElement>('[data-testid="invite-accept"]');
    expect(accept?.textContent).toContain('Accept invitation');
    accept!.click();
    (await nextRequest({ method: 'POST', url: '/api/invitations/inv_1/accept' })).flush(org({ role: 'admin' }));
    await answerSession({ ...grace, activeOrganizationId: 'org_1' }, [org({ role: 'admin' })]);
    await settle(harness.fixture);
    expect(TestBed.inject(Router).url).toBe('/');
  });

  it('matches the invited address without regard to case', async () => {
    const root = await open(publicInvitation({ email: 'Grace@Acme.test' }), grace);
    expect(root.querySelector('[data-testid="invite-accept"]')).not.toBeNull();
  });

  it('explains when someone else is signed in', async () => {
    const root = await open(publicInvitation(), me());
    expect(text(root, 'invite-message')).toContain('This invitation is for grace@acme.test, but you are signed in as ada@acme.test');
    expect(root.querySelector('[data-testid="invite-accept"]')).toBeNull();
  });

  it('says a revoked invitation cannot be used', async () => {
    const root = await open(publicInvitation({ status: 'revoked' }), grace);
    expect(text(root, 'invite-message')).toContain('revoked');
    expect(root.querySelector('[data-testid="invite-accept"]')).toBeNull();
  });

  it('treats a pending invitation past its expiry as expired', async () => {
    const root = await open(publicInvitation({ expiresAt: '2020-01-01T00:00:00.000Z' }), grace);
    expect(text(root, 'invite-message')).toContain('expired');
    expect(root.querySelector('[data-testid="invite-accept"]')).toBeNull();
  });

  it('says so when the invitation does not exist', async () => {
    const root = await open({ status: 404, body: errorBody('NOT_FOUND', 'Invitation not found') }, null);
    expect(root.querySelector('[data-testid="invite-card"]')?.getAttribute('data-state')).toBe('not-found');
    expect(text(root, 'invite-message')).toContain('not valid');
  });

  it('shows why accepting failed', async () => {
    const root = await open(publicInvitation(), grace);
    root.querySelector<HTMLButtonElement>('[data-testid="invite-accept"]')!.click();
    flushError(await nextRequest('/api/invitations/inv_1/accept'), 409, errorBody('ALREADY_MEMBER', 'You are already a member of Acme'));
    await settle(harness.fixture);
    expect(text(root, 'error-banner')).toContain('You are already a member of Acme');
  });
});
