import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inCi, NOTES_DIR_ENV } from '../kit/notes';

/**
 * jest globalSetup: in CI (CI=true) the MySQL project must run, so a missing DATABASE_URL_MYSQL
 * stops the run before any suite; then a folder for the suites' skip notes (workers inherit the
 * environment).
 */
export default function globalSetup(): void {
  if (inCi() && !(process.env.DATABASE_URL_MYSQL || process.env.TEST_MYSQL_URL)) {
    throw new Error('CI=true but DATABASE_URL_MYSQL is not set: the MySQL suites must run in CI (e.g. DATABASE_URL_MYSQL=mysql://root@127.0.0.1:3306/test)');
  }
  process.env[NOTES_DIR_ENV] = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-test-notes-'));
}
