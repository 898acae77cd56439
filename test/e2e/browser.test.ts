import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startRuntime, type TestRuntime } from '../support/runtime';

const CHROMIUM = process.env.CHROME_BIN ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts');
const DASHBOARD = path.resolve(__dirname, '..', '..', 'dist', 'frontend', 'browser');

let rt: TestRuntime;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(path.join(DASHBOARD, 'index.html'))) throw new Error('The dashboard is not built: npm test runs `npm run build` first');
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install Debian's chromium package or set CHROME_BIN`);
  mkdirSync(ARTIFACTS, { recursive: true });
  rt = await startRuntime({}, { staticDir: DASHBOARD });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(15_000);
});

afterAll(async () => {
  await browser?.close();
  await rt?.stop();
});

describe('the dashboard in headless Chromium', () => {
  it('signs up, verifies the email from the dev mailbox, creates an organisation and shows the dashboard', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto(`${rt.url}/sign-up`);
    await page.getByTestId('sign-up-name').fill('Browser User');
    await page.getByTestId('sign-up-email').fill('browser@example.com');
    await page.getByTestId('sign-up-password').fill('a good long password');
    await page.getByTestId('sign-up-submit').click();

    await page.getByText('Check your inbox').waitFor();
    await page.getByTestId('dev-mail-link').click();
    await page.getByTestId('dev-mail-item').first().click();
    await page.getByTestId('dev-mail-message-link').first().click();

    await page.getByTestId('onboarding-org-name').fill('Browser Co');
    await page.getByTestId('onboarding-create-org').click();
    await page.getByTestId('onboarding-finish').click();

    const heading = page.getByTestId('dashboard-heading');
    await heading.waitFor();
    expect(await heading.textContent()).toContain('Browser Co');
    expect(await page.getByTestId('active-org-name').textContent()).toContain('Browser Co');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('invites a colleague from the members page and shows the pending invitation', async () => {
    await page.getByTestId('nav-members').click();
    await page.getByTestId('invite-email').fill('colleague@example.com');
    await page.getByTestId('invite-submit').click();
    const row = page.getByTestId('invitation-row').filter({ hasText: 'colleague@example.com' });
    await row.waitFor();
    expect(await row.getByTestId('invitation-status').textContent()).toMatch(/pending/i);
    // The form is ready for the next address, without complaining that the emptied field is required.
    expect(await page.getByTestId('invite-email').inputValue()).toBe('');
    expect(await page.getByTestId('invite-email-error').count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'members.png'), fullPage: true });
  });
});
