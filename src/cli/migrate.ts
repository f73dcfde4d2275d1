import '../config/dotenv'; // first: .env must be in process.env before any module reads it
import { openDatabase } from '../config/database';
import { loadConfig } from '../config/env';

/** `npm run migrate`: applies pending migrations (MySQL) or syncs the embedded SQLite schema. */
async function main(): Promise<void> {
  const { config } = loadConfig();
  const orm = await openDatabase(config);
  await orm.close(true);
  process.stdout.write(`database schema is up to date (${config.database.kind})\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
