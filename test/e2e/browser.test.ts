import { ARTIFACTS, DASHBOARD, launchChromium } from '../support/browser';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { signUpVerified, startRuntime, type TestRuntime } from '../support/runtime';


const OWNER = { name: 'Browser User', email: 'browser@example.com', password: 'a good long password' };
const COLLEAGUE = { name: 'Casey Colleague', email: 'colleague@example.com', password: 'another long password' };

let rt: TestRuntime;
let browser: Browser;
/** The first user (a super-admin, owner of Browser Co). */
let page: Page;
/** The invited colleague, in a context of their own: separate cookies, separate storage. */
let colleagueContext: BrowserContext;
let colleague: Page;

/** Uncaught errors in any page and server errors behind any request, from every page of the journey. */
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

/** Calls the API the way a script with an API key would: no cookies, only the key. */
async function withKey(key: string, route: string) {
  const res = await fetch(rt.url + route, { headers: { 'x-api-key': key } });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as Record<string, any> };
}

beforeAll(async () => {
  rt = await startRuntime({}, { staticDir: DASHBOARD });
  browser = await launchChromium();
  page = watch(await browser.newPage({ viewport: { width: 1280, height: 800 } }), 'owner');
  colleagueContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  colleague = watch(await colleagueContext.newPage(), 'colleague');
});

afterAll(async () => {
  await browser?.close();
  await rt?.stop();
});

afterEach(() => {
  // Every step of the journey, not only the last page, must run without an uncaught error or a server failure.
  // Each step reports its own: what it saw is taken out before the next one starts.
  const seen = { pageErrors: pageErrors.splice(0), serverErrors: serverErrors.splice(0) };
  expect(seen).toEqual({ pageErrors: [], serverErrors: [] });
});

