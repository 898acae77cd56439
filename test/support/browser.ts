import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROME_BIN ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts');
export const DASHBOARD = path.resolve(__dirname, '..', '..', 'dist', 'frontend', 'browser');

/**
 * Headless Debian Chromium for dashboard tests (never a downloaded browser). Checks the dashboard is built and
 * Chromium is installed, with messages that say what to do.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(path.join(DASHBOARD, 'index.html'))) throw new Error('The dashboard is not built: npm test runs `npm run build` first');
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install Debian's chromium package or set CHROME_BIN`);
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Without the background-networking flags Chromium keeps trying hosts this closed network refuses.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}
