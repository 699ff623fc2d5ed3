/**
 * Real headless Chromium (Debian's /usr/bin/chromium, installed by .ci/run)
 * driven by playwright-core. The flags keep Chromium off the network this
 * machine does not have.
 */
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = process.env.LEAKSCAN_CHROMIUM ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface OpenedPage {
  page: Page;
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
  /** Every URL the page asked for. */
  requests: string[];
}

export async function openFile(browser: Browser, file: string): Promise<OpenedPage> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(`file://${file}`);
  await page.waitForSelector('#chart svg g');
  // d3-flame-graph writes frame labels after its transition. (A locator, not
  // waitForFunction: the report's Content-Security-Policy forbids eval.)
  await page.locator('#chart .d3-flame-graph-label', { hasText: /\S/ }).first().waitFor();
  return { page, errors, requests };
}
