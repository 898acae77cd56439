import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatButtonToggleHarness } from '@angular/material/button-toggle/testing';
import { MatDialog } from '@angular/material/dialog';
import { provideRouter } from '@angular/router';
import { configuration, repo } from '../../testing/fixtures';
import { nextRequest, settle } from '../../testing/http';
import { signIn } from '../../testing/session';
import type { Repo } from '../api/types';
import { ReposPage } from './repos.page';

const list = (repos: Repo[], total = repos.length) => ({ repos, total, nextOffset: null });
const listRequest = () => nextRequest((r) => r.url === '/api/repos' && r.method === 'GET');

describe('ReposPage', () => {
  let fixture: ComponentFixture<ReposPage>;
  let root: HTMLElement;

  beforeEach(async () => {
    TestBed.configureTestingModule({ imports: [ReposPage], providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])] });
    await signIn();
    fixture = TestBed.createComponent(ReposPage);
    root = fixture.nativeElement as HTMLElement;
    fixture.detectChanges();
    (await nextRequest((r) => r.url === '/api/repos' && r.method === 'GET')).flush(list([
      repo({ id: 'repo_2', name: 'acme/api', url: 'https://github.com/acme/api.git' }),
      repo(),
      repo({ id: 'repo_3', name: 'scratch', source: 'local', url: '/home/ada/scratch' }),
    ]));
    await settle(fixture);
  });

  afterEach(() => {
    TestBed.inject(MatDialog).closeAll();
    TestBed.inject(HttpTestingController).verify();
  });

  const el = <T extends HTMLElement = HTMLElement>(testId: string) => root.querySelector<T>(`[data-testid="${testId}"]`);
  const names = () => [...root.querySelectorAll('[data-testid="repo-row"]')].map((r) => r.getAttribute('data-name'));
  function type(testId: string, value: string): void {
    const input = el<HTMLInputElement>(testId)!;
    input.value = value;
    input.dispatchEvent(new Event('input'));
  }

  it('lists repositories and searches them on the server', async () => {
    expect(names()).toEqual(['acme/api', 'acme/web', 'scratch']);
    type('repos-search', 'home/ada');
    // The search waits for a pause in typing.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const search = await listRequest();
    expect(search.request.params.get('q')).toBe('home/ada');
    expect(search.request.params.get('limit')).toBe('100');
    search.flush(list([repo({ id: 'repo_3', name: 'scratch', source: 'local', url: '/home/ada/scratch' })], 140));
    await settle(fixture);
    expect(names()).toEqual(['scratch']);
    expect(el('repos-more')?.textContent).toContain('Showing 1 of 140');
  });

  it('adds a repository by clone URL', async () => {
    type('repo-location', 'https://github.com/acme/docs.git');
    type('repo-name', 'docs');
    el<HTMLButtonElement>('repo-add')!.click();
    const req = await nextRequest({ method: 'POST', url: '/api/repos' });
    expect(req.request.body).toEqual({ url: 'https://github.com/acme/docs.git', name: 'docs', createConfiguration: true });
    req.flush({ repo: repo({ id: 'repo_4', name: 'docs' }), created: true, configuration: configuration({ status: 'building' }) }, { status: 201, statusText: 'Created' });
    (await listRequest()).flush(list([repo()]));
    await settle(fixture);
    expect(el<HTMLInputElement>('repo-location')!.value).toBe('');
    expect(document.body.textContent).toContain('Added docs; its configuration is building a snapshot');
  });

  it('adds a local path, and checks the location fits the source first', async () => {
    const toggle = await TestbedHarnessEnvironment.loader(fixture).getHarness(MatButtonToggleHarness.with({ text: 'Local path' }));
    type('repo-location', 'relative/path');
    await toggle.check();
    el<HTMLButtonElement>('repo-add')!.click();
    await settle(fixture);
    expect(el('repo-location-error')?.textContent).toContain('absolute path');
    TestBed.inject(HttpTestingController).expectNone({ method: 'POST', url: '/api/repos' });

    type('repo-location', '/home/ada/src/tool');
    el<HTMLButtonElement>('repo-add')!.click();
    const req = await nextRequest({ method: 'POST', url: '/api/repos' });
    expect(req.request.body).toEqual({ path: '/home/ada/src/tool', createConfiguration: true });
    req.flush({ repo: repo({ id: 'repo_5', name: 'tool', source: 'local' }), created: true, configuration: null }, { status: 201, statusText: 'Created' });
    (await listRequest()).flush(list([]));
  });

  it("puts the server's field error under the location", async () => {
    type('repo-location', 'http://github.com/a/b');
    el<HTMLButtonElement>('repo-add')!.click();
    (await nextRequest({ method: 'POST', url: '/api/repos' })).flush(
      { error: { code: 'VALIDATION', message: 'Invalid request', fields: [{ field: 'body.url', message: 'use https or ssh' }] } },
      { status: 400, statusText: 'Bad Request' },
    );
    await settle(fixture);
    expect(el('repo-location-error')?.textContent).toContain('use https or ssh');
  });

  it('deletes a repository after confirming', async () => {
    (root.querySelector('[data-testid="repo-row"][data-name="scratch"] [data-testid="repo-delete"]') as HTMLButtonElement).click();
    await settle(fixture);
    document.querySelector<HTMLButtonElement>('[data-testid="confirm-button"]')!.click();
    (await nextRequest({ method: 'DELETE', url: '/api/repos/repo_3' })).flush({ ok: true });
    (await listRequest()).flush(list([]));
    await settle(fixture);
    expect(el('empty-state')?.textContent).toContain('No repositories yet');
  });
});
