import { auditStock } from './internals';
import type { TestServer } from './server';

/**
 * Fails unless every stock row agrees with its invariants, its ledger and its holds (see
 * auditStock). useServer/useCluster/withServer run it after the suite; a concurrency test also
 * calls it itself once the load has settled.
 */
export async function expectAuditClean(server: Pick<TestServer, 'em'>): Promise<{ stocksChecked: number }> {
  const report = await auditStock(server.em());
  if (!report.ok) {
    throw new Error(`stock audit found ${report.problems.length} problem(s):\n${report.problems.join('\n')}`);
  }
  return { stocksChecked: report.stocksChecked };
}
