import path from 'node:path';
import { eq } from 'drizzle-orm';
import { type Browser, type Page } from 'playwright-core';
import { sandboxSession } from '../../shared/db/schema';
import { ARTIFACTS, DASHBOARD, launchChromium } from '../support/browser';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { makeGitRepo } from '../support/git';
import { eventually, signUpVerified, startRuntime, type Client, type TestRuntime } from '../support/runtime';

/**
 * The agent asks for a secret mid-session: the person answers in the Environment form under the agent's call, saves it
 * for future sessions, and the agent finds it in the sandbox; the value is never shown again, anywhere.
 */
const VALUE = 's3cr3t-token-value-8271';
const ASK = 'Set up the API token.';
const CHECK = 'Check the token.';
/** Prints whether the submitted value is in the sandbox's env file, never the value itself. */
const PROBE = `node -e "const v = require(process.env.PROLIFERATE_ENV_FILE).API_TOKEN; console.log(v && v.length === ${VALUE.length} ? 'API_TOKEN is set' : 'API_TOKEN is missing')"`;

let rt: TestRuntime;
let llm: FakeOpenAI;
let owner: Client;
let browser: Browser;
let page: Page;
let sessionId: string;
const problems: string[] = [];

const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true, animations: 'disabled' });

beforeAll(async () => {
  llm = await startFakeOpenAI({
    script: (req) => {
      const last = req.messages.at(-1);
      const text = JSON.stringify(last ?? {});
      if (last?.role === 'user' && text.includes(ASK)) {
        return { toolCalls: [{ name: 'proliferate__request_env_variables', arguments: { keys: [{ key: 'API_TOKEN', description: 'The token of the example API', type: 'secret' }] } }] };
      }
      if (last?.role === 'user' && text.includes(CHECK)) return { toolCalls: [{ name: 'run_command', arguments: { command: PROBE } }] };
      if (last?.role === 'tool' && text.includes('API_TOKEN is set')) return { text: 'The token is in place.' };
      if (last?.role === 'tool') return { text: 'I asked for API_TOKEN; fill it in above.' };
      return { text: 'OK.' };
    },
  });
  rt = await startRuntime({ LLM_BASE_URL: llm.url, LLM_API_KEY: llm.apiKey, LLM_MODEL: llm.model }, { staticDir: DASHBOARD });
  const repoDir = makeGitRepo(path.join(rt.dataDir, 'token-project'), { files: { 'README.md': '# Token project\n' } });
  owner = await signUpVerified(rt.url, 'Tess Tokens', 'tess@secrets-browser.example');
  expect((await owner.post('/api/orgs', { name: 'Token Co' })).status).toBe(201);
  expect((await owner.post('/api/onboarding/complete')).status).toBe(200);
  const added = await owner.post('/api/repos', { path: repoDir });
  const configurationId = added.body.configuration.id;
  await eventually(async () => (await owner.get(`/api/configurations/${configurationId}`)).body.status !== 'building', 60_000, 'the configuration build');
  const created = await owner.post('/api/sessions', { configurationId, sandboxMode: 'immediate', title: 'Token session', initialPrompt: ASK });
  expect(created.status).toBe(201);
  sessionId = created.body.id;

  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.addCookies([...owner.cookies].map(([name, value]) => ({ name, value, url: rt.url })));
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 500) problems.push(`${r.request().method()} ${r.url()} → ${r.status()}`);
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (sessionId && owner) {
    await owner.delete(`/api/sessions/${sessionId}`);
    await eventually(async () => (await rt.db.db.select().from(sandboxSession).where(eq(sandboxSession.id, sessionId))).length === 0, 20_000, 'session deleted').catch(() => {});
  }
  await rt?.stop();
  await llm?.close();
});

afterEach(() => expect(problems.splice(0)).toEqual([]));

describe('secrets in the dashboard, in headless Chromium', () => {
  it('shows the Environment form under the agent’s request; the value goes to the sandbox and is saved', async () => {
    await page.goto(`${rt.url}/sessions/${sessionId}`);
    const form = page.getByTestId('env-form');
    await form.waitFor({ timeout: 45_000 });
    expect(await page.getByTestId('env-key').allTextContents()).toEqual([expect.stringContaining('API_TOKEN')]);
    expect(await page.getByTestId('env-description').first().textContent()).toContain('The token of the example API');
    const input = page.getByTestId('env-value-API_TOKEN').locator('input').or(page.locator('input[data-testid="env-value-API_TOKEN"]'));
    expect(await input.getAttribute('type')).toBe('password');
    await input.fill(VALUE);
    await page.getByTestId('env-save-API_TOKEN').locator('button, input').first().click();
    await page.getByTestId('env-submit').click();

    const result = page.getByTestId('env-result');
    await result.waitFor({ timeout: 20_000 });
    expect(await result.textContent()).toContain('Sent API_TOKEN to the sandbox.');
    expect(await result.textContent()).toContain('Saved for future sessions: API_TOKEN.');
    // The form does not keep the value once sent, and its emptied field is not shown as an error.
    expect(await input.inputValue()).toBe('');
    expect(await form.locator('mat-error').count()).toBe(0);
    await shot('session-env-form');
  });

  it('lets the agent find the value in the sandbox; the page never shows it', async () => {
    await page.getByTestId('prompt-input').fill(CHECK);
    await page.getByTestId('prompt-send').click();
    await page.locator('[data-testid="assistant-text"][data-complete="true"]').filter({ hasText: 'The token is in place.' }).waitFor({ timeout: 30_000 });
    const card = page.getByTestId('tool-card').last();
    if ((await card.getByTestId('tool-card-toggle').getAttribute('aria-expanded')) !== 'true') await card.getByTestId('tool-card-toggle').click();
    await card.locator('[data-testid="tool-card-output"], [data-testid="tool-card-result"]').filter({ hasText: 'API_TOKEN is set' }).first().waitFor();
    expect(await page.content()).not.toContain(VALUE);
  });

  it('lists the saved secret on the Secrets page, for the whole organisation, without its value', async () => {
    await page.goto(`${rt.url}/settings/secrets`);
    const row = page.locator('[data-testid="secret-row"][data-key="API_TOKEN"]');
    await row.waitFor();
    expect(await row.getAttribute('data-scope')).toBe('organization');
    expect(await row.getByTestId('secret-scope-cell').textContent()).toContain('Organisation');
    expect(await page.content()).not.toContain(VALUE);
    await shot('settings-secrets');
  });
});
