import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { apiKey, errorBody, invitation, member } from '../../testing/fixtures';
import { ApiError } from './api-error';
import { Api } from './api.service';
import { AuthApi } from './auth-api.service';

describe('Api', () => {
  let api: Api;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    api = TestBed.inject(Api);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('reads the members of the active organisation', async () => {
    const reply = firstValueFrom(api.listMembers());
    const req = http.expectOne('/api/org/members');
    expect(req.request.method).toBe('GET');
    req.flush({ members: [member()] });
    expect((await reply).members[0].email).toBe('ada@acme.test');
  });

  it('sends an invitation with email and role', async () => {
    const reply = firstValueFrom(api.invite({ email: 'grace@acme.test', role: 'admin' }));
    const req = http.expectOne({ method: 'POST', url: '/api/org/invitations' });
    expect(req.request.body).toEqual({ email: 'grace@acme.test', role: 'admin' });
    req.flush(invitation({ role: 'admin' }), { status: 201, statusText: 'Created' });
    expect((await reply).status).toBe('pending');
  });

  it('drops empty query parameters and encodes path parameters', () => {
    api.adminUsers({ q: '', limit: 25, offset: 50 }).subscribe();
    const req = http.expectOne((r) => r.url === '/api/admin/users');
    expect(req.request.params.has('q')).toBe(false);
    expect(req.request.params.get('limit')).toBe('25');
    expect(req.request.params.get('offset')).toBe('50');
    req.flush({ users: [], total: 0 });

    api.revokeApiKey('key/1').subscribe();
    http.expectOne({ method: 'DELETE', url: '/api/api-keys/key%2F1' }).flush({ ok: true });
  });

  it('hands back the created API key with its secret', async () => {
    const reply = firstValueFrom(api.createApiKey({ name: 'CI', expiresInDays: 30 }));
    const req = http.expectOne({ method: 'POST', url: '/api/api-keys' });
    expect(req.request.body).toEqual({ name: 'CI', expiresInDays: 30 });
    req.flush({ ...apiKey({ name: 'CI' }), key: 'pk_secret' });
    expect((await reply).key).toBe('pk_secret');
  });

  it('turns our error envelope into an ApiError with field names without their location', async () => {
    const reply = firstValueFrom(api.invite({ email: 'x', role: 'member' }));
    http
      .expectOne('/api/org/invitations')
      .flush(errorBody('VALIDATION', 'Invalid request', [{ field: 'body.email', message: 'Invalid email address' }]), {
        status: 400,
        statusText: 'Bad Request',
      });
    const error = await reply.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe('VALIDATION');
    expect(apiError.fields).toEqual([{ field: 'email', message: 'Invalid email address' }]);
    expect(apiError.requestId).toBe('req_test');
  });

  it("reads better-auth's error shape", async () => {
    const auth = TestBed.inject(AuthApi);
    const reply = firstValueFrom(auth.signIn({ email: 'a@b.test', password: 'nope' }));
    http
      .expectOne('/api/auth/sign-in/email')
      .flush({ code: 'EMAIL_NOT_VERIFIED', message: 'Email not verified' }, { status: 403, statusText: 'Forbidden' });
    await expect(reply).rejects.toMatchObject({ status: 403, code: 'EMAIL_NOT_VERIFIED', message: 'Email not verified' });
  });

  it('asks for the verification mail to land on onboarding', () => {
    TestBed.inject(AuthApi).sendVerificationEmail('a@b.test').subscribe();
    const req = http.expectOne('/api/auth/send-verification-email');
    expect(req.request.body).toEqual({ email: 'a@b.test', callbackURL: '/onboarding' });
    req.flush({ status: true });
  });
});
