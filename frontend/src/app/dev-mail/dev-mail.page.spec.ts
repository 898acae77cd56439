import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { nextRequest, settle } from '../../testing/http';
import type { DevMail } from '../api/types';
import { routes } from '../app.routes';
import { DEV_MAIL_POLL_MS } from './dev-mail.page';

const verifyMail: DevMail = {
  id: 'mail_2',
  to: 'ada@acme.test',
  from: 'Proliferate <no-reply@proliferate.local>',
  subject: 'Verify your email',
  text: 'Hi Ada,\n\nConfirm your address: http://localhost:4100/api/auth/verify-email?token=t0k&callbackURL=%2Fonboarding\n',
  html: null,
  createdAt: '2026-11-26T10:05:00.000Z',
};
const olderMail: DevMail = { ...verifyMail, id: 'mail_1', subject: 'Older', text: 'old', createdAt: '2026-11-25T10:00:00.000Z' };

describe('DevMailPage', () => {
  let harness: RouterTestingHarness;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter(routes),
        { provide: DEV_MAIL_POLL_MS, useValue: 60 * 60 * 1000 },
      ], });
    harness = await RouterTestingHarness.create();
  });

  afterEach(() => TestBed.inject(HttpTestingController).verify());

  it('lists mail newest first for a recipient and opens a message with clickable links, without signing in', async () => {
    await harness.navigateByUrl('/dev/mail?to=ada@acme.test');
    const list = await nextRequest((r) => r.url === '/api/dev/mail');
    expect(list.request.params.get('to')).toBe('ada@acme.test');
    list.flush({ messages: [olderMail, verifyMail] });
    await settle(harness.fixture);

    const root = harness.routeNativeElement as HTMLElement;
    const items = [...root.querySelectorAll<HTMLAnchorElement>('[data-testid="dev-mail-item"]')];
    expect(items.map((i) => i.textContent)).toEqual([expect.stringContaining('Verify your email'), expect.stringContaining('Older')]);
    expect(items[0].getAttribute('href')).toBe('/dev/mail/mail_2?to=ada@acme.test');

    items[0].click();
    (await nextRequest('/api/dev/mail/mail_2')).flush(verifyMail);
    await settle(harness.fixture);
    expect(TestBed.inject(Router).url).toBe('/dev/mail/mail_2?to=ada@acme.test');

    const link = root.querySelector<HTMLAnchorElement>('[data-testid="dev-mail-message-link"]');
    expect(link?.getAttribute('href')).toBe('http://localhost:4100/api/auth/verify-email?token=t0k&callbackURL=%2Fonboarding');
    expect(root.querySelector('[data-testid="dev-mail-subject"]')?.textContent).toBe('Verify your email');
    // The list stayed: opening a message reuses the page.
    expect(root.querySelectorAll('[data-testid="dev-mail-item"]')).toHaveLength(2);
  });

  it('says when there is no mail', async () => {
    await harness.navigateByUrl('/dev/mail');
    (await nextRequest((r) => r.url === '/api/dev/mail')).flush({ messages: [] });
    await settle(harness.fixture);
    expect((harness.routeNativeElement as HTMLElement).querySelector('[data-testid="empty-state"]')?.textContent).toContain('No mail yet');
  });
});
