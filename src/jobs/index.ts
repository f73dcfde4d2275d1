import type { BackgroundJob } from '../app';
import type { RequestContext } from '../services/context';

/**
 * Releases lapsed cart holds (EXPIRY in the ledger) every `HOLD_SWEEP_INTERVAL_MS`, in small
 * batches of one transaction each. Every process runs it; concurrent sweepers are safe because a
 * hold is deleted only by a compare-and-set that still finds it lapsed and unchanged.
 */
export const holdSweeperJob: BackgroundJob = {
  name: 'hold-sweeper',
  intervalMs: (config) => config.holdSweepIntervalMs,
  async run({ orm, config, services }) {
    const ctx: RequestContext = { em: orm.em, viewer: null, config, services, ip: 'internal', requestId: 'hold-sweeper' };
    await services.carts.releaseExpiredHolds(ctx);
  },
};

/**
 * Deletes rate-limit counters whose window ran out, once a minute, so that the table holds only
 * live windows (an attacker trying many emails creates one row per email). Safe on every process:
 * a plain DELETE of rows nobody can still need.
 */
export const rateLimitSweeperJob: BackgroundJob = {
  name: 'rate-limit-sweeper',
  intervalMs: 60_000,
  async run({ orm, services }) {
    await services.rateLimits.deleteExpired(orm.em.fork());
  },
};

/** Periodic jobs every server process runs. */
export const BACKGROUND_JOBS: BackgroundJob[] = [holdSweeperJob, rateLimitSweeperJob];
