import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Chromium for the browser suites (Debian's /usr/bin/chromium, or CHROMIUM_PATH), driven by
 * playwright-core. Outside CI a machine without it skips those suites; in CI a missing browser
 * fails them, since a skipped browser test proves nothing.
 */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const chromiumPresent = fs.existsSync(CHROMIUM);

/** describe(name, fn) where Chromium is there (or in CI, where its absence fails); describe.skip elsewhere. */
export function describeWithChromium(name: string, fn: () => void): void {
  if (chromiumPresent || process.env.CI === 'true') describe(name, fn);
  else describe.skip(`${name} (no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH)`, fn);
}

/**
 * Launches headless Chromium, offline-friendly (no background networking, sync or component
 * updates). Each `browser.newContext()` is a separate profile (its own storage), e.g. one per
 * buyer; close the browser when done.
 */
export async function launchChromium(): Promise<Browser> {
  if (!chromiumPresent) throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  });
}
