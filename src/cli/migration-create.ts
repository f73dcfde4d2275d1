import '../config/dotenv'; // first: .env must be in process.env before any module reads it
import { openDatabase } from '../config/database';
import { loadConfig } from '../config/env';

/**
 * `npm run migration:create`: for developers. Against a MySQL database at DATABASE_URL that has all
 * existing migrations applied, writes a new migration in src/migrations for the entity changes.
 */
async function main(): Promise<void> {
  const { config } = loadConfig();
  if (config.database.kind !== 'mysql') throw new Error('migration:create needs DATABASE_URL=mysql://… (SQLite syncs from the entities)');
  const orm = await openDatabase(config);
  const result = await orm.getMigrator().createMigration(undefined, false, process.argv.includes('--initial'));
  await orm.close(true);
  process.stdout.write(result.diff.up.length ? `wrote ${result.fileName}\n` : 'no changes: no migration written\n');
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
