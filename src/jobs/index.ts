import type { Orm } from '../config/database';
import type { AppConfig } from '../config/env';
import type { Services } from '../container';
import { systemContext } from '../services/context';

/**
 * A periodic background task. Every process runs its own, each on a system context of its own
 * (never a request's), and each is safe to run concurrently on any number of processes.
 */
export interface BackgroundJob {
  name: string;
  /** Milliseconds between runs (0 disables the job). */
  intervalMs: number;
  run(): Promise<void>;
}

/** The periodic jobs every server process runs. */
export function createBackgroundJobs(config: AppConfig, orm: Orm, services: Services): BackgroundJob[] {
  return [
    {
      // Releases lapsed cart holds (EXPIRY in the ledger) in small batches of one transaction
      // each; concurrent sweepers are safe because a hold is deleted only by a compare-and-set
      // that still finds it lapsed and unchanged. Pace: HOLD_SWEEP_INTERVAL_MS,
      // HOLD_SWEEP_BATCH_SIZE, HOLD_SWEEP_BATCHES (at most size × batches holds per tick).
      name: 'hold-sweeper',
      intervalMs: config.holdSweepIntervalMs,
      run: async () => {
        await services.carts.releaseExpiredHolds(systemContext(orm, 'hold-sweeper'), { batchSize: config.holdSweepBatchSize, maxBatches: config.holdSweepBatches });
        // flash sale: lapsed sale units held by cart lines go back to their buyers' allowance and the quota.
        await services.flashSales.releaseExpiredSaleHolds(systemContext(orm, 'hold-sweeper'));
      },
    },
    {
      // Deletes rate-limit counters whose window ran out, once a minute, so that the table holds
      // only live windows (an attacker trying many emails creates one row per email). A plain
      // DELETE of rows nobody can still need.
      name: 'rate-limit-sweeper',
      intervalMs: 60_000,
      run: async () => {
        await services.rateLimits.deleteExpired(systemContext(orm, 'rate-limit-sweeper'));
      },
    },
  ];
}
