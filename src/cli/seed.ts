import '../config/dotenv'; // first: .env must be in process.env before any module reads it
import 'reflect-metadata';
import { openDatabase } from '../config/database';
import { loadConfig } from '../config/env';
import { DEMO_USERS, seedDemoDataIfEmpty } from '../services/seed.service';

/** `npm run seed`: migrates, then fills an EMPTY database with the demo data (never touches one in use). */
async function main(): Promise<void> {
  const { config } = loadConfig();
  const orm = await openDatabase(config);
  try {
    const seeded = await seedDemoDataIfEmpty(orm);
    process.stdout.write(
      seeded
        ? `seeded demo data: accounts ${DEMO_USERS.map((u) => u.email).join(', ')} (passwords in the README)\n`
        : 'database not empty (it has users): nothing seeded\n',
    );
  } finally {
    await orm.close(true);
  }
}

main().catch((error: Error) => {
  process.stderr.write(`seed failed: ${error.message}\n`);
  process.exit(1);
});
