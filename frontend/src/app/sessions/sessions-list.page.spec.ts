import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import { Router, provideRouter, withComponentInputBinding } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { configuration, sessionView } from '../../testing/fixtures';
import { nextRequest, settle } from '../../testing/http';
import { signIn } from '../../testing/session';
import { SessionsListPage } from './sessions-list.page';

const at = '2026-11-01T10:00:00.000Z';

describe('SessionsListPage', () => {
  let harness: RouterTestingHarness;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter(
          [
            { path: 'sessions', component: SessionsListPage },
            { path: 'sessions/:id', children: [] },
          ],
          withComponentInputBinding(),
        ),
      ],
    });
    await signIn();
    harness = await RouterTestingHarness.create();
  });

  afterEach(() => {
    TestBed.inject(MatDialog).closeAll();
    TestBed.inject(HttpTestingController).verify();
  });

  const el = <T extends Element = HTMLElement>(testId: string) => document.querySelector<T>(`[data-testid="${testId}"]`);
  const all = (testId: string) => [...document.querySelectorAll(`[data-testid="${testId}"]`)];

  /** Answers the list and the configurations the page reads on load. */
  async function answerList(sessions = [sessionView()], nextCursor: string | null = null): Promise<void> {
    (await nextRequest((r) => r.url === '/api/sessions' && r.method === 'GET')).flush({ sessions, nextCursor });
    (await nextRequest((r) => r.url === '/api/configurations')).flush({ configurations: [configuration()] });
  }

  it('lists sessions with status, telemetry, outcome, PR links and who started them', async () => {
    const navigated = harness.navigateByUrl('/sessions', SessionsListPage);
    await answerList([
      sessionView({ prUrls: ['https://github.com/acme/web/pull/7', 'https://github.com/acme/web/pull/9'], outcome: 'succeeded' }),
      sessionView({ id: 'ses_2', title: null, status: 'paused', displayStatus: 'idle', pauseReason: 'inactivity', latestTask: null, configuration: null }),
    ]);
    await navigated;
    await settle(harness.fixture);

    const rows = all('session-row');
    expect(rows.map((r) => r.getAttribute('data-session-id'))).toEqual(['ses_1', 'ses_2']);
    expect(all('session-status').map((s) => s.textContent?.trim())).toEqual(['Active', 'Idle']);
    expect(el('session-row-task')?.textContent).toContain('Run the tests');
    expect(el('session-row-tool-calls')?.textContent?.trim()).toBe('3');
    expect(el('session-row-outcome')?.textContent?.trim()).toBe('Succeeded');
    expect([...el('session-row-prs')!.querySelectorAll('a')].map((a) => a.textContent)).toEqual(['#7', '#9']);
    expect(rows[1].textContent).toContain('Untitled session');
    expect(rows[1].textContent).toContain('Scratch');
  });

  it('opens the peek drawer from ?peek= on load, and closing it takes peek out of the URL', async () => {
    // The drawer reads the session and its last events; the page waits for every request to be answered.
    const navigated = harness.navigateByUrl('/sessions?peek=ses_1', SessionsListPage);
    await answerList();
    (await nextRequest('/api/sessions/ses_1')).flush(sessionView({ prUrls: ['https://github.com/acme/web/pull/7'] }));
    const events = await nextRequest((r) => r.url === '/api/sessions/ses_1/events');
    expect(events.request.params.get('after')).toBe('0');
    events.flush({
      lastSeq: 4,
      events: [
        { seq: 1, at, event: { type: 'user_message', messageId: 'm1', content: 'Fix the login bug', senderId: 'user_1', source: 'web' } },
        { seq: 2, at, event: { type: 'message', messageId: 'm1-reply', role: 'assistant' } },
        { seq: 3, at, event: { type: 'tool_start', messageId: 'm1-reply', toolCallId: 't1', tool: 'bash', title: 'npm test', kind: 'execute' } },
        { seq: 4, at, event: { type: 'text_part_complete', messageId: 'm1-reply', partId: 'p1', text: 'All green.' } },
      ],
    });
    await navigated;
    await settle(harness.fixture);

    const drawer = el('peek-drawer');
    expect(drawer?.getAttribute('data-session-id')).toBe('ses_1');
    expect(el('peek-title')?.textContent).toContain('Fix the login bug');
    expect(all('peek-event').map((e) => e.textContent?.trim())).toEqual(['Fix the login bug', 'npm test', 'All green.']);
    expect(el('peek-pr')?.getAttribute('href')).toBe('https://github.com/acme/web/pull/7');

    el<HTMLButtonElement>('peek-close')!.click();
    await settle(harness.fixture);
    expect(TestBed.inject(Router).url).toBe('/sessions');
    expect(el('peek-drawer')).toBeNull();
  });

  it('a row click puts the session in the URL as ?peek=, and Open goes to the session', async () => {
    const navigated = harness.navigateByUrl('/sessions', SessionsListPage);
    await answerList();
    await navigated;
    await settle(harness.fixture);

    el<HTMLElement>('session-row')!.click();
    (await nextRequest('/api/sessions/ses_1')).flush(sessionView());
    expect(TestBed.inject(Router).url).toBe('/sessions?peek=ses_1');
    (await nextRequest((r) => r.url === '/api/sessions/ses_1/events')).flush({ lastSeq: 0, events: [] });
    await settle(harness.fixture);
    expect(el('peek-no-events')).not.toBeNull();

    el<HTMLButtonElement>('peek-open')!.click();
    await settle(harness.fixture);
    expect(TestBed.inject(Router).url).toBe('/sessions/ses_1');
  });

  it('filters by status through the URL and pages with the cursor', async () => {
    const navigated = harness.navigateByUrl('/sessions?status=paused', SessionsListPage);
    const first = await nextRequest((r) => r.url === '/api/sessions');
    expect(first.request.params.get('status')).toBe('paused');
    expect(first.request.params.get('limit')).toBe('25');
    first.flush({ sessions: [sessionView({ id: 'ses_a', status: 'paused' })], nextCursor: '2026-10-01T00:00:00.000Z' });
    (await nextRequest((r) => r.url === '/api/configurations')).flush({ configurations: [] });
    await navigated;
    await settle(harness.fixture);

    el<HTMLButtonElement>('sessions-load-more')!.click();
    const more = await nextRequest((r) => r.url === '/api/sessions');
    expect(more.request.params.get('before')).toBe('2026-10-01T00:00:00.000Z');
    expect(more.request.params.get('status')).toBe('paused');
    more.flush({ sessions: [sessionView({ id: 'ses_b', status: 'paused' })], nextCursor: null });
    await settle(harness.fixture);
    expect(all('session-row').map((r) => r.getAttribute('data-session-id'))).toEqual(['ses_a', 'ses_b']);
    expect(el('sessions-load-more')).toBeNull();
  });

  it('shows an empty state when there are no sessions', async () => {
    const navigated = harness.navigateByUrl('/sessions', SessionsListPage);
    await answerList([]);
    await navigated;
    await settle(harness.fixture);
    expect(el('empty-state')?.textContent).toContain('No sessions yet');
  });
});
