import '../config/dotenv'; // first: .env must be in process.env before any module reads it
import { openDatabase, withLongStatements } from '../config/database';
import { loadConfig } from '../config/env';
import { auditStock } from '../services/stock-audit.service';

/**
 * `npm run audit:stock [-- --full | --incremental]`: checks stock rows against their invariants,
 * their ledger, their holds and their order lines (see auditStock). `--full` (the default) checks
 * everything; `--incremental` only what moved since the last clean run's checkpoint (in full when
 * there is none). A clean run writes a checkpoint. Prints a report; exits 1 when anything is
 * wrong, so it can gate a deploy or a load test. Reads in one snapshot, safe on a live database;
 * its only write is the checkpoint row.
 */
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--full' && a !== '--incremental');
  if (unknown.length || args.length > 1) throw new Error(`usage: audit:stock [--full | --incremental] (got ${args.join(' ')})`);
  const mode = args[0] === '--incremental' ? 'incremental' : 'full';
  const { config } = loadConfig();
  // A full audit reads whole tables: its statements get the bound of a long operator task.
  const orm = await openDatabase(withLongStatements(config));
  try {
    const started = Date.now();
    const report = await auditStock(orm.em.fork(), { mode, checkpoint: true });
    const took = Date.now() - started;
    const what = `${report.stocksChecked} stock rows and ${report.movementsChecked} movements (${report.mode}, up to movement ${report.lastMovementId})`;
    if (report.ok) {
      process.stdout.write(`stock audit: OK, ${what} checked in ${took} ms (${config.database.kind})\n`);
      return 0;
    }
    process.stdout.write(`stock audit: ${report.problems.length} problem(s) in ${what} (${config.database.kind}):\n`);
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
