import '../config/dotenv'; // first: .env must be in process.env before any module reads it
import 'reflect-metadata';
import { raw } from '@mikro-orm/core';
import { openDatabase } from '../config/database';
import { loadConfig } from '../config/env';
import { User, UserRole } from '../entities';

/**
 * `npm run make-admin -- <email>`: gives an existing account the ADMIN role. The token version is
 * bumped in the same UPDATE, so tokens issued before (carrying the old role) stop working and the
 * user signs in again.
 */
async function main(): Promise<number> {
  const email = (process.argv[2] ?? '').trim().toLowerCase();
  if (!email) {
    process.stderr.write('usage: npm run make-admin -- <email>\n');
    return 1;
  }
  const { config } = loadConfig();
  const orm = await openDatabase(config);
  try {
    const updated = await orm.em.fork().nativeUpdate(
      User,
      { email },
      { role: UserRole.ADMIN, tokenVersion: raw('token_version + 1'), updatedAt: new Date() },
    );
    if (updated !== 1) {
      process.stderr.write(`No user with email ${email}: register the account first\n`);
      return 1;
    }
    process.stdout.write(`${email} is now ADMIN; their earlier tokens are revoked (sign in again)\n`);
    return 0;
  } finally {
    await orm.close(true);
  }
}

main()
  .then((code) => process.exit(code))
  .catch((error: Error) => {
    process.stderr.write(`make-admin failed: ${error.message}\n`);
    process.exit(1);
  });
