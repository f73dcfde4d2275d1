import fs from 'node:fs';
import path from 'node:path';

/**
 * Whether this run is CI (`CI` set to 1/true/yes, in any case): there nothing may be skipped, and a
 * suite whose prerequisite is missing fails instead.
 */
export const inCi = (): boolean => ['1', 'true', 'yes'].includes((process.env.CI ?? '').trim().toLowerCase());

/** Where suites leave notes for the end of the run: set by test/setup/global-setup.ts. */
export const NOTES_DIR_ENV = 'FLASHSALE_TEST_NOTES_DIR';

/**
 * Notes that a suite (or a block of one) was skipped and how to run it; test/setup/global-teardown.ts
 * prints them once after jest's summary. Without the global setup (a bare jest run) the note goes
 * to stderr at once.
 */
export function recordSkippedSuite(note: string): void {
  const testPath = expect.getState().testPath;
  const line = `${testPath ? `${path.relative(process.cwd(), testPath)}: ` : ''}${note}`;
  const dir = process.env[NOTES_DIR_ENV];
  if (dir && fs.existsSync(dir)) fs.appendFileSync(path.join(dir, 'skipped.txt'), `${line}\n`);
  else process.stderr.write(`note: ${line}\n`);
}
