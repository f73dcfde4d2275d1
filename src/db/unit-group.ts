import { AppError, OutcomeUnknownError, ServiceUnavailableError } from '../common/errors';
import { logger } from '../config/logger';
import type { DbContext } from './context';
import { asServiceUnavailable } from './faults';
import { answerPending, BatchSql, beginTransaction, DeferredStatementFailed, type Pending, type Sql, type Statement, type StatementResult } from './sql';
import { retryReason, type UnitContext, type UnitOfWork, type UnitOfWorkOptions } from './unit-of-work';

/** Process-wide counters for /metrics and the benchmark. */
export const unitGroupStats = { groups: 0, members: 0, largest: 0, fallbacks: 0, failedAlone: 0, bypassed: 0, fallbacksByReason: {} as Record<string, number> };

/** What made a group fail, for the metrics: the retry reasons of UnitOfWork, a domain error's code, or the error's name. */
function failureReason(error: unknown): string {
  const reason = retryReason(error, {});
  if (reason) return reason;
  if (error instanceof AppError) return error.code;
  return error instanceof Error ? error.name : 'unknown';
}

/** Bounds on sharing (UNIT_GROUP_*). */
export interface UnitGroupBounds {
  /** Most units one shared transaction takes; 1 runs every unit alone. */
  maxMembers: number;
  /** Shared transactions running at once in a process (units arriving meanwhile wait and form the next). */
  maxRunning: number;
  /** Units waiting for a group: beyond this, SERVICE_UNAVAILABLE at once. */
  maxWaiting: number;
  /** A unit that waited this long for a group leaves the queue: SERVICE_UNAVAILABLE, nothing done. */
  maxWaitMs: number;
}

/**
 * When shared transactions keep failing (a sell-out: members refused after their writes; lost
 * races on hot rows), each failure costs its members a second run: after FAILURE_LIMIT failures
 * among the last OUTCOME_WINDOW groups, units run alone for ALONE_MS, then sharing is tried again.
 */
const OUTCOME_WINDOW = 20;
/**
 * A group takes one unit per shopper, so a shopper's units wait for one group each. A shopper who
 * sends many at once (a double-clicking client, a script) has at most this many waiting; the
 * others run alone at once, as every unit did before groups, so that one shopper cannot fill the
 * queue that every shopper's units wait in.
 */
const MAX_WAITING_PER_KEY = 8;
const FAILURE_LIMIT = 5;
const ALONE_MS = 1000;

/**
 * A member failed on its own in a group that went on: it had only read (and counted its write,
 * `Sql.prefix`), so the others committed and its count with them. `cause` is its error; the
 * caller must not count the attempt again.
 */
export class MemberFailed extends Error {
  constructor(readonly cause: unknown) {
    super('a unit failed in its group');
    this.name = 'MemberFailed';
  }
}

/** Whether a statement only reads (a locking read included): a member that sent nothing else may fail alone. */
const reads = (statement: Statement) => /^\s*SELECT\b/i.test(statement.sql);

/** A member's round trip is not coming: its group failed, and the member runs again on its own. */
class GroupAbandoned extends Error {
  constructor() {
    super('the unit group was abandoned');
    this.name = 'GroupAbandoned';
  }
}

interface Call {
  statements: readonly Statement[];
  resolve: (results: StatementResult[]) => void;
  reject: (error: unknown) => void;
}

/**
 * One unit's session inside a shared transaction: what it sends waits for the group's next round
 * trip, which carries every member's waiting statements in one multi-statement query. Its prefixes
 * and deferred writes behave as on a transaction of its own (db/sql.ts), but they are its own.
 */
class MemberSql extends BatchSql {
  readonly calls: Call[] = [];
  readonly pending: Pending[] = [];

  constructor(
    readonly kind: 'mysql' | 'sqlite',
    private readonly dateOf: (value: Date) => unknown,
    private readonly wake: () => void,
  ) {
    super();
  }

  /** Set when the group is over for this member (it failed, or another did): what it sends then is refused. */
  abandoned = false;
  /** Whether it has sent a write (a deferred one, or any statement but a read; its prefixes do not count). */
  wrote = false;
  /** Whether anything of it went to the database (its write limiter's count with its first statement). */
  sent = false;

  batch(statements: readonly Statement[]): Promise<StatementResult[]> {
    if (this.abandoned) return Promise.reject(new GroupAbandoned());
    if (!statements.length && !this.pending.length) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.calls.push({ statements, resolve, reject });
      this.wake();
    });
  }

  prefix(statement: Statement, check?: (result: StatementResult) => void): void {
    this.pending.push({ statement, check });
  }

  defer(statement: Statement, onResult?: (result: StatementResult) => void): void {
    this.pending.push({ statement, deferred: true, onResult });
  }

  date(value: Date): unknown {
    return this.dateOf(value);
  }
}

