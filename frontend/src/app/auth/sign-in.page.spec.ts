import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { flushError, nextRequest, settle } from '../../testing/http';
import { answerSession } from '../../testing/session';
import { SignInPage } from './sign-in.page';

@Component({ template: 'elsewhere' })
class Elsewhere {}

describe('SignInPage', () => {
  let harness: RouterTestingHarness;
  let root: HTMLElement;

  async function open(url: string): Promise<void> {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([
          { path: 'sign-in', component: SignInPage },
          { path: 'verify-email', component: Elsewhere },
          { path: '**', component: Elsewhere },
        ]),
      ],
    });
    harness = await RouterTestingHarness.create();
    await harness.navigateByUrl(url, SignInPage);
    root = harness.routeNativeElement as HTMLElement;
  }

  afterEach(() => TestBed.inject(HttpTestingController).verify());

  async function submit(email: string, password: string): Promise<void> {
    for (const [id, value] of [['sign-in-email', email], ['sign-in-password', password]]) {
      const input = root.querySelector<HTMLInputElement>(`[data-testid="${id}"]`)!;
      input.value = value;
      input.dispatchEvent(new Event('input'));
    }
    root.querySelector<HTMLButtonElement>('[data-testid="sign-in-submit"]')!.click();
  }

  it('signs in and returns to where the user was going', async () => {
    await open('/sign-in?returnUrl=%2Fmembers');
    await submit('Ada@Acme.test', 'secret-password');
    const req = await nextRequest('/api/auth/sign-in/email');
    expect(req.request.body).toEqual({ email: 'ada@acme.test', password: 'secret-password' });
    req.flush({ token: 't', user: {} });
    await answerSession();
    await settle(harness.fixture);
    expect(TestBed.inject(Router).url).toBe('/members');
  });

  it('says so on a wrong password', async () => {
    await open('/sign-in');
    await submit('ada@acme.test', 'nope');
    flushError(await nextRequest('/api/auth/sign-in/email'), 401, { code: 'INVALID_EMAIL_OR_PASSWORD', message: 'Invalid email or password' });
    await settle(harness.fixture);
    expect(root.querySelector('[data-testid="error-banner"]')?.textContent).toContain('Invalid email or password.');
  });

  it('points an unverified user to the verification page', async () => {
    await open('/sign-in');
    await submit('ada@acme.test', 'secret-password');
    flushError(await nextRequest('/api/auth/sign-in/email'), 403, { code: 'EMAIL_NOT_VERIFIED', message: 'Email not verified' });
    await settle(harness.fixture);
    const link = root.querySelector('[data-testid="verify-email-link"]');
    expect(link?.getAttribute('href')).toBe('/verify-email?email=ada@acme.test');
  });

  it('explains a verification link that failed', async () => {
    await open('/sign-in?returnUrl=%2Fonboarding%3Ferror%3DTOKEN_EXPIRED');
    expect(root.querySelector('[data-testid="link-error-banner"]')?.textContent).toContain('invalid or has expired');
  });
});
