import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { FakeSocket, fakeSocketProvider } from '../../testing/fake-socket';
import { me, org } from '../../testing/fixtures';
import { nextRequest, settle } from '../../testing/http';
import { answerSession } from '../../testing/session';
import { SessionStore } from '../core/session.store';
import type { Me } from '../api/types';
import { Shell } from './shell.component';

describe('Shell', () => {
  beforeEach(() => {
    FakeSocket.all = [];
    TestBed.configureTestingModule({
      imports: [Shell],
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([]), fakeSocketProvider],
    });
  });

  afterEach(() => TestBed.inject(HttpTestingController).verify());

  async function render(who: Me) {
    const loading = TestBed.inject(SessionStore).refresh();
    (await nextRequest('/api/me')).flush(who);
    (await nextRequest('/api/orgs')).flush({ organizations: [org()] });
    if (who.impersonatedBy) {
      (await nextRequest('/api/admin/status')).flush({
        isSuperAdmin: false,
        impersonating: { userId: who.user.id, email: who.user.email, realUserId: who.impersonatedBy },
      });
    }
    await loading;
    const fixture = TestBed.createComponent(Shell);
    await fixture.whenStable();
    return { fixture, root: fixture.nativeElement as HTMLElement };
  }

  const navIds = (root: HTMLElement) => [...root.querySelectorAll('nav a')].map((a) => a.getAttribute('data-testid'));

  it('shows every area but Admin to a member, and opens the realtime socket', async () => {
    const { root } = await render(me());
    expect(navIds(root)).toEqual([
      'nav-overview',
      'nav-sessions',
      'nav-automations',
      'nav-inbox',
      'nav-repos',
      'nav-configurations',
      'nav-integrations',
      'nav-members',
      'nav-api-keys',
      'nav-billing',
      'nav-settings',
      'nav-secrets',
    ]);
    expect(root.querySelector('[data-testid="active-org-name"]')?.textContent).toBe('Acme');
    expect(root.querySelector('[data-testid="impersonation-banner"]')).toBeNull();
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('adds Admin for super-admins', async () => {
    const { root } = await render(me({ isSuperAdmin: true }));
    expect(navIds(root)).toContain('nav-admin');
  });

  it('shows whom a super-admin impersonates and stops on request', async () => {
    const bob = me({ user: { id: 'u_bob', name: 'Bob', email: 'bob@globex.test', emailVerified: true }, impersonatedBy: 'u_admin' });
    const { fixture, root } = await render(bob);
    expect(root.querySelector('[data-testid="impersonation-banner"]')?.textContent).toContain('You are impersonating bob@globex.test');

    root.querySelector<HTMLButtonElement>('[data-testid="stop-impersonating"]')!.click();
    (await nextRequest({ method: 'POST', url: '/api/admin/stop-impersonating' })).flush({ ok: true });
    await answerSession(me({ isSuperAdmin: true }));
    await settle(fixture);
    expect(root.querySelector('[data-testid="impersonation-banner"]')).toBeNull();
    // A different user in the same organisation: the socket is opened again for them.
    expect(FakeSocket.all).toHaveLength(2);
  });
});
