import {
  DeadlockException,
  LockWaitTimeoutException,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import { ConflictError, OutcomeUnknownError, RetryableConflict } from '../common/errors';
import { logger } from '../config/logger';
import type { DbContext } from './context';
import { asServiceUnavailable } from './faults';
import { beginTransaction, DeferredStatementFailed, type Sql } from './sql';

/**
 * A caller's context inside a unit of work: `sql` is the transaction's connection. It has no
 * EntityManager, so nothing in a unit can read or write through the ORM outside the transaction.
 */
export type UnitContext<C extends DbContext = DbContext> = Omit<C, 'em'> & { sql: Sql };

/** Bounds on re-running a unit that lost a race (RETRY_* settings). */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Process-wide counters for /metrics and the benchmark. */
export const unitOfWorkStats = {
  units: 0,
  retries: 0,
  exhausted: 0,
  retriesByReason: {} as Record<string, number>,
};

export interface UnitOfWorkOptions {
  /** Retry when a unique key is hit (a concurrent create of the same row): on by default. */
  retryOnUniqueViolation?: boolean;
  /** Overrides the configured attempt bound. */
  maxAttempts?: number;
  /**
   * The message of OUTCOME UNKNOWN (SERVICE_UNAVAILABLE, `outcome: 'UNKNOWN'`): the COMMIT failed,
   * so the unit may or may not have committed.
   */
  outcomeUnknownMessage?: string;
}

export function retryReason(error: unknown, options: UnitOfWorkOptions): string | null {
  if (error instanceof RetryableConflict) return 'version';
  if (error instanceof DeadlockException) return 'deadlock';
  if (error instanceof LockWaitTimeoutException) return 'lock_wait_timeout';
  if (error instanceof UniqueConstraintViolationException && options.retryOnUniqueViolation !== false) return 'unique';
  const code = (error as { code?: string } | null)?.code;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return 'sqlite_busy';
  return null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs units of work: `work` in a new transaction on a pooled connection (db/sql.ts beginTransaction).
 * When the transaction loses a race (a version/availability-guarded write matched nothing, a
 * deadlock, a concurrent insert of the same unique key) the whole unit is rolled back and run
 * again from scratch in a new transaction, so it re-reads current data rather than its old
 * snapshot. Attempts are bounded with jittered exponential backoff; when they run out the caller
 * gets CONFLICT.
 */
export class UnitOfWork {
  constructor(private readonly retry: RetryPolicy) {}

  async run<C extends DbContext, T>(ctx: C, work: (tx: UnitContext<C>) => Promise<T>, options: UnitOfWorkOptions = {}): Promise<T> {
    const { baseDelayMs, maxDelayMs } = this.retry;
    const maxAttempts = options.maxAttempts ?? this.retry.maxAttempts;
    unitOfWorkStats.units += 1;
    for (let attempt = 1; ; attempt += 1) {
      let committing = false;
      try {
        const trx = await beginTransaction(ctx.em);
        let result: T;
        try {
          result = await work({ ...ctx, sql: trx.sql });
          // A prefix that no statement followed (the limiter's count of a unit that read nothing) goes now, checked.
          await trx.flush();
        } catch (error) {
          await trx.rollback();
          throw error;
        }
        // What can still fail after this line is the COMMIT alone (with the deferred writes it carries).
        committing = true;
        await trx.commit();
        return result;
      } catch (caught) {
        // A write deferred to the COMMIT's round trip failed: the COMMIT never ran (rolled back), so the outcome is known.
        const error = caught instanceof DeferredStatementFailed ? caught.cause : caught;
        if (committing && !(caught instanceof DeferredStatementFailed)) {
          // The COMMIT may have reached the server: running the unit again could do it twice.
          logger.warn('unit of work outcome unknown', { error: error as Error, requestId: ctx.requestId });
          throw new OutcomeUnknownError(options.outcomeUnknownMessage);
        }
        const reason = retryReason(error, options);
        if (!reason) throw asServiceUnavailable(error);
        if (attempt >= maxAttempts) {
          unitOfWorkStats.exhausted += 1;
          logger.warn('unit of work gave up after retries', { attempts: attempt, reason, requestId: ctx.requestId });
          throw new ConflictError();
        }
        unitOfWorkStats.retries += 1;
        unitOfWorkStats.retriesByReason[reason] = (unitOfWorkStats.retriesByReason[reason] ?? 0) + 1;
        const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        await sleep(ceiling / 2 + Math.random() * ceiling);
      }
    }
  }
}
