import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { configuration, repo, sessionView } from '../../testing/fixtures';
import { nextRequest, settle } from '../../testing/http';
import { signIn } from '../../testing/session';
import { ConfigurationsPage } from './configurations.page';

describe('ConfigurationsPage', () => {
  let harness: RouterTestingHarness;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([
          { path: 'configurations', component: ConfigurationsPage },
          { path: 'configurations/:id', children: [] },
          { path: 'sessions/:id', children: [] },
        ]),
      ],
    });
    await signIn();
    harness = await RouterTestingHarness.create();
    const navigated = harness.navigateByUrl('/configurations', ConfigurationsPage);
    (await nextRequest((r) => r.url === '/api/configurations')).flush({
      configurations: [configuration({ serviceCommands: [{ name: 'web', command: 'npm run dev' }] }), configuration({ id: 'cfg_2', name: 'api', status: 'building' })],
      total: 2,
      nextOffset: null,
    });
    await navigated;
    await settle(harness.fixture);
  });

  afterEach(() => {
    TestBed.inject(MatDialog).closeAll();
    TestBed.inject(HttpTestingController).verify();
  });

  const el = <T extends HTMLElement = HTMLElement>(testId: string) => document.querySelector<T>(`[data-testid="${testId}"]`);
  const all = (testId: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid="${testId}"]`)];

  it('lists configurations with their snapshot status', () => {
    expect(all('configuration-row').map((r) => r.getAttribute('data-name'))).toEqual(['api', 'web app']);
    expect(all('configuration-status').map((s) => s.textContent?.trim())).toEqual(['Building', 'Base snapshot']);
  });

  it('creates a configuration of several repos, each in its own folder, and opens it', async () => {
    el<HTMLButtonElement>('configuration-create')!.click();
    (await nextRequest((r) => r.url === '/api/repos')).flush({
      repos: [repo(), repo({ id: 'repo_2', name: 'acme/api', url: 'https://github.com/acme/api.git' })],
      total: 2,
      nextOffset: null,
    });
    await settle();
    const name = el<HTMLInputElement>('configuration-name')!;
    name.value = 'full stack';
    name.dispatchEvent(new Event('input'));
    for (const option of all('configuration-repo-option')) option.querySelector<HTMLInputElement>('input')!.click();
    await settle();
    expect(all('configuration-workspace-path').map((i) => (i as HTMLInputElement).value)).toEqual(['api', 'web']);
    el<HTMLButtonElement>('configuration-create-submit')!.click();

    const req = await nextRequest({ method: 'POST', url: '/api/configurations' });
    expect(req.request.body).toEqual({
      name: 'full stack',
      repos: [
        { repoId: 'repo_2', workspacePath: 'api' },
        { repoId: 'repo_1', workspacePath: 'web' },
      ],
    });
    req.flush(configuration({ id: 'cfg_9', name: 'full stack', status: 'building' }), { status: 201, statusText: 'Created' });
    await settle();
    expect(TestBed.inject(Router).url).toBe('/configurations/cfg_9');
  });

  it('starts a setup session from a configuration', async () => {
    all('configuration-start')[0].click();
    await settle();
    el<HTMLButtonElement>('configuration-start-setup')!.click();
    (await nextRequest((r) => r.url === '/api/configurations')).flush({ configurations: [configuration({ id: 'cfg_2', name: 'api' })], total: 1, nextOffset: null });
    await settle();
    el<HTMLButtonElement>('new-session-create')!.click();
    const req = await nextRequest({ method: 'POST', url: '/api/sessions' });
    expect(req.request.body).toEqual({ sessionType: 'setup', sandboxMode: 'immediate', configurationId: 'cfg_2' });
    req.flush(sessionView({ id: 'ses_setup', sessionType: 'setup' }), { status: 201, statusText: 'Created' });
    await settle();
    expect(TestBed.inject(Router).url).toBe('/sessions/ses_setup');
  });
});