interface Member<C extends DbContext, T> {
  ctx: C;
  key: number;
  work: (tx: UnitContext<C>) => Promise<T>;
  options: UnitOfWorkOptions;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
  deadline?: NodeJS.Timeout;
}

interface Running {
  member: Member<DbContext, unknown>;
  sql: MemberSql;
  state: 'running' | 'done' | 'failed';
  result?: unknown;
  error?: unknown;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Units of work of different shoppers that arrive together share ONE transaction and its round
 * trips (issue 12: the cart path's cost is its round trips). While `maxRunning` groups run, new
 * units wait; the next group takes every waiting one (at most `maxMembers`, one per key: a
 * shopper's second unit waits for a later group). Each member runs its own work against its own
 * session (MemberSql); whenever every member waits for the database or has finished, what they
 * wait on goes as ONE multi-statement query, and each gets its own results. One COMMIT ends them
 * all. A lone unit runs alone, at once.
 *
 * A member's failure stays its own. One that fails having only read (and counted its write, a
 * prefix) leaves the group, which goes on and commits (`MemberFailed`). One that fails after
 * writing (a lost race, a deadlock, a refusal after a sweep), or a statement error, rolls the
 * shared transaction back, and every member runs again alone, as a unit of work of its own
 * (`UnitOfWork.run`, with its bounded retries), so the others lose nothing. If the database did
 * not answer, every member gets SERVICE_UNAVAILABLE (nothing was done), as a unit alone would; if
 * the COMMIT failed, OUTCOME UNKNOWN. Nothing here protects stock: each member's guarded writes
 * and compare-and-sets do, in the shared transaction as in its own, and the rows a group holds
 * are held to its COMMIT like any transaction's.
 */
export class UnitGroups {
  private running = 0;
  private readonly waiting: Member<DbContext, unknown>[] = [];
  private readonly waitingByKey = new Map<number, number>();
  private readonly outcomes: boolean[] = [];
  private aloneUntil = 0;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly bounds: UnitGroupBounds,
  ) {}

  run<C extends DbContext, T>(ctx: C, key: number, work: (tx: UnitContext<C>) => Promise<T>, options: UnitOfWorkOptions = {}): Promise<T> {
    if (this.bounds.maxMembers < 2 || Date.now() < this.aloneUntil) return this.uow.run(ctx, work, options);
    return new Promise<T>((resolve, reject) => {
      if (this.waiting.length >= this.bounds.maxWaiting) {
        reject(new ServiceUnavailableError('Too many requests are waiting for the database: try again shortly'));
        return;
      }
      if ((this.waitingByKey.get(key) ?? 0) >= MAX_WAITING_PER_KEY) {
        unitGroupStats.bypassed += 1;
        this.uow.run(ctx, work, options).then(resolve, reject);
        return;
      }
      const member = { ctx, key, work, options, resolve, reject } as unknown as Member<DbContext, unknown>;
      this.enqueue(member);
      this.next();
      if (this.waiting.includes(member)) {
        member.deadline = setTimeout(() => {
          if (!this.waiting.includes(member)) return;
          this.dequeue(member);
          reject(new ServiceUnavailableError('The database is busy: try again shortly'));
        }, this.bounds.maxWaitMs);
        member.deadline.unref();
      }
    });
  }

  private enqueue(member: Member<DbContext, unknown>): void {
    this.waiting.push(member);
    this.waitingByKey.set(member.key, (this.waitingByKey.get(member.key) ?? 0) + 1);
  }

  private dequeue(member: Member<DbContext, unknown>): void {
    this.waiting.splice(this.waiting.indexOf(member), 1);
    const left = (this.waitingByKey.get(member.key) ?? 1) - 1;
    if (left > 0) this.waitingByKey.set(member.key, left);
    else this.waitingByKey.delete(member.key);
  }

  private next(): void {
    while (this.running < this.bounds.maxRunning && this.waiting.length) {
      const taken: Member<DbContext, unknown>[] = [];
      const keys = new Set<number>();
      for (let i = 0; i < this.waiting.length && taken.length < this.bounds.maxMembers; ) {
        const member = this.waiting[i];
        if (keys.has(member.key)) {
          i += 1;
          continue;
        }
        keys.add(member.key);
        clearTimeout(member.deadline);
        taken.push(member);
        this.dequeue(member);
      }
      this.running += 1;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.running -= 1;
        this.next();
      };
      void this.runGroup(taken, release).finally(release);
    }
  }

