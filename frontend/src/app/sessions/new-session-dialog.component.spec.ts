import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { MatCheckboxHarness } from '@angular/material/checkbox/testing';
import { MatDialog } from '@angular/material/dialog';
import { MatRadioGroupHarness } from '@angular/material/radio/testing';
import { MatSelectHarness } from '@angular/material/select/testing';
import { firstValueFrom } from 'rxjs';
import { configuration, sessionView } from '../../testing/fixtures';
import { nextRequest, settle } from '../../testing/http';
import type { SessionView } from '../api/types';
import { NewSessionDialog, type NewSessionData } from './new-session-dialog.component';

/** A fixture to hang the harness loader on (the dialog lives in the overlay, outside any fixture). */
@Component({ selector: 'app-empty-host', template: '' })
class EmptyHost {}

describe('NewSessionDialog', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
  });

  afterEach(() => {
    TestBed.inject(MatDialog).closeAll();
    TestBed.inject(HttpTestingController).verify();
  });

  const el = <T extends HTMLElement>(testId: string) => document.querySelector<T>(`[data-testid="${testId}"]`);

  async function open(data: NewSessionData = {}) {
    const ref = TestBed.inject(MatDialog).open<NewSessionDialog, NewSessionData, SessionView>(NewSessionDialog, { data });
    const closed = firstValueFrom(ref.afterClosed());
    (await nextRequest((r) => r.url === '/api/configurations')).flush({
      configurations: [configuration(), configuration({ id: 'cfg_2', name: 'api', status: 'ready' })],
    });
    await settle();
    return { closed, loader: TestbedHarnessEnvironment.documentRootLoader(TestBed.createComponent(EmptyHost)) };
  }

  function type(testId: string, value: string): void {
    const input = el<HTMLInputElement | HTMLTextAreaElement>(testId)!;
    input.value = value;
    input.dispatchEvent(new Event('input'));
  }

  it('posts a coding session on the chosen configuration with its first prompt, and closes with it', async () => {
    const { closed, loader } = await open();
    const select = await loader.getHarness(MatSelectHarness.with({ selector: '[data-testid="new-session-configuration"]' }));
    await select.open();
    await select.clickOptions({ text: /api/ });
    type('new-session-title', '  Speed up CI ');
    type('new-session-prompt', 'Find why the build is slow');
    el<HTMLButtonElement>('new-session-create')!.click();

    const req = await nextRequest({ method: 'POST', url: '/api/sessions' });
    expect(req.request.body).toEqual({
      sessionType: 'coding',
      sandboxMode: 'immediate',
      configurationId: 'cfg_2',
      title: 'Speed up CI',
      initialPrompt: 'Find why the build is slow',
    });
    req.flush(sessionView({ id: 'ses_new' }), { status: 201, statusText: 'Created' });
    expect((await closed)?.id).toBe('ses_new');
  });

  it('starts from scratch by default, without a configuration, and can defer the sandbox', async () => {
    const { loader } = await open();
    const startNow = await loader.getHarness(MatCheckboxHarness.with({ selector: '[data-testid="new-session-start-now"]' }));
    await startNow.uncheck();
    el<HTMLButtonElement>('new-session-create')!.click();
    const req = await nextRequest({ method: 'POST', url: '/api/sessions' });
    expect(req.request.body).toEqual({ sessionType: 'coding', sandboxMode: 'deferred' });
    req.flush(sessionView(), { status: 201, statusText: 'Created' });
  });

  it('preselects the configuration and type it was opened with (a setup session from a configuration page)', async () => {
    await open({ configurationId: 'cfg_1', sessionType: 'setup' });
    el<HTMLButtonElement>('new-session-create')!.click();
    const req = await nextRequest({ method: 'POST', url: '/api/sessions' });
    expect(req.request.body).toEqual({ sessionType: 'setup', sandboxMode: 'immediate', configurationId: 'cfg_1' });
    req.flush(sessionView(), { status: 201, statusText: 'Created' });
  });

  it('refuses a setup session without a configuration before asking the server', async () => {
    const { loader } = await open();
    const types = await loader.getHarness(MatRadioGroupHarness.with({ selector: '[data-testid="new-session-type"]' }));
    await types.checkRadioButton({ label: /Setup/ });
    el<HTMLButtonElement>('new-session-create')!.click();
    await settle();
    expect(el('new-session-type-error')?.textContent).toContain('Pick a configuration');
    TestBed.inject(HttpTestingController).expectNone({ method: 'POST', url: '/api/sessions' });
  });

  it('shows the server error and stays open', async () => {
    await open();
    el<HTMLButtonElement>('new-session-create')!.click();
    (await nextRequest({ method: 'POST', url: '/api/sessions' })).flush(
      { error: { code: 'PAYMENT_REQUIRED', message: 'Out of credits' } },
      { status: 402, statusText: 'Payment Required' },
    );
    await settle();
    expect(el('error-banner')?.textContent).toContain('Out of credits');
  });
});
