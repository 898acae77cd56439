import { ARTIFACTS, DASHBOARD, launchChromium } from '../support/browser';
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { sandboxSession } from '../../shared/db/schema';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { eventually, signUpVerified, startRuntime, type Client, type TestRuntime } from '../support/runtime';
import { makeGitRepo } from '../support/git';


const FIRST_PROMPT = 'Introduce yourself in one line.';
const PROMPT = 'Write hello.txt, then show it.';
const INTRO = ['I am ', 'ready ', 'to help.'];
/** The reply after the tools, streamed in pieces with a pause between them so the page shows it growing. */
const REPLY = ['I wrote ', '**hello.txt** ', 'and printed ', 'it: the file ', 'says hello ', 'from the agent.'];
/** A time the sandbox ran, not zero: "12s", "1m 5s". */
const ACTIVE = /^([1-9]\d*s|\d+m( \d+s)?)$/;
const REPLY_TEXT = 'I wrote hello.txt and printed it: the file says hello from the agent.';

let rt: TestRuntime;
let llm: FakeOpenAI;
let owner: Client;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let second: Page;
let repoDir: string;
let sessionId: string | undefined;

const pageErrors: string[] = [];
const serverErrors: string[] = [];

function watch(p: Page, who: string): Page {
  p.setDefaultTimeout(15_000);
  p.on('pageerror', (e) => pageErrors.push(`${who}: ${e.message}`));
  p.on('response', (r) => {
    if (r.status() >= 500) serverErrors.push(`${who}: ${r.request().method()} ${r.url()} → ${r.status()}`);
  });
  return p;
}

const shot = (p: Page, name: string) =>
  p.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true, animations: 'disabled' });

/** Waits until the element is fully inside the chat's scrolled viewport. */
async function inView(p: Page, el: ReturnType<Page['locator']>) {
  const chat = p.getByTestId('chat');
  await eventually(
    async () => {
      const [box, view] = [await el.boundingBox(), await chat.boundingBox()];
      return !!box && !!view && box.y >= view.y && box.y + box.height <= view.y + view.height + 1;
    },
    5_000,
    'the element scrolled into view',
  );
}

/** Processes of this runtime's sandboxes: the daemon, the agent, terminal shells (their paths are under the data directory). */
const sandboxProcesses = () =>
  execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(rt.dataDir));

/** The text the model was last given: the newest message (a prompt, or a tool's result). */
const lastMessage = (messages: any[]) => JSON.stringify(messages.at(-1) ?? {});

beforeAll(async () => {

  // The model: a one-line introduction for the first prompt; for the task it writes a file, reads it back with a
  // command, then says what it did.
  llm = await startFakeOpenAI({
    script: (req) => {
      const last = lastMessage(req.messages);
      const role = req.messages.at(-1)?.role;
      if (role === 'user' && last.includes(FIRST_PROMPT)) return { text: INTRO };
      if (role === 'user' && last.includes('Write hello.txt')) {
        return { toolCalls: [{ name: 'write_file', arguments: { path: 'hello.txt', content: 'hello from the agent\n' } }] };
      }
      if (role === 'tool' && !last.includes('hello from the agent')) return { toolCalls: [{ name: 'run_command', arguments: { command: 'cat hello.txt' } }] };
      if (role === 'tool') return { text: REPLY, chunkDelayMs: 150 };
      return { text: 'OK.' };
    },
  });
  rt = await startRuntime({ LLM_BASE_URL: llm.url, LLM_API_KEY: llm.apiKey, LLM_MODEL: llm.model }, { staticDir: DASHBOARD });

  repoDir = makeGitRepo(path.join(rt.dataDir, 'hello-project'), { files: { 'README.md': '# Hello project\n' } });

  // The account is set up through the API (the sign-up pages have their own walk in browser.test.ts); the browser
  // then carries the same session cookie.
  owner = await signUpVerified(rt.url, 'Sam Sessions', 'sam@sessions.example');
  expect((await owner.post('/api/orgs', { name: 'Agents Co' })).status).toBe(201);
  expect((await owner.post('/api/onboarding/complete')).status).toBe(200);

  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.addCookies([...owner.cookies].map(([name, value]) => ({ name, value, url: rt.url })));
  page = watch(await context.newPage(), 'first tab');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (sessionId && owner) {
    // Nothing may be left running: the session's sandbox goes with it.
    await owner.delete(`/api/sessions/${sessionId}`);
    const id = sessionId;
    await eventually(async () => (await rt.db.db.select().from(sandboxSession).where(eq(sandboxSession.id, id))).length === 0, 20_000, 'session deleted').catch(() => {});
  }
  await rt?.stop();
  await llm?.close();
});

