import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (installed by .ci/run), or the browser LANDFALL_CHROMIUM names. */
export function chromiumPath(): string {
  const path = process.env.LANDFALL_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(path))
    throw new Error(
      `no Chromium at ${path}: .ci/run installs Debian's (apt-get install -y --no-install-recommends chromium); elsewhere install it or set LANDFALL_CHROMIUM to a Chrome or Chromium binary`,
    );
  return path;
}

/** Headless Chromium with the flags this machine's closed network needs (no background connections). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
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

/** What a page said and asked for while it loaded: console errors and warnings, uncaught errors, network requests. */
export interface PageLog {
  errors: string[];
  warnings: string[];
  requests: string[];
}

/** Opens `url` with every request off file:// refused and recorded (the page must work offline). */
export async function openOffline(browser: Browser, url: string, viewport = { width: 1200, height: 900 }) {
  const page: Page = await browser.newPage({ viewport });
  const log: PageLog = { errors: [], warnings: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') log.errors.push(m.text());
    if (m.type() === 'warning') log.warnings.push(m.text());
  });
  page.on('pageerror', (e) => log.errors.push(`uncaught: ${e.message}`));
  await page.route(/^(?!file:)/, (route) => {
    log.requests.push(route.request().url());
    return route.abort();
  });
  await page.goto(url);
  return { page, log };
}
