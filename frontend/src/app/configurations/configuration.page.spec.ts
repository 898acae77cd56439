import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { configuration } from '../../testing/fixtures';
import { nextRequest, settle } from '../../testing/http';
import type { Configuration } from '../api/types';
import { ConfigurationPage } from './configuration.page';

describe('ConfigurationPage', () => {
  let harness: RouterTestingHarness;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([{ path: 'configurations/:id', component: ConfigurationPage }], withComponentInputBinding())],
    });
    harness = await RouterTestingHarness.create();
  });

  afterEach(() => {
    TestBed.inject(MatDialog).closeAll();
    TestBed.inject(HttpTestingController).verify();
  });

  const el = <T extends HTMLElement = HTMLElement>(testId: string) => document.querySelector<T>(`[data-testid="${testId}"]`);
  const all = <T extends HTMLElement = HTMLElement>(testId: string) => [...document.querySelectorAll<T>(`[data-testid="${testId}"]`)];
  function type(input: HTMLInputElement, value: string): void {
    input.value = value;
    input.dispatchEvent(new Event('input'));
  }

  async function render(c: Configuration = configuration()): Promise<void> {
    const navigated = harness.navigateByUrl(`/configurations/${c.id}`, ConfigurationPage);
    (await nextRequest(`/api/configurations/${c.id}`)).flush(c);
    await navigated;
    await settle(harness.fixture);
  }

  it('shows status and repositories, and edits service commands in the table', async () => {
    await render(configuration({ serviceCommands: [{ name: 'web', command: 'npm run dev' }] }));
    expect(el('configuration-status')?.textContent?.trim()).toBe('Base snapshot');
    expect(el('configuration-repos')?.textContent).toContain('acme/web');
    expect(all('service-row')).toHaveLength(1);
    expect(el<HTMLButtonElement>('services-save')?.disabled).toBe(true);

    el<HTMLButtonElement>('service-add')!.click();
    await settle(harness.fixture);
    // An incomplete row cannot be saved.
    expect(el<HTMLButtonElement>('services-save')?.disabled).toBe(true);
    type(all<HTMLInputElement>('service-name')[1], 'db');
    type(all<HTMLInputElement>('service-command')[1], 'docker compose up db');
    type(all<HTMLInputElement>('service-cwd')[1], 'infra');
    await settle(harness.fixture);
    el<HTMLButtonElement>('services-save')!.click();

    const req = await nextRequest({ method: 'PATCH', url: '/api/configurations/cfg_1' });
    expect(req.request.body).toEqual({
      serviceCommands: [
        { name: 'web', command: 'npm run dev' },
        { name: 'db', command: 'docker compose up db', cwd: 'infra' },
      ],
    });
    req.flush(configuration({ serviceCommands: req.request.body.serviceCommands }));
    await settle(harness.fixture);
    expect(el<HTMLButtonElement>('services-save')?.disabled).toBe(true);
  });

  it('saves env file specs (keys, not values)', async () => {
    await render();
    el<HTMLButtonElement>('env-file-add')!.click();
    await settle(harness.fixture);
    type(el<HTMLInputElement>('env-key-name')!, 'DATABASE_URL');
    await settle(harness.fixture);
    el<HTMLButtonElement>('env-files-save')!.click();
    const req = await nextRequest({ method: 'PATCH', url: '/api/configurations/cfg_1' });
    expect(req.request.body).toEqual({
      envFiles: [{ path: '.env', workspacePath: '.', format: 'dotenv', mode: 'secret', keys: [{ key: 'DATABASE_URL', required: true }] }],
    });
    req.flush(configuration({ envFiles: req.request.body.envFiles }));
    await settle(harness.fixture);
  });

  it('builds the snapshot and follows the build until it is done', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      await render();
      el<HTMLButtonElement>('configuration-build')!.click();
      (await nextRequest({ method: 'POST', url: '/api/configurations/cfg_1/build' })).flush(
        { started: true, executionName: 'build-1', configuration: configuration({ status: 'building' }) },
        { status: 202, statusText: 'Accepted' },
      );
      await settle();
      expect(el('configuration-status')?.textContent?.trim()).toBe('Building');
      vi.advanceTimersByTime(3_000);
      (await nextRequest('/api/configurations/cfg_1')).flush(configuration({ status: 'failed', error: 'clone failed: repository not found' }));
      await settle();
      expect(el('configuration-error')?.textContent).toContain('repository not found');
    } finally {
      vi.useRealTimers();
    }
  });
});
