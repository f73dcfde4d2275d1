import fs from 'node:fs';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import { inCi, recordSkippedSuite } from './notes';

/**
 * The browser suites drive Debian's Chromium through playwright-core (no browser download). On a
 * machine without it they SKIP, with a note printed at the end of `npm test` (test/setup/notes.ts);
 * in CI (`CI=true`) they FAIL instead: a skipped browser test proves nothing there.
 */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const HOW_TO = `install Chromium (apt-get install chromium) or point CHROMIUM_PATH at a Chromium binary`;

/**
 * `describe` when Chromium is found. Otherwise: in CI a clear error fails the suite; elsewhere the
 * block is skipped (`describe.skip`) and the skip is noted for the end of the run.
 */
export function describeWithChromium(name: string, fn: () => void): void {
  if (fs.existsSync(CHROMIUM)) {
    describe(name, fn);
    return;
  }
  if (inCi()) throw new Error(`Chromium not found at ${CHROMIUM} (CI=true: browser suites must run): ${HOW_TO}`);
  recordSkippedSuite(`${name}: skipped, Chromium not found at ${CHROMIUM}; to run it, ${HOW_TO}`);
  describe.skip(`${name} (skipped: Chromium not found at ${CHROMIUM})`, fn);
}

/** A headless Chromium for one suite; close it in afterAll. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  });
}