  /** Runs `members` (alone if only one); `release` frees the group's place once its transaction is over. */
  private async runGroup(members: Member<DbContext, unknown>[], release: () => void): Promise<void> {
    if (members.length === 1) {
      await this.alone(members[0]);
      return;
    }
    unitGroupStats.groups += 1;
    unitGroupStats.members += members.length;
    unitGroupStats.largest = Math.max(unitGroupStats.largest, members.length);
    let runs: Running[];
    try {
      runs = await this.share(members);
    } catch (error) {
      release();
      if (error instanceof OutcomeUnknownError) {
        for (const member of members) member.reject(new OutcomeUnknownError(member.options.outcomeUnknownMessage));
        return;
      }
      const unavailable = asServiceUnavailable(error);
      if (unavailable instanceof ServiceUnavailableError) {
        // The database did not answer: running each again would only wait as long once more.
        for (const member of members) member.reject(unavailable);
        return;
      }
      this.recordOutcome(false);
      unitGroupStats.fallbacks += 1;
      const reason = failureReason(error);
      unitGroupStats.fallbacksByReason[reason] = (unitGroupStats.fallbacksByReason[reason] ?? 0) + 1;
      logger.debug('unit group rolled back; its members run alone', { error: error as Error, requestIds: members.map((m) => m.ctx.requestId) });
      // Each alone, as if the group had not been: their own transactions, retries and errors.
      await Promise.all(members.map((m) => this.alone(m)));
      return;
    }
    this.recordOutcome(true);
    for (const run of runs) {
      if (run.state === 'done') run.member.resolve(run.result);
      else if (!run.sql.sent) {
        // It failed before its first statement: nothing of it (not even its count) was committed.
        run.member.reject(run.error);
      } else {
        unitGroupStats.failedAlone += 1;
        run.member.reject(new MemberFailed(run.error));
      }
    }
  }

  /** A member as a unit of work of its own, answered with its outcome. */
  private alone(member: Member<DbContext, unknown>): Promise<void> {
    return this.uow.run(member.ctx, member.work, member.options).then(member.resolve, member.reject);
  }

  private recordOutcome(committed: boolean): void {
    this.outcomes.push(committed);
    if (this.outcomes.length > OUTCOME_WINDOW) this.outcomes.shift();
    if (this.outcomes.filter((ok) => !ok).length >= FAILURE_LIMIT) {
      this.aloneUntil = Date.now() + ALONE_MS;
      this.outcomes.length = 0;
    }
  }

  /** Runs the members in one transaction; throws (after rolling back) if any fails, OutcomeUnknownError if the COMMIT did. */
  private async share(members: Member<DbContext, unknown>[]): Promise<Running[]> {
    const trx = await beginTransaction(members[0].ctx.em);
    let wake: () => void = () => undefined;
    const runs: Running[] = members.map((member) => {
      const sql = new MemberSql(trx.sql.kind, (value) => trx.sql.date(value), () => wake());
      return { member, sql, state: 'running' };
    });
    const abandon = () => runs.forEach((run) => this.leave(run));
    try {
      for (const run of runs) {
        const tx = { ...run.member.ctx, sql: run.sql } as UnitContext<DbContext>;
        void Promise.resolve()
          .then(() => run.member.work(tx))
          .then(
            (result) => {
              if (run.state === 'running') {
                run.state = 'done';
                run.result = result;
              }
              wake();
            },
            (error: unknown) => {
              // A member that already failed (refused at a check) keeps that error, not what its abandoned calls threw.
              if (run.state === 'running') {
                run.state = 'failed';
                run.error = error;
              }
              wake();
            },
          );
      }
      for (;;) {
        // Every member either waits for the database, has finished, or has failed (then all fail).
        await new Promise<void>((resolve) => {
          const settled = () => runs.every((r) => r.state !== 'running' || r.sql.calls.length > 0);
          if (settled()) return resolve();
          wake = () => {
            if (settled()) resolve();
          };
        });
        wake = () => undefined;
        // Let the members that just woke reach their next call (they may make several).
        await nextTurn();
        // A member that wrote and failed takes the group down; one that only read fails alone.
        const failed = runs.find((r) => r.state === 'failed' && r.sql.wrote);
        if (failed) throw failed.error;
        for (const run of runs) if (run.state === 'failed') this.leave(run);
        const asking = runs.filter((r) => r.state === 'running' && r.sql.calls.length > 0);
        if (!asking.length) break;
        await this.roundTrip(trx.sql, asking);
      }
      // What is left: prefixes no statement followed (sent and checked now), deferred writes (with the COMMIT).
      const unflushed = runs.filter((r) => r.state === 'done' && r.sql.pending.some((p) => !p.deferred));
      if (unflushed.length) {
        for (const run of unflushed) run.sql.calls.push({ statements: [], resolve: () => undefined, reject: () => undefined });
        await this.roundTrip(trx.sql, unflushed);
      }
      for (const run of runs) if (run.state === 'done') for (const p of run.sql.pending.splice(0)) trx.sql.defer(p.statement, p.onResult);
      await trx.flush();
    } catch (error) {
      abandon();
      await trx.rollback();
      throw error;
    }
    try {
      await trx.commit();
    } catch (error) {
      // A deferred write failed: the COMMIT never ran, nothing committed; the members run alone.
      if (error instanceof DeferredStatementFailed) throw error.cause;
      logger.warn('unit group outcome unknown', { error: error as Error, requestIds: runs.map((r) => r.member.ctx.requestId) });
      throw new OutcomeUnknownError();
    }
    return runs;
  }

