import { auditStock } from '../../src/services/stock-audit.service';
import type { TestServer } from './server';

/**
 * Fails the test unless every stock row agrees with its invariants, its ledger and its holds
 * (see auditStock). Call it after every concurrency test, once the load has settled.
 */
export async function expectAuditClean(server: TestServer): Promise<{ stocksChecked: number }> {
  const report = await auditStock(server.app.orm.em.fork());
  if (!report.ok) {
    throw new Error(`stock audit found ${report.problems.length} problem(s):\n${report.problems.join('\n')}`);
  }
  return { stocksChecked: report.stocksChecked };
}
