import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { errorBody } from '../../testing/fixtures';
import { flushError, nextRequest, settle } from '../../testing/http';
import { SignUpPage } from './sign-up.page';

@Component({ template: 'verify' })
class VerifyStub {}

function type(root: HTMLElement, testId: string, value: string): void {
  const input = root.querySelector<HTMLInputElement>(`[data-testid="${testId}"]`);
  if (!input) throw new Error(`no ${testId}`);
  input.value = value;
  input.dispatchEvent(new Event('input'));
  input.dispatchEvent(new Event('blur'));
}

describe('SignUpPage', () => {
  let harness: RouterTestingHarness;
  let root: HTMLElement;
  let http: HttpTestingController;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([
          { path: 'sign-up', component: SignUpPage },
          { path: 'verify-email', component: VerifyStub },
        ]),
      ],
    });
    http = TestBed.inject(HttpTestingController);
    harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/sign-up', SignUpPage);
    root = harness.routeNativeElement as HTMLElement;
  });

  afterEach(() => http.verify());

  async function submit(): Promise<void> {
    root.querySelector<HTMLButtonElement>('[data-testid="sign-up-submit"]')!.click();
    await harness.fixture.whenStable();
  }

  it('has labelled fields and a link to sign in', () => {
    const labels = [...root.querySelectorAll('mat-label')].map((l) => l.textContent?.trim());
    expect(labels).toEqual(['Name', 'Email', 'Password']);
    expect(root.querySelector('[data-testid="sign-in-link"]')?.getAttribute('href')).toBe('/sign-in');
  });

  it('does not send an invalid form and says what is wrong', async () => {
    type(root, 'sign-up-email', 'not-an-email');
    type(root, 'sign-up-password', 'short');
    await submit();
    http.expectNone('/api/auth/sign-up/email');
    expect(root.querySelector('[data-testid="sign-up-email-error"]')?.textContent).toContain('valid email');
    expect(root.querySelector('[data-testid="sign-up-password-error"]')?.textContent).toContain('At least 8');
  });

  it('shows field errors of a 400 under the fields they name', async () => {
    type(root, 'sign-up-name', 'Ada');
    type(root, 'sign-up-email', 'ada@acme.test');
    type(root, 'sign-up-password', 'correct horse battery');
    await submit();
    const req = await nextRequest('/api/auth/sign-up/email');
    expect(req.request.body).toEqual({
      name: 'Ada',
      email: 'ada@acme.test',
      password: 'correct horse battery',
      callbackURL: '/onboarding',
    });
    flushError(req, 400, errorBody('VALIDATION', 'Invalid request', [{ field: 'body.email', message: 'This domain is not allowed' }]));
    await settle(harness.fixture);
    expect(root.querySelector('[data-testid="sign-up-email-error"]')?.textContent).toContain('This domain is not allowed');
    expect(root.querySelector('[data-testid="error-banner"]')).toBeNull();
  });

  it("puts better-auth's 'user already exists' under the email field", async () => {
    type(root, 'sign-up-name', 'Ada');
    type(root, 'sign-up-email', 'ada@acme.test');
    type(root, 'sign-up-password', 'correct horse battery');
    await submit();
    flushError(await nextRequest('/api/auth/sign-up/email'), 422, {
      code: 'USER_ALREADY_EXISTS',
      message: 'User already exists. Use another email.',
    });
    await settle(harness.fixture);
    expect(root.querySelector('[data-testid="sign-up-email-error"]')?.textContent).toContain('User already exists');
  });

  it('goes to verify-email with the address once the account exists', async () => {
    type(root, 'sign-up-name', 'Ada');
    type(root, 'sign-up-email', 'Ada@Acme.test');
    type(root, 'sign-up-password', 'correct horse battery');
    await submit();
    (await nextRequest('/api/auth/sign-up/email')).flush({
      token: null,
      user: { id: 'u1', name: 'Ada', email: 'ada@acme.test', emailVerified: false },
    });
    await settle(harness.fixture);
    expect(TestBed.inject(Router).url).toBe('/verify-email?email=ada@acme.test');
  });
});
