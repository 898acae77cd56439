import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { FakeSocket, fakeSocketProvider } from '../../testing/fake-socket';
import { errorBody, invitation, me, member, org } from '../../testing/fixtures';
import { flushError, nextRequest, settle } from '../../testing/http';
import { signIn } from '../../testing/session';
import { Realtime } from '../core/realtime.service';
import { MembersPage } from './members.page';

const ada = member();
const grace = member({ id: 'mem_2', userId: 'user_2', name: 'Grace Hopper', email: 'grace@acme.test', role: 'member' });

describe('MembersPage', () => {
  let fixture: ComponentFixture<MembersPage>;
  let root: HTMLElement;

  async function render(role: 'owner' | 'admin' | 'member' = 'owner'): Promise<void> {
    TestBed.configureTestingModule({
      imports: [MembersPage],
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([]), fakeSocketProvider],
    });
    await signIn(me(), [org({ role })]);
    fixture = TestBed.createComponent(MembersPage);
    root = fixture.nativeElement as HTMLElement;
    fixture.detectChanges();
    (await nextRequest('/api/org/members')).flush({ members: [ada, grace] });
    (await nextRequest((r) => r.url === '/api/org/invitations' && r.method === 'GET')).flush({
      invitations: [invitation(), invitation({ id: 'inv_2', email: 'old@acme.test', status: 'revoked' })],
    });
    await settle(fixture);
  }

  beforeEach(() => (FakeSocket.all = []));
  afterEach(() => TestBed.inject(HttpTestingController).verify());

  const rows = (testId: string) => [...root.querySelectorAll(`[data-testid="${testId}"]`)];

  it('lists members with their roles and invitations with status chips', async () => {
    await render();
    expect(rows('member-row').map((r) => r.getAttribute('data-email'))).toEqual(['ada@acme.test', 'grace@acme.test']);
    expect(rows('invitation-status').map((c) => c.textContent?.trim())).toEqual(['pending', 'revoked']);
    // Owners change roles of others and remove them, never themselves.
    expect(rows('member-role-select')).toHaveLength(1);
    expect(rows('member-remove').map((b) => b.getAttribute('aria-label'))).toEqual(['Remove grace@acme.test']);
    // Only pending invitations can be revoked.
    expect(rows('invitation-revoke')).toHaveLength(1);
  });

  it('hides management from plain members', async () => {
    await render('member');
    expect(root.querySelector('[data-testid="invite-form"]')).toBeNull();
    expect(rows('member-remove')).toHaveLength(0);
    expect(rows('member-role-select')).toHaveLength(0);
    expect(rows('invitation-revoke')).toHaveLength(0);
  });

  it('puts a field error of the invite form next to the email field', async () => {
    await render();
    const email = root.querySelector<HTMLInputElement>('[data-testid="invite-email"]')!;
    email.value = 'grace@acme.test';
    email.dispatchEvent(new Event('input'));
    root.querySelector<HTMLButtonElement>('[data-testid="invite-submit"]')!.click();
    const req = await nextRequest({ method: 'POST', url: '/api/org/invitations' });
    expect(req.request.body).toEqual({ email: 'grace@acme.test', role: 'member' });
    flushError(req, 409, errorBody('CONFLICT', 'Already a member', [{ field: 'body.email', message: 'grace@acme.test is already a member' }]));
    await settle(fixture);
    expect(root.querySelector('[data-testid="invite-email-error"]')?.textContent).toContain('is already a member');
  });

  it('refreshes members and invitations when an organisation event arrives', async () => {
    await render();
    // The shell connects the socket; the page only listens.
    TestBed.inject(Realtime).connect();
    const socket = FakeSocket.last();
    socket.open();
    socket.receive({ type: 'org.event', event: 'member.joined', organizationId: 'org_2', data: {} });
    socket.receive({ type: 'org.event', event: 'member.joined', organizationId: 'org_1', data: {} });
    socket.receive({ type: 'org.event', event: 'invitation.accepted', organizationId: 'org_1', data: {} });
    await new Promise((resolve) => setTimeout(resolve, 200));
    (await nextRequest('/api/org/members')).flush({ members: [ada, grace, member({ id: 'mem_3', userId: 'u3', email: 'new@acme.test', role: 'member' })] });
    (await nextRequest((r) => r.url === '/api/org/invitations')).flush({ invitations: [invitation({ status: 'accepted' })] });
    await settle(fixture);
    expect(rows('member-row')).toHaveLength(3);
    expect(rows('invitation-status').map((c) => c.textContent?.trim())).toEqual(['accepted']);
  });
});
