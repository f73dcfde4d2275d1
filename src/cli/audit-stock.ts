import '../config/dotenv'; // first: .env must be in process.env before any module reads it
import { openDatabase } from '../config/database';
import { loadConfig } from '../config/env';
import { auditStock } from '../services/stock-audit.service';

/**
 * `npm run audit:stock`: checks every stock row against its invariants, its ledger and its holds
 * (see auditStock). Prints a report; exits 1 when anything is wrong, so it can gate a deploy or a
 * load test. Read-only, safe on a live database.
 */
async function main(): Promise<number> {
  const { config } = loadConfig();
  const orm = await openDatabase(config);
  try {
    const started = Date.now();
    const report = await auditStock(orm.em.fork());
    const took = Date.now() - started;
    if (report.ok) {
      process.stdout.write(`stock audit: OK, ${report.stocksChecked} stock rows checked in ${took} ms (${config.database.kind})\n`);
      return 0;
    }
    process.stdout.write(`stock audit: ${report.problems.length} problem(s) in ${report.stocksChecked} stock rows (${config.database.kind}):\n`);
    for (const problem of report.problems) process.stdout.write(`  - ${problem}\n`);
    return 1;
  } finally {
    await orm.close(true);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`stock audit failed: ${(error as Error).message}\n`);
    process.exit(2);
  },
);
