import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NOTES_DIR_ENV } from '../kit/notes';

/** jest globalSetup: a folder for the suites' skip notes (workers inherit the environment). */
export default function globalSetup(): void {
  process.env[NOTES_DIR_ENV] = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-test-notes-'));
}