describe('the dashboard in headless Chromium', () => {
  it('signs up, verifies the email from the dev mailbox, creates an organisation and shows the dashboard', async () => {
    await page.goto(`${rt.url}/sign-up`);
    await page.getByTestId('sign-up-name').fill(OWNER.name);
    await page.getByTestId('sign-up-email').fill(OWNER.email);
    await page.getByTestId('sign-up-password').fill(OWNER.password);
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
    await shot(page, 'dashboard');
  });

  it('invites a colleague from the members page and shows the pending invitation', async () => {
    await page.getByTestId('nav-members').click();
    await page.getByTestId('invite-email').fill(COLLEAGUE.email);
    await page.getByTestId('invite-submit').click();
    const row = page.getByTestId('invitation-row').filter({ hasText: COLLEAGUE.email });
    await row.waitFor();
    expect(await row.getByTestId('invitation-status').textContent()).toMatch(/pending/i);
    // The form is ready for the next address, without complaining that the emptied field is required.
    expect(await page.getByTestId('invite-email').inputValue()).toBe('');
    expect(await page.getByTestId('invite-email-error').count()).toBe(0);
    await shot(page, 'members');
  });

  it('lets the colleague open the invitation signed out, sign up from it, verify, come back and accept', async () => {
    // The invitation arrives in the dev mailbox; the colleague opens it there, signed out.
    await colleague.goto(`${rt.url}/dev/mail?to=${encodeURIComponent(COLLEAGUE.email)}`);
    await colleague.getByTestId('dev-mail-item').filter({ hasText: 'invited you' }).click();
    await colleague.getByTestId('dev-mail-message-link').filter({ hasText: '/invite/' }).click();

    const card = colleague.getByTestId('invite-card');
    await colleague.locator('[data-testid="invite-card"][data-state="signed-out"]').waitFor();
    const invitePath = new URL(colleague.url()).pathname;
    expect(invitePath).toMatch(/^\/invite\/inv_/);
    expect(await colleague.getByTestId('invite-title').textContent()).toContain('Browser Co');
    expect(await colleague.getByTestId('invite-message').textContent()).toContain(COLLEAGUE.email);
    await shot(colleague, 'invitation-signed-out');

    // Sign up from the invitation: the address is filled in, and the way back to the invitation is kept.
    await colleague.getByTestId('invite-sign-up').click();
    await colleague.getByTestId('sign-up-name').waitFor();
    expect(await colleague.getByTestId('sign-up-email').inputValue()).toBe(COLLEAGUE.email);
    await colleague.getByTestId('sign-up-name').fill(COLLEAGUE.name);
    await colleague.getByTestId('sign-up-password').fill(COLLEAGUE.password);
    await colleague.getByTestId('sign-up-submit').click();

    await colleague.getByText('Check your inbox').waitFor();
    expect(await colleague.getByTestId('verify-email-address').textContent()).toBe(COLLEAGUE.email);
    await shot(colleague, 'verify-email');
    await colleague.getByTestId('dev-mail-link').click();
    await colleague.getByTestId('dev-mail-item').filter({ hasText: 'Verify' }).click();
    await shot(colleague, 'dev-mailbox');
    await colleague.getByTestId('dev-mail-message-link').filter({ hasText: 'verify-email' }).click();

    // The verification link signs them in and brings them back to the invitation, which they can now accept.
    await colleague.waitForURL((url) => url.pathname === invitePath);
    await colleague.locator('[data-testid="invite-card"][data-state="can-accept"]').waitFor();
    expect(await card.getAttribute('data-state')).toBe('can-accept');
    await shot(colleague, 'invitation-can-accept');
    await colleague.getByTestId('invite-accept').click();

    const heading = colleague.getByTestId('dashboard-heading');
    await heading.waitFor();
    expect(new URL(colleague.url()).pathname).toBe('/');
    expect(await heading.textContent()).toContain('Browser Co');
    expect(await colleague.getByTestId('active-org-name').textContent()).toContain('Browser Co');
    expect(await colleague.getByTestId('my-role').textContent()).toMatch(/member/i);
    await colleague.getByTestId('member-count').filter({ hasText: '2' }).waitFor();
    await shot(colleague, 'colleague-dashboard');

    // As a member they see who is in the organisation but cannot invite or remove anyone.
    await colleague.getByTestId('nav-members').click();
    await colleague.locator(`[data-testid="member-row"][data-email="${OWNER.email}"]`).waitFor();
    expect(await colleague.getByTestId('member-row').count()).toBe(2);
    expect(await colleague.getByTestId('invite-email').count()).toBe(0);
    expect(await colleague.getByTestId('member-remove').count()).toBe(0);
    expect(await colleague.getByTestId('member-role-select').count()).toBe(0);

    // The link in the mail has done its job: opening it again says so.
    await colleague.goto(rt.url + invitePath);
    await colleague.locator('[data-testid="invite-card"][data-state="accepted"]').waitFor();
    await colleague.getByRole('link', { name: 'Go to the dashboard' }).click();
    await heading.filter({ hasText: 'Browser Co' }).waitFor();
  });

  it('shows the first user the new member on the Members page without a reload', async () => {
    // The owner has been looking at the Members page all along: the organisation event arrives over the WebSocket.
    expect(new URL(page.url()).pathname).toBe('/members');
    const row = page.locator(`[data-testid="member-row"][data-email="${COLLEAGUE.email}"]`);
    await row.waitFor({ timeout: 5_000 });
    expect(await row.textContent()).toContain(COLLEAGUE.name);
    expect(await page.getByTestId('members-count').textContent()).toBe('2');
    const invitation = page.getByTestId('invitation-row').filter({ hasText: COLLEAGUE.email });
    await invitation.getByTestId('invitation-status').filter({ hasText: /accepted/i }).waitFor();
    // The owner can now manage the colleague.
    expect(await row.getByTestId('member-role-select').count()).toBe(1);
    expect(await row.getByTestId('member-remove').count()).toBe(1);
    await shot(page, 'members-after-join');

    // And it is really stored: after a reload it is still there.
    await page.reload();
    await page.locator(`[data-testid="member-row"][data-email="${COLLEAGUE.email}"]`).waitFor();
  });

  it('lets the colleague create a second organisation from the org switcher and switch back', async () => {
    await colleague.getByTestId('org-switcher').click();
    const items = colleague.getByTestId('org-switcher-item');
    expect(await items.count()).toBe(1);
    await colleague.getByTestId('org-switcher-create').click();
    await colleague.getByTestId('create-org-name').fill('Colleague Co');
    await colleague.getByTestId('create-org-submit').click();

    const heading = colleague.getByTestId('dashboard-heading');
    await heading.filter({ hasText: 'Colleague Co' }).waitFor();
    expect(await colleague.getByTestId('active-org-name').textContent()).toContain('Colleague Co');
    expect(await colleague.getByTestId('my-role').textContent()).toMatch(/owner/i);
    await colleague.getByTestId('member-count').filter({ hasText: '1' }).waitFor();
    await shot(colleague, 'colleague-second-org');

    await colleague.getByTestId('org-switcher').click();
    expect(await items.count()).toBe(2);
    expect(await items.filter({ hasText: 'Colleague Co' }).getAttribute('aria-checked')).toBe('true');
    expect(await items.filter({ hasText: 'Browser Co' }).getAttribute('aria-checked')).toBe('false');
    await shot(colleague, 'org-switcher');
    await items.filter({ hasText: 'Browser Co' }).click();

    await heading.filter({ hasText: 'Browser Co' }).waitFor();
    expect(await colleague.getByTestId('active-org-name').textContent()).toContain('Browser Co');
    expect(await colleague.getByTestId('my-role').textContent()).toMatch(/member/i);
    await colleague.getByTestId('member-count').filter({ hasText: '2' }).waitFor();

    // The choice is the session's, not only the page's: it survives a reload.
    await colleague.reload();
    await heading.filter({ hasText: 'Browser Co' }).waitFor();
    await colleague.getByTestId('org-switcher').click();
    expect(await items.filter({ hasText: 'Browser Co' }).getAttribute('aria-checked')).toBe('true');
    await colleague.keyboard.press('Escape');
  });

  it('creates an API key shown once, which works until it is revoked in the UI', async () => {
    await page.getByTestId('nav-api-keys').click();
    await page.getByTestId('api-key-create').click();
    await page.getByTestId('api-key-name').fill('e2e script');
    await page.getByTestId('api-key-submit').click();

    const secret = page.getByTestId('api-key-secret');
    await secret.waitFor();
    const key = (await secret.textContent())?.trim() ?? '';
    expect(key).toMatch(/^prl_\S{20,}$/);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: rt.url });
    await page.getByTestId('api-key-copy').click();
    await page.getByTestId('api-key-copy').filter({ hasText: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await shot(page, 'api-key-created');
    await page.getByTestId('api-key-done').click();
    await secret.waitFor({ state: 'detached' });

    // Shown once: the list has the key, but never the secret.
    const row = page.getByTestId('api-key-row').filter({ hasText: 'e2e script' });
    await row.waitFor();
    expect(await page.locator('body').textContent()).not.toContain(key);
    await shot(page, 'api-keys');

    const members = await withKey(key, '/api/org/members');
    expect(members.status).toBe(200);
    expect(members.body.members.map((m: any) => m.email).sort()).toEqual([COLLEAGUE.email, OWNER.email].sort());
    // The list tells when a key was last used.
    await page.reload();
    await row.waitFor();
    expect(await row.locator('.mat-column-lastUsed').textContent()).not.toMatch(/never/i);

    await row.getByTestId('api-key-revoke').click();
    await page.getByTestId('confirm-button').click();
    await row.waitFor({ state: 'detached' });
    await page.getByText('No API keys yet').waitFor();

    const after = await withKey(key, '/api/org/members');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('invalid_api_key');
  });

  it('lets the super-admin impersonate the colleague from Admin and stop again', async () => {
    await page.getByTestId('nav-admin').click();
    await page.getByTestId('admin-user-search').fill('colleague');
    const row = page.locator(`[data-testid="admin-user-row"][data-email="${COLLEAGUE.email}"]`);
    await row.waitFor();
    await page.locator(`[data-testid="admin-user-row"][data-email="${OWNER.email}"]`).waitFor({ state: 'detached' });
    await shot(page, 'admin');

    await row.getByTestId('admin-impersonate').click();
    await page.getByTestId('confirm-button').click();

    const banner = page.getByTestId('impersonation-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toContain(COLLEAGUE.email);
    // The dashboard as the colleague sees it: in an organisation of theirs, as a member.
    await page.getByTestId('dashboard-heading').filter({ hasText: 'Browser Co' }).waitFor();
    expect(await page.getByTestId('active-org-name').textContent()).toContain('Browser Co');
    expect(await page.getByTestId('my-role').textContent()).toMatch(/member/i);
    await page.getByTestId('user-menu').click();
    expect(await page.getByTestId('user-email').textContent()).toBe(COLLEAGUE.email);
    await shot(page, 'impersonating');
    await page.keyboard.press('Escape');
    await page.getByTestId('user-email').waitFor({ state: 'hidden' });
    // They see the dashboard as the colleague does: no Admin in the navigation.
    expect(await page.getByTestId('nav-admin').count()).toBe(0);

    await page.getByTestId('stop-impersonating').click();
    await banner.waitFor({ state: 'detached' });
    await page.getByTestId('page-heading').filter({ hasText: 'Admin' }).waitFor();
    expect(await page.getByTestId('active-org-name').textContent()).toContain('Browser Co');
    await page.getByTestId('user-menu').click();
    expect(await page.getByTestId('user-email').textContent()).toBe(OWNER.email);
    await page.keyboard.press('Escape');
    await page.getByTestId('nav-overview').click();
    expect(await page.getByTestId('my-role').textContent()).toMatch(/owner/i);
    await shot(page, 'after-impersonation');

    // Someone who has not set up an organisation yet is impersonated onto onboarding, and the way back is still there.
    await signUpVerified(rt.url, 'Newcomer', 'newcomer@example.com');
    await page.getByTestId('nav-admin').click();
    await page.getByTestId('admin-user-search').fill('newcomer');
    await page.locator('[data-testid="admin-user-row"][data-email="newcomer@example.com"]').getByTestId('admin-impersonate').click();
    await page.getByTestId('confirm-button').click();
    await page.getByTestId('onboarding-org-name').waitFor();
    expect(await banner.textContent()).toContain('newcomer@example.com');
    await shot(page, 'impersonating-onboarding');
    await page.getByTestId('stop-impersonating').click();
    await page.getByTestId('page-heading').filter({ hasText: 'Admin' }).waitFor();
    expect(await banner.count()).toBe(0);
    await page.getByTestId('user-menu').click();
    expect(await page.getByTestId('user-email').textContent()).toBe(OWNER.email);
    await page.keyboard.press('Escape');

    // The colleague's own session was never touched.
    await colleague.reload();
    await colleague.getByTestId('dashboard-heading').filter({ hasText: 'Browser Co' }).waitFor();
    expect(await colleague.getByTestId('impersonation-banner').count()).toBe(0);
  });
});
