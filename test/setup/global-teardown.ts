import fs from 'node:fs';
import path from 'node:path';
import { NOTES_DIR_ENV } from '../kit/notes';

/**
 * jest globalTeardown: after jest's summary, says what did not run and how to run it: the suites
 * skipped for want of Chromium, and the MySQL project when no DATABASE_URL_MYSQL was given.
 */
export default function globalTeardown(): void {
  const dir = process.env[NOTES_DIR_ENV];
  const lines: string[] = [];
  if (dir) {
    const file = path.join(dir, 'skipped.txt');
    if (fs.existsSync(file)) lines.push(...new Set(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // The same test as jest.config.js's for the mysql project.
  if (!(process.env.DATABASE_URL_MYSQL || process.env.TEST_MYSQL_URL)) {
    lines.push('MySQL suites were not run (only SQLite): set DATABASE_URL_MYSQL, e.g. DATABASE_URL_MYSQL=mysql://root@127.0.0.1:3306/test npm test');
  }
  if (lines.length) process.stderr.write(`\nNot run in this test run:\n${lines.map((l) => `  - ${l}`).join('\n')}\n`);
}
