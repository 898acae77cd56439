import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { FakeSocket, fakeSocketProvider } from '../../testing/fake-socket';
import { configuration, sessionView } from '../../testing/fixtures';
import { nextRequest, settle } from '../../testing/http';
import { signIn } from '../../testing/session';
import type { SessionView } from '../api/types';
import { Realtime } from '../core/realtime.service';
import { SessionPage } from './session.page';

const at = '2026-11-01T10:00:00.000Z';
let seq = 0;
const ev = (event: Record<string, unknown>) => ({ seq: ++seq, at, event });

describe('SessionPage', () => {
  let harness: RouterTestingHarness;
  let socket: FakeSocket;

  beforeEach(async () => {
    seq = 0;
    FakeSocket.all = [];
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        fakeSocketProvider,
        provideRouter([{ path: 'sessions/:id', component: SessionPage }, { path: 'sessions', children: [] }], withComponentInputBinding()),
      ],
    });
    await signIn();
    TestBed.inject(Realtime).connect();
    socket = FakeSocket.last();
    socket.open();
    harness = await RouterTestingHarness.create();
  });

  afterEach(() => {
    TestBed.inject(MatDialog).closeAll();
    TestBed.inject(Realtime).disconnect();
    TestBed.inject(HttpTestingController).verify();
  });

  const el = <T extends HTMLElement = HTMLElement>(testId: string) => document.querySelector<T>(`[data-testid="${testId}"]`);
  const all = (testId: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid="${testId}"]`)];
  const sent = () => socket.sent.map((s) => JSON.parse(s) as Record<string, unknown>);

  async function render(session: SessionView = sessionView()): Promise<void> {
    const navigated = harness.navigateByUrl(`/sessions/${session.id}`, SessionPage);
    (await nextRequest(`/api/sessions/${session.id}`)).flush(session);
    if (session.configuration) (await nextRequest(`/api/configurations/${session.configuration.id}`)).flush(configuration());
    await navigated;
    await settle(harness.fixture);
  }

  /** Pushes events down the socket and renders (without waiting for requests they cause: answer those next). */
  async function stream(events: ReturnType<typeof ev>[], subscribed?: { lastSeq: number; status: string }): Promise<void> {
    socket.receive({ type: 'events', sessionId: 'ses_1', events });
    if (subscribed) socket.receive({ type: 'subscribed', sessionId: 'ses_1', ...subscribed });
    await settle();
  }

  it('replays the session into a transcript: prompt, streamed reply as markdown, a tool card with output and diff', async () => {
    await render();
    expect(sent()).toContainEqual({ type: 'subscribe', sessionId: 'ses_1', afterSeq: 0 });
    await stream(
      [
        ev({ type: 'status', status: 'running' }),
        ev({ type: 'user_message', messageId: 'm1', content: 'Fix the login bug', senderId: 'user_1', source: 'web' }),
        ev({ type: 'message', messageId: 'm1-reply', role: 'assistant' }),
        ev({ type: 'token', messageId: 'm1-reply', partId: 'p1', text: 'Looking at **auth.ts**' }),
        ev({ type: 'text_part_complete', messageId: 'm1-reply', partId: 'p1', text: 'Looking at **auth.ts** <script>x()</script>' }),
        ev({ type: 'tool_start', messageId: 'm1-reply', toolCallId: 'tc1', tool: 'edit', title: 'Edit auth.ts', kind: 'edit' }),
        ev({ type: 'tool_metadata', toolCallId: 'tc1', output: 'patched\n' }),
        ev({ type: 'tool_metadata', toolCallId: 'tc1', diffs: [{ path: 'src/auth.ts', oldText: 'a\nb\n', newText: 'a\nc\n' }] }),
      ],
      { lastSeq: 8, status: 'running' },
    );

    expect(el('user-message-text')?.textContent).toBe('Fix the login bug');
    expect(el('user-message')?.textContent).toContain('You');
    const reply = el('assistant-text')!;
    expect(reply.querySelector('strong')?.textContent).toBe('auth.ts');
    expect(reply.querySelector('script')).toBeNull();
    const card = el('tool-card')!;
    expect(card.getAttribute('data-status')).toBe('running');
    expect(el('tool-card-title')?.textContent).toBe('Edit auth.ts');
    expect(el('tool-card-output')?.textContent).toBe('patched\n');
    expect(all('diff-line').map((l) => l.getAttribute('data-kind'))).toEqual(['hunk', 'ctx', 'del', 'add']);
    expect(el('agent-working')).not.toBeNull();
    expect(el('status-banner')).toBeNull();

    // Live: the tool ends and the reply completes.
    await stream([ev({ type: 'tool_end', toolCallId: 'tc1', status: 'completed', durationMs: 900 }), ev({ type: 'message_complete', messageId: 'm1-reply' })]);
    expect(el('tool-card')?.getAttribute('data-status')).toBe('completed');
    expect(el('agent-working')).toBeNull();
    expect(el('prompt-cancel')).toBeNull();
  });

  it('sends a prompt with Enter (Shift+Enter is a new line), and cancels a working agent', async () => {
    await render();
    await stream([ev({ type: 'status', status: 'running' }), ev({ type: 'message', messageId: 'r', role: 'assistant' })], { lastSeq: 2, status: 'running' });

    const input = el<HTMLTextAreaElement>('prompt-input')!;
    input.value = 'Also add a test';
    input.dispatchEvent(new Event('input'));
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', shiftKey: true, bubbles: true }));
    TestBed.inject(HttpTestingController).expectNone('/api/sessions/ses_1/message');
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));

    // The first try fails on the way back; the retry carries the same clientMessageId, so it cannot post it twice.
    const failed = await nextRequest({ method: 'POST', url: '/api/sessions/ses_1/message' });
    expect(failed.request.body).toEqual({ content: 'Also add a test', clientMessageId: expect.any(String) });
    failed.flush({ error: { code: 'unavailable', message: 'Restarting' } }, { status: 503, statusText: 'Service Unavailable' });
    await settle(harness.fixture);
    expect(input.value).toBe('Also add a test');
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    const req = await nextRequest({ method: 'POST', url: '/api/sessions/ses_1/message' });
    expect(req.request.body).toEqual(failed.request.body);
    req.flush({ messageId: 'm2', started: false, duplicate: true }, { status: 202, statusText: 'Accepted' });
    await settle(harness.fixture);
    expect(input.value).toBe('');

    el<HTMLButtonElement>('prompt-cancel')!.click();
    (await nextRequest({ method: 'POST', url: '/api/sessions/ses_1/cancel' })).flush({ ok: true });
    await stream([ev({ type: 'message_cancelled', messageId: 'r' })]);
    expect(el('message-cancelled')).not.toBeNull();
    expect(el('prompt-cancel')).toBeNull();
  });

  it('shows where the session is: extending, paused with Resume, ended with the prompt box disabled', async () => {
    await render();
    await stream([ev({ type: 'status', status: 'running' })], { lastSeq: 1, status: 'running' });

    await stream([ev({ type: 'status', status: 'migrating' })]);
    (await nextRequest('/api/sessions/ses_1')).flush(sessionView({ status: 'migrating' }));
    await settle(harness.fixture);
    expect(el('status-banner')?.getAttribute('data-status')).toBe('migrating');
    expect(el('status-banner-text')?.textContent).toBe('Extending session…');

    await stream([ev({ type: 'status', status: 'paused' })]);
    (await nextRequest('/api/sessions/ses_1')).flush(sessionView({ status: 'paused', displayStatus: 'idle', pauseReason: 'inactivity' }));
    await settle(harness.fixture);
    expect(el('status-banner-text')?.textContent).toBe('This session is paused');
    expect(el('status-banner-detail')?.textContent).toContain('without activity');
    expect(el('session-status')?.textContent?.trim()).toBe('Idle');
    expect(el('session-pause')).toBeNull();

    el<HTMLButtonElement>('status-banner-resume')!.click();
    (await nextRequest({ method: 'POST', url: '/api/sessions/ses_1/resume' })).flush(sessionView({ status: 'starting' }));
    await settle(harness.fixture);

    await stream([ev({ type: 'status', status: 'stopped' })]);
    (await nextRequest('/api/sessions/ses_1')).flush(sessionView({ status: 'stopped', displayStatus: 'completed' }));
    await settle(harness.fixture);
    expect(el('status-banner')?.getAttribute('data-status')).toBe('stopped');
    expect(el<HTMLTextAreaElement>('prompt-input')?.disabled).toBe(true);
  });

  it('asks the sandbox for git status on a running session and commits from the git panel', async () => {
    await render();
    await stream([ev({ type: 'status', status: 'running' })], { lastSeq: 1, status: 'running' });
    const status = sent().find((m) => m['type'] === 'git');
    expect(status).toMatchObject({ sessionId: 'ses_1', git: { action: 'status' } });
    socket.receive({
      type: 'git_status',
      sessionId: 'ses_1',
      requestId: status!['requestId'],
      state: {
        workspacePath: '.',
        branch: 'fix-login',
        detached: false,
        staged: [],
        unstaged: [{ path: 'src/auth.ts', indexStatus: '.', worktreeStatus: 'M' }],
        untracked: ['notes.md'],
        conflicted: [],
        commits: [],
        ahead: 1,
        behind: 0,
        busy: false,
      },
    });
    await settle(harness.fixture);
    expect(el('git-branch')?.textContent).toBe('fix-login');
    expect(el('git-ahead')?.textContent).toBe('↑1');
    expect(el('git-unstaged')?.textContent).toContain('src/auth.ts');

    const message = el<HTMLTextAreaElement>('git-commit-message')!;
    message.value = 'Fix login';
    message.dispatchEvent(new Event('input'));
    await settle(harness.fixture);
    el<HTMLButtonElement>('git-commit')!.click();
    await settle(harness.fixture);
    const commit = sent().filter((m) => m['type'] === 'git').at(-1)!;
    expect(commit['git']).toEqual({ action: 'commit', message: 'Fix login', includeUntracked: false });
    expect(el('git-pending')?.getAttribute('data-action')).toBe('commit');

    await stream([ev({ type: 'git_result', requestId: commit['requestId'], action: 'commit', success: false, code: 'NOTHING_TO_COMMIT', message: 'nothing added' })]);
    expect(el('git-pending')).toBeNull();
    expect(el('git-result')?.getAttribute('data-code')).toBe('NOTHING_TO_COMMIT');
    expect(el('git-result')?.textContent).toContain('Nothing to commit');
  });

  it('does not call a titled session untitled while it loads', async () => {
    const navigated = harness.navigateByUrl('/sessions/ses_1', SessionPage);
    const req = await nextRequest('/api/sessions/ses_1');
    await settle();
    expect(el('session-title')?.textContent?.trim()).toBe('');
    expect(el('session-title')?.getAttribute('aria-busy')).toBe('true');
    expect(document.title).toBe('Session · Proliferate');
    req.flush(sessionView({ title: 'Fix the login bug' }));
    (await nextRequest('/api/configurations/cfg_1')).flush(configuration());
    await navigated;
    await settle(harness.fixture);
    expect(el('session-title')?.textContent?.trim()).toBe('Fix the login bug');
    expect(el('session-title')?.hasAttribute('aria-busy')).toBe(false);
    expect(document.title).toBe('Fix the login bug · Proliferate');
  });

  it('calls a session without a title untitled once it has loaded', async () => {
    await render(sessionView({ title: null }));
    expect(el('session-title')?.textContent?.trim()).toBe('Untitled session');
  });

  it('renames the session inline', async () => {
    await render();
    el<HTMLButtonElement>('session-rename')!.click();
    await settle(harness.fixture);
    const input = el<HTMLInputElement>('session-title-input')!;
    input.value = 'Login fix';
    input.dispatchEvent(new Event('input'));
    await settle(harness.fixture);
    el<HTMLButtonElement>('session-title-save')!.click();
    const req = await nextRequest({ method: 'PATCH', url: '/api/sessions/ses_1' });
    expect(req.request.body).toEqual({ title: 'Login fix' });
    req.flush(sessionView({ title: 'Login fix' }));
    await settle(harness.fixture);
    expect(el('session-title')?.textContent).toBe('Login fix');
  });
});