  /** A member leaves the group (it failed having only read, or the group is over): what it still has waiting is never sent. */
  private leave(run: Running): void {
    run.sql.abandoned = true;
    run.sql.pending.length = 0;
    for (const call of run.sql.calls.splice(0)) call.reject(new GroupAbandoned());
  }

  /**
   * One round trip: every asking member's waiting statements and calls; each gets its own results.
   * The members' prefixes (the write limiter's count, the shopper lock) go first, then each
   * member's deferred statements and calls in lock order. So in a group's first round trip every
   * shopper is locked before any member reads: the transaction's snapshot, taken at its first
   * read, then holds whatever each shopper's earlier units committed (on another process, say),
   * as a unit alone sees it. A member whose prefix check fails (the write limiter refused it)
   * fails alone if it had only read; otherwise the group does.
   */
  private async roundTrip(sql: Sql, asking: Running[]): Promise<void> {
    const parts = asking.map((run) => {
      const waiting = run.sql.pending.splice(0);
      return { run, prefixes: waiting.filter((w) => !w.deferred), deferred: waiting.filter((w) => w.deferred), calls: run.sql.calls.splice(0) };
    });
    // Members in the order of the first stock row each writes (those that write none last): the lock order.
    const firstLock = (p: (typeof parts)[number]) =>
      Math.min(...p.deferred.map((w) => w.statement.lockKey ?? Infinity), ...p.calls.flatMap((c) => c.statements.map((st) => st.lockKey ?? Infinity)), Infinity);
    const keyed = parts.map((p) => ({ p, key: firstLock(p) }));
    keyed.sort((a, b) => (a.key === b.key ? 0 : a.key === Infinity ? 1 : b.key === Infinity ? -1 : a.key - b.key));
    parts.splice(0, parts.length, ...keyed.map((k) => k.p));
    for (const p of parts) {
      p.run.sql.sent = true;
      if (p.deferred.some((w) => !reads(w.statement)) || p.calls.some((c) => !c.statements.every(reads))) p.run.sql.wrote = true;
    }
    const statements = [
      ...parts.flatMap((p) => p.prefixes.map((w) => w.statement)),
      ...parts.flatMap((p) => [...p.deferred.map((w) => w.statement), ...p.calls.flatMap((c) => c.statements)]),
    ];
    let results: StatementResult[];
    try {
      results = await sql.batch(statements);
    } catch (error) {
      for (const p of parts) for (const c of p.calls) c.reject(new GroupAbandoned());
      throw error;
    }
    const refusals = new Map<Running, unknown>();
    let at = 0;
    for (const p of parts) {
      for (const w of p.prefixes) {
        try {
          w.check?.(results[at]);
        } catch (error) {
          if (!refusals.has(p.run)) refusals.set(p.run, error);
        }
        at += 1;
      }
    }
    for (const p of parts) {
      answerPending(p.deferred, results.slice(at, at + p.deferred.length));
      at += p.deferred.length;
      const refused = refusals.has(p.run);
      for (const call of p.calls) {
        const mine = results.slice(at, at + call.statements.length);
        at += call.statements.length;
        if (!refused) call.resolve(mine);
      }
      if (refused) {
        const error = refusals.get(p.run);
        if (p.run.sql.wrote) throw error;
        p.run.state = 'failed';
        p.run.error = error;
        this.leave(p.run);
      }
    }
  }
}
