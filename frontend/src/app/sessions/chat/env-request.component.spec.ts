import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatSlideToggleHarness } from '@angular/material/slide-toggle/testing';
import { me, org } from '../../../testing/fixtures';
import { nextRequest, settle } from '../../../testing/http';
import { signIn } from '../../../testing/session';
import type { LoggedEvent, SessionEvent } from '../../api/session-events';
import type { Role } from '../../api/types';
import { applyEvents, initialSessionState, type ToolCall } from '../session-state';
import { EnvRequest, isEnvRequest, requestedKeys } from './env-request.component';
import { Transcript } from './transcript.component';

const ARGS = {
  keys: [
    {
      key: 'STRIPE_KEY',
      description: 'Test-mode secret key',
      type: 'secret',
      required: true,
      suggestions: [{ label: 'Dashboard', instructions: 'Developers › API keys, in test mode' }],
    },
    { key: 'API_URL', type: 'env', required: false, suggestions: [{ label: 'Local API', value: 'http://localhost:3000' }] },
  ],
};

const call = (over: Partial<ToolCall> = {}): ToolCall => ({
  toolCallId: 'tc_env',
  tool: 'proliferate__request_env_variables',
  title: 'proliferate: request_env_variables',
  kind: 'other',
  args: ARGS,
  status: 'completed',
  output: '',
  result: 'Asked the user for STRIPE_KEY, API_URL',
  diffs: [],
  durationMs: 5,
  at: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe('EnvRequest', () => {
  let fixture: ComponentFixture<EnvRequest>;
  let root: HTMLElement;

  beforeEach(() => TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] }));

  async function render(role: Role, tool: ToolCall = call()) {
    await signIn(me(), [org({ role })]);
    fixture = TestBed.createComponent(EnvRequest);
    fixture.componentRef.setInput('sessionId', 'ses_1');
    fixture.componentRef.setInput('tool', tool);
    root = fixture.nativeElement as HTMLElement;
    await settle(fixture);
  }

  afterEach(() => TestBed.inject(HttpTestingController).verify());

  const el = <T extends HTMLElement = HTMLElement>(testId: string) => root.querySelector<T>(`[data-testid="${testId}"]`);
  function type(testId: string, value: string): void {
    const input = el<HTMLInputElement>(testId)!;
    input.value = value;
    input.dispatchEvent(new Event('input'));
  }

  it('shows a password field per key with its description and suggestions; a member gets no save toggle', async () => {
    await render('member');
    expect([...root.querySelectorAll('[data-testid="env-key"]')].map((k) => k.getAttribute('data-key'))).toEqual(['STRIPE_KEY', 'API_URL']);
    expect(el<HTMLInputElement>('env-value-STRIPE_KEY')!.type).toBe('password');
    expect(el<HTMLInputElement>('env-value-API_URL')!.type).toBe('password');
    expect(el('env-description')?.textContent).toContain('Test-mode secret key');
    expect(root.textContent).toContain('Developers › API keys, in test mode');
    expect(root.textContent).toContain('API_URL (optional)');
    expect(el('env-save-STRIPE_KEY')).toBeNull();
  });

  it('sends the values (a suggestion fills one), saves the chosen secret, shows the result and forgets the values', async () => {
    await render('owner');
    // Only secrets can be saved for future sessions; API_URL is for this session only.
    expect(el('env-save-STRIPE_KEY')).not.toBeNull();
    expect(el('env-save-API_URL')).toBeNull();
    type('env-value-STRIPE_KEY', 'sk_test_typed');
    root.querySelector<HTMLButtonElement>('[data-testid="env-key"][data-key="API_URL"] [data-testid="env-suggestion"] button')!.click();
    await (await TestbedHarnessEnvironment.loader(fixture).getHarness(MatSlideToggleHarness.with({ selector: '[data-testid="env-save-STRIPE_KEY"]' }))).toggle();

    el<HTMLButtonElement>('env-submit')!.click();
    const req = await nextRequest({ method: 'POST', url: '/api/sessions/ses_1/env' });
    expect(req.request.body).toEqual({
      secrets: [
        { key: 'STRIPE_KEY', value: 'sk_test_typed', persist: true },
        { key: 'API_URL', value: 'http://localhost:3000' },
      ],
    });
    req.flush({
      submitted: true,
      results: [
        { key: 'STRIPE_KEY', persisted: true, alreadyExisted: false },
        { key: 'API_URL', persisted: false, alreadyExisted: false },
      ],
      delivery: { written: ['.env'], missing: [], deferred: false },
    });
    await settle(fixture);
    expect(el('env-result')?.textContent).toContain('Sent STRIPE_KEY, API_URL to the sandbox. Saved for future sessions: STRIPE_KEY.');
    expect(el<HTMLInputElement>('env-value-STRIPE_KEY')!.value).toBe('');
    expect(el<HTMLInputElement>('env-value-API_URL')!.value).toBe('');
    expect(root.textContent).not.toContain('sk_test_typed');
    expect(el('env-submit')?.textContent).toContain('Send again');
  });

  it('asks for required values first, and shows why the server refused', async () => {
    await render('owner');
    el<HTMLButtonElement>('env-submit')!.click();
    await settle(fixture);
    TestBed.inject(HttpTestingController).expectNone({ method: 'POST', url: '/api/sessions/ses_1/env' });
    expect(root.textContent).toContain('Required.');

    type('env-value-STRIPE_KEY', 'sk_test_2');
    el<HTMLButtonElement>('env-submit')!.click();
    (await nextRequest({ method: 'POST', url: '/api/sessions/ses_1/env' })).flush(
      { error: { code: 'sandbox_not_running', message: 'The session is paused: its sandbox must be running to take env values' } },
      { status: 409, statusText: 'Conflict' },
    );
    await settle(fixture);
    expect(el('error-banner')?.textContent).toContain('its sandbox must be running');
    expect(el('env-result')).toBeNull();
  });

  it('reads the agent’s arguments leniently: bad names and repeats left out, nothing for a failed or other call', () => {
    expect(requestedKeys({ keys: [{ key: 'OK' }, { key: 'not ok' }, { key: 'OK' }, { key: 42 }] })).toEqual([]);
    expect(requestedKeys({ keys: [{ key: 'OK' }, { key: 'not ok' }, { key: 'OK' }] }).map((k) => k.key)).toEqual(['OK']);
    expect(requestedKeys('nonsense')).toEqual([]);
    expect(isEnvRequest(call())).toBe(true);
    expect(isEnvRequest(call({ tool: 'mcp__proliferate__request_env_variables' }))).toBe(true);
    expect(isEnvRequest(call({ status: 'failed' }))).toBe(false);
    expect(isEnvRequest(call({ tool: 'run_command' }))).toBe(false);
  });
});