afterEach(() => {
  const seen = { pageErrors: pageErrors.splice(0), serverErrors: serverErrors.splice(0) };
  expect(seen).toEqual({ pageErrors: [], serverErrors: [] });
});

describe('a session in the dashboard, in headless Chromium, against the real backend', () => {
  it('adds the git repository on the Repos page, with a configuration', async () => {
    await page.goto(`${rt.url}/`);
    await page.getByTestId('dashboard-heading').filter({ hasText: 'Agents Co' }).waitFor();
    await page.getByTestId('nav-repos').click();
    await page.getByTestId('page-heading').filter({ hasText: 'Repos' }).waitFor();

    await page.getByTestId('repo-source-local').click();
    await page.getByTestId('repo-location').fill(realpathSync(repoDir));
    expect(await page.getByTestId('repo-create-configuration').locator('input[type=checkbox]').isChecked()).toBe(true);
    await page.getByTestId('repo-add').click();

    const row = page.locator('[data-testid="repo-row"][data-name="hello-project"]');
    await row.waitFor();
    expect(await row.textContent()).toContain(realpathSync(repoDir));
    expect(await row.textContent()).toContain('main');
    // The form is ready for the next one.
    expect(await page.getByTestId('repo-location').inputValue()).toBe('');
    await shot(page, 'sessions-repos');

    const configurations = await owner.get('/api/configurations');
    expect(configurations.body.configurations.map((c: any) => c.name)).toEqual(['hello-project']);
  });

  it('starts a session on the configuration from the New session dialog, with a first prompt the agent answers', async () => {
    await page.getByTestId('nav-sessions').click();
    await page.getByTestId('page-heading').filter({ hasText: 'Sessions' }).waitFor();
    await page.getByTestId('new-session').click();

    await page.getByTestId('new-session-configuration').click();
    await page.getByTestId('new-session-configuration-option').filter({ hasText: 'hello-project' }).click();
    await page.getByTestId('new-session-title').fill('Hello from the browser');
    await page.getByTestId('new-session-prompt').fill(FIRST_PROMPT);
    await page.getByTestId('new-session-create').click();

    await page.waitForURL((url) => /^\/sessions\/[^/]+$/.test(url.pathname));
    sessionId = new URL(page.url()).pathname.split('/').pop();
    expect(sessionId).toBeTruthy();
    // Never "Untitled session" while the page loads a titled one.
    expect(await page.getByTestId('session-title').textContent()).not.toContain('Untitled');
    await page.getByTestId('session-title').filter({ hasText: 'Hello from the browser' }).waitFor();

    // The sandbox boots and the first prompt goes to the agent as soon as it is up.
    await page.getByTestId('user-message-text').filter({ hasText: FIRST_PROMPT }).waitFor({ timeout: 45_000 });
    await page.locator('[data-testid="assistant-text"][data-complete="true"]').filter({ hasText: INTRO.join('') }).waitFor({ timeout: 45_000 });
    await page.locator('[data-testid="session-status"][data-raw-status="running"]').waitFor();
    await page.getByTestId('status-banner').waitFor({ state: 'detached' });
    await shot(page, 'session-started');
  });

  it('sends a prompt and shows the streamed reply and the tool calls: the diff of the written file and the command output', async () => {
    await page.getByTestId('prompt-input').fill(PROMPT);
    await page.getByTestId('prompt-send').click();
    await page.getByTestId('user-message-text').filter({ hasText: PROMPT }).waitFor();
    expect(await page.getByTestId('prompt-input').inputValue()).toBe('');

    const reply = page.getByTestId('assistant-text').filter({ hasText: 'I wrote' });
    // The reply grows while it streams (the model sends it in pieces), then is marked complete.
    await page.locator('[data-testid="assistant-text"][data-complete="false"]').filter({ hasText: 'I wrote' }).waitFor({ timeout: 20_000 });
    await reply.and(page.locator('[data-complete="true"]')).waitFor({ timeout: 20_000 });
    expect((await reply.textContent())?.replace(/\s+/g, ' ').trim()).toBe(REPLY_TEXT);
    // Markdown is rendered, not shown raw.
    expect(await reply.locator('strong').textContent()).toBe('hello.txt');
    await page.getByTestId('agent-working').waitFor({ state: 'detached' });
    // The chat followed the reply down.
    await inView(page, reply);

    const cards = page.getByTestId('tool-card');
    await page.locator('[data-testid="tool-card"][data-status="completed"]').nth(1).waitFor();
    expect(await cards.count()).toBe(2);
    expect(await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))).toEqual(['completed', 'completed']);

    // write_file: a card that changed a file stays open and shows the diff of the new file.
    const write = cards.nth(0);
    expect(await write.getByTestId('tool-card-toggle').textContent()).toContain('write_file');
    if ((await write.getByTestId('tool-card-toggle').getAttribute('aria-expanded')) !== 'true') await write.getByTestId('tool-card-toggle').click();
    const diff = write.getByTestId('diff');
    await diff.waitFor();
    expect(await diff.getAttribute('data-path')).toContain('hello.txt');
    const added = diff.locator('[data-testid="diff-line"][data-kind="add"]');
    expect(await added.count()).toBe(1);
    expect(await added.first().textContent()).toContain('hello from the agent');
    expect(await diff.locator('[data-testid="diff-line"][data-kind="del"]').count()).toBe(0);
    expect(await write.locator('[data-testid="tool-card-output"], [data-testid="tool-card-result"]').allTextContents()).toEqual(['Created hello.txt (1 line)']);

    // run_command: done, so collapsed; opening it shows what the command printed.
    const run = cards.nth(1);
    expect(await run.getByTestId('tool-card-toggle').textContent()).toContain('run_command');
    if ((await run.getByTestId('tool-card-toggle').getAttribute('aria-expanded')) !== 'true') await run.getByTestId('tool-card-toggle').click();
    await run.locator('[data-testid="tool-card-output"], [data-testid="tool-card-result"]').filter({ hasText: 'hello from the agent' }).first().waitFor();
    await shot(page, 'session-transcript');
  });

  it('opens a terminal in the sandbox and runs a command in it', async () => {
    await page.getByTestId('tab-terminal').click();
    await page.locator('[data-testid="terminal-panel"][data-state="open"]').waitFor({ timeout: 20_000 });
    const terminal = page.getByTestId('terminal');
    await terminal.locator('.xterm-rows').waitFor();
    await terminal.click();
    await page.keyboard.type('echo TERMINAL_$((6*7))');
    await page.keyboard.press('Enter');
    // The typed line shows the expression; only the shell's output has the result.
    await terminal.locator('.xterm-rows').filter({ hasText: 'TERMINAL_42' }).waitFor({ timeout: 20_000 });
    // The agent's file is in the shell's working directory.
    await page.keyboard.type('cat hello.txt');
    await page.keyboard.press('Enter');
    await eventually(async () => ((await terminal.locator('.xterm-rows').textContent()) ?? '').split('hello from the agent').length > 1, 10_000, 'cat output');
    await shot(page, 'session-terminal');
    expect(sandboxProcesses().some((l) => l.includes('daemon.js'))).toBe(true);
  });

  it('shows the untracked file in the git panel', async () => {
    await page.getByTestId('tab-git').click();
    await page.getByTestId('git-branch').filter({ hasText: 'main' }).waitFor({ timeout: 20_000 });
    await page.getByTestId('git-untracked').filter({ hasText: 'hello.txt' }).waitFor({ timeout: 20_000 });
    await shot(page, 'session-git');
  });

  it('renders the same conversation in a second tab', async () => {
    second = watch(await context.newPage(), 'second tab');
    await second.goto(`${rt.url}/sessions/${sessionId}`);
    const reply = second.locator('[data-testid="assistant-text"][data-complete="true"]').filter({ hasText: 'I wrote' });
    await reply.waitFor();
    expect((await reply.textContent())?.replace(/\s+/g, ' ').trim()).toBe(REPLY_TEXT);

    const texts = async (p: Page, id: string) => (await p.getByTestId(id).allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    const status = async (p: Page) => p.getByTestId('tool-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    expect(await texts(second, 'user-message-text')).toEqual([FIRST_PROMPT, PROMPT]);
    expect(await texts(second, 'user-message-text')).toEqual(await texts(page, 'user-message-text'));
    expect(await texts(second, 'assistant-text')).toEqual(await texts(page, 'assistant-text'));
    expect(await texts(second, 'tool-card-title')).toEqual(await texts(page, 'tool-card-title'));
    expect(await status(second)).toEqual(['completed', 'completed']);
    await second.getByTestId('tool-card').nth(0).getByTestId('diff').filter({ hasText: 'hello from the agent' }).waitFor();
    // A page opened on a finished conversation starts at its end.
    await inView(second, reply);
    await shot(second, 'session-second-tab');
  });

  it('pauses the session; both tabs show that it is paused', async () => {
    await page.getByTestId('session-pause').click();
    await page.getByTestId('confirm-button').click();
    for (const p of [page, second]) {
      await p.locator('[data-testid="status-banner"][data-status="paused"]').waitFor({ timeout: 30_000 });
      await p.getByTestId('session-resume').waitFor();
      expect(await p.getByTestId('session-pause').count()).toBe(0);
      expect(await p.getByTestId('status-banner-detail').textContent()).toMatch(/paused by a person/i);
    }
    // The side panel says the sandbox is gone instead of pretending.
    await page.getByTestId('git-unavailable').waitFor();
    await shot(page, 'session-paused');
    expect((await owner.get(`/api/sessions/${sessionId}`)).body).toMatchObject({ status: 'paused', pauseReason: 'manual' });
  });

  it('lists the session with its telemetry', async () => {
    await second.getByTestId('session-back').click();
    await second.getByTestId('sessions-table').waitFor();
    const row = second.locator(`[data-testid="session-row"][data-session-id="${sessionId}"]`);
    await row.waitFor();
    expect(await second.getByTestId('session-row').count()).toBe(1);
    expect(await row.getByTestId('session-row-link').textContent()).toContain('Hello from the browser');
    expect(await row.getByTestId('session-status').getAttribute('data-raw-status')).toBe('paused');
    expect(await row.textContent()).toContain('hello-project');
    expect(await row.textContent()).toContain('Sam Sessions');
    // Two tool calls; two prompts and two replies; the time the sandbox ran, counted when it paused.
    expect(Number(await row.getByTestId('session-row-tool-calls').textContent())).toBe(2);
    expect(Number(await row.getByTestId('session-row-messages').textContent())).toBe(4);
    expect((await row.getByTestId('session-row-active').textContent())?.trim()).toMatch(ACTIVE);
    await shot(second, 'sessions-list');

    // The row opens the peek drawer: the same telemetry and what happened last; from there, the session.
    await row.click();
    const peek = second.locator(`[data-testid="peek-drawer"][data-session-id="${sessionId}"]`);
    await peek.waitFor();
    expect((await peek.getByTestId('peek-metrics').textContent())?.replace(/\s+/g, ' ')).toMatch(new RegExp(`2 tool calls · 4 messages · ${ACTIVE.source.slice(1, -1)} active`));
    await peek.getByTestId('peek-event').first().waitFor();
    expect((await peek.getByTestId('peek-event').allTextContents()).join('\n')).toContain('hello.txt');
    await shot(second, 'sessions-peek');
    await peek.getByTestId('peek-open').click();
    await second.waitForURL((url) => url.pathname === `/sessions/${sessionId}`);
    await second.locator('[data-testid="status-banner"][data-status="paused"]').waitFor();
    await second.close();
  });

  it('deletes the session through the API, and nothing of it is left', async () => {
    const id = sessionId!;
    const deleted = await owner.delete(`/api/sessions/${id}`);
    expect(deleted.status).toBe(202);
    await eventually(async () => (await owner.get(`/api/sessions/${id}`)).status === 404, 20_000, 'session gone');
    await eventually(async () => (await rt.db.db.select().from(sandboxSession).where(eq(sandboxSession.id, id))).length === 0, 20_000, 'session row gone');
    // No process of this runtime's sandboxes (the daemon, the agent, the terminal's shell) is left running.
    await eventually(async () => sandboxProcesses().length === 0, 20_000, 'sandbox processes to exit').catch(() => {
      throw new Error(`sandbox processes left running:\n${sandboxProcesses().join('\n')}`);
    });
    sessionId = undefined;
  });
});
