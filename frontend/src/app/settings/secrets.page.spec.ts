import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatButtonToggleHarness } from '@angular/material/button-toggle/testing';
import { MatDialog } from '@angular/material/dialog';
import { MatSelectHarness } from '@angular/material/select/testing';
import { configuration, me, org, repo, secret } from '../../testing/fixtures';
import { nextRequest, settle } from '../../testing/http';
import { signIn } from '../../testing/session';
import type { Role, Secret } from '../api/types';
import { SecretsPage } from './secrets.page';

const list = (secrets: Secret[]) => ({ secrets, total: secrets.length, nextOffset: null });
const listRequest = () => nextRequest((r) => r.url === '/api/secrets' && r.method === 'GET');

describe('SecretsPage', () => {
  let fixture: ComponentFixture<SecretsPage>;
  let root: HTMLElement;

  async function render(role: Role, secrets: Secret[]) {
    TestBed.configureTestingModule({ imports: [SecretsPage], providers: [provideHttpClient(), provideHttpClientTesting()] });
    await signIn(me(), [org({ role })]);
    fixture = TestBed.createComponent(SecretsPage);
    root = fixture.nativeElement as HTMLElement;
    fixture.detectChanges();
    (await listRequest()).flush(list(secrets));
    (await nextRequest((r) => r.url === '/api/repos')).flush({ repos: [repo({ id: 'repo_web', name: 'acme/web' })], total: 1, nextOffset: null });
    (await nextRequest((r) => r.url === '/api/configurations')).flush({ configurations: [configuration({ id: 'cfg_full', name: 'fullstack' })], total: 1, nextOffset: null });
    await settle(fixture);
  }

  afterEach(() => {
    TestBed.inject(MatDialog).closeAll();
    TestBed.inject(HttpTestingController).verify();
  });

  const el = <T extends HTMLElement = HTMLElement>(testId: string) => root.querySelector<T>(`[data-testid="${testId}"]`);
  const rows = () => [...root.querySelectorAll('[data-testid="secret-row"]')].map((r) => `${r.getAttribute('data-key')}:${r.querySelector('[data-testid="secret-scope-cell"]')?.textContent?.trim()}`);
  function type(testId: string, value: string): void {
    const input = el<HTMLInputElement | HTMLTextAreaElement>(testId)!;
    input.value = value;
    input.dispatchEvent(new Event('input'));
  }

  it('lists keys with where they apply, and offers nothing to change to a member', async () => {
    await render('member', [
      secret({ id: 'sec_2', key: 'STRIPE_KEY', scope: 'configuration', configurationId: 'cfg_full' }),
      secret({ id: 'sec_1', key: 'API_TOKEN', scope: 'repo', repoId: 'repo_web' }),
      secret({ id: 'sec_3', key: 'SENTRY_DSN' }),
    ]);
    expect(rows()).toEqual(['STRIPE_KEY:Configuration fullstack', 'API_TOKEN:Repo acme/web', 'SENTRY_DSN:Organisation']);
    expect(el('secrets-read-only')?.textContent).toContain('Only owners and admins');
    expect(el('secret-add-form')).toBeNull();
    expect(el('secret-delete')).toBeNull();
  });

  it('adds a secret for a repo with a password field, and clears the value once saved', async () => {
    await render('owner', []);
    expect(el('empty-state')?.textContent).toContain('No secrets yet');
    expect(el<HTMLInputElement>('secret-value')!.type).toBe('password');
    const loader = TestbedHarnessEnvironment.loader(fixture);
    await (await loader.getHarness(MatSelectHarness.with({ selector: '[data-testid="secret-scope"]' }))).clickOptions({ text: 'One repo' });
    type('secret-key', 'API_TOKEN');
    type('secret-value', 's3cr3t-value');
    // Without a repo chosen nothing is sent.
    el<HTMLButtonElement>('secret-add')!.click();
    await settle(fixture);
    TestBed.inject(HttpTestingController).expectNone({ method: 'POST', url: '/api/secrets' });
    await (await loader.getHarness(MatSelectHarness.with({ selector: '[data-testid="secret-scope-repo"]' }))).clickOptions({ text: 'acme/web' });

    el<HTMLButtonElement>('secret-add')!.click();
    const req = await nextRequest({ method: 'POST', url: '/api/secrets' });
    expect(req.request.body).toEqual({ key: 'API_TOKEN', value: 's3cr3t-value', repoId: 'repo_web' });
    req.flush(secret({ scope: 'repo', repoId: 'repo_web' }), { status: 201, statusText: 'Created' });
    (await listRequest()).flush(list([secret({ scope: 'repo', repoId: 'repo_web' })]));
    await settle(fixture);
    expect(el<HTMLInputElement>('secret-value')!.value).toBe('');
    expect(el<HTMLInputElement>('secret-key')!.value).toBe('');
    expect(rows()).toEqual(['API_TOKEN:Repo acme/web']);
    expect(document.body.textContent).not.toContain('s3cr3t-value');
  });

  it('checks the key first, and shows the server’s 409 under the key', async () => {
    await render('admin', []);
    type('secret-key', '1-bad key');
    el<HTMLButtonElement>('secret-add')!.click();
    await settle(fixture);
    expect(el('secret-key-error')?.textContent).toContain('Letters, digits and _');
    TestBed.inject(HttpTestingController).expectNone({ method: 'POST', url: '/api/secrets' });

    type('secret-key', 'API_TOKEN');
    el<HTMLButtonElement>('secret-add')!.click();
    (await nextRequest({ method: 'POST', url: '/api/secrets' })).flush(
      { error: { code: 'secret_exists', message: 'API_TOKEN already has a value in this scope', fields: [{ field: 'body.key', message: 'is already set in this scope' }] } },
      { status: 409, statusText: 'Conflict' },
    );
    await settle(fixture);
    expect(el('secret-key-error')?.textContent).toContain('is already set in this scope');
  });

  it('imports a pasted .env file and says what was added and skipped; malformed lines are listed', async () => {
    await render('owner', []);
    await (await TestbedHarnessEnvironment.loader(fixture).getHarness(MatButtonToggleHarness.with({ text: 'Paste a .env file' }))).check();
    type('secret-import-text', 'A=1\nnot a line');
    el<HTMLButtonElement>('secret-import')!.click();
    const bad = await nextRequest({ method: 'POST', url: '/api/secrets/import' });
    expect(bad.request.body).toEqual({ envText: 'A=1\nnot a line' });
    bad.flush(
      { error: { code: 'validation_failed', message: '1 line(s) of the pasted text are not KEY=VALUE; nothing was imported', fields: [{ field: 'body.envText', message: 'line 2: expected KEY=VALUE' }] } },
      { status: 400, statusText: 'Bad Request' },
    );
    await settle(fixture);
    expect(el('secret-import-problems')?.textContent).toContain('line 2: expected KEY=VALUE');
    expect(el('error-banner')?.textContent).toContain('nothing was imported');

    type('secret-import-text', 'A=1\nB=2\nEXISTING=3');
    el<HTMLButtonElement>('secret-import')!.click();
    (await nextRequest({ method: 'POST', url: '/api/secrets/import' })).flush({ created: ['A', 'B'], skipped: ['EXISTING'] });
    (await listRequest()).flush(list([secret({ key: 'A' }), secret({ id: 'sec_b', key: 'B' })]));
    await settle(fixture);
    expect(el('secret-import-result')?.textContent).toContain('Added A, B. Skipped (already set): EXISTING.');
    expect(el('secret-import-problems')).toBeNull();
    expect(el<HTMLTextAreaElement>('secret-import-text')!.value).toBe('');
  });

  it('deletes a secret after confirming', async () => {
    await render('owner', [secret()]);
    el<HTMLButtonElement>('secret-delete')!.click();
    await settle(fixture);
    document.querySelector<HTMLButtonElement>('[data-testid="confirm-button"]')!.click();
    (await nextRequest({ method: 'DELETE', url: '/api/secrets/sec_1' })).flush({ ok: true });
    (await listRequest()).flush(list([]));
    await settle(fixture);
    expect(rows()).toEqual([]);
  });
});