describe('Transcript with a request_env_variables call', () => {
  const events: SessionEvent[] = [
    { type: 'user_message', messageId: 'm1', content: 'Set up payments', senderId: 'user_1', source: 'web' },
    { type: 'message', messageId: 'm1-reply', role: 'assistant' },
    { type: 'tool_start', messageId: 'm1-reply', toolCallId: 'tc_env', tool: 'proliferate__request_env_variables', title: 'proliferate: request_env_variables', kind: 'other', args: ARGS },
    { type: 'tool_end', toolCallId: 'tc_env', status: 'completed', result: 'Asked the user' },
    { type: 'message_complete', messageId: 'm1-reply', stopReason: 'end_turn' },
  ];
  const logged: LoggedEvent[] = events.map((event, i) => ({ seq: i + 1, at: '2026-01-01T00:00:00.000Z', event }));

  beforeEach(() => TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] }));

  it('puts the Environment form under the call when it knows the session', async () => {
    await signIn();
    const fixture = TestBed.createComponent(Transcript);
    fixture.componentRef.setInput('state', applyEvents(initialSessionState(), logged));
    await settle(fixture);
    const root = fixture.nativeElement as HTMLElement;
    expect(root.querySelector('[data-testid="tool-card"]')).not.toBeNull();
    expect(root.querySelector('[data-testid="env-request"]')).toBeNull();
    fixture.componentRef.setInput('sessionId', 'ses_1');
    await settle(fixture);
    expect(root.querySelectorAll('[data-testid="env-request"] [data-testid="env-key"]')).toHaveLength(2);
  });
});
