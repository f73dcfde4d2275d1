import { num, rowsOf, runOf, type Sql, type Statement, type StatementResult } from '../db/sql';

/** The SQL of `rate_limits`: one atomic upsert per attempt, and the sweep of ended windows. */

export interface WindowCount {
  hits: number;
  windowStartMs: number;
}

/**
 * The one atomic statement that counts an attempt (of `cost` units: a bulk write counts its items)
 * in a bucket: it starts a new window (the previous one ran out) or adds to it, and answers the
 * count it left (MySQL through LAST_INSERT_ID(expr), SQLite through RETURNING), so no two attempts
 * can both see "under the limit" for the last slot. `hitsOf` reads that count from its result.
 */
export function countHitStatement(
  sql: Sql,
  rule: { bucket: string; windowSeconds: number },
  nowMs: number,
  cost = 1,
): { statement: Statement; hitsOf: (result: StatementResult) => number } {
  const staleAt = nowMs - rule.windowSeconds * 1000;
  const params = [rule.bucket, nowMs, cost, staleAt, cost, cost, staleAt, nowMs];
  // `hits` is assigned first: MySQL evaluates the assignments left to right with the new values,
  // SQLite with the old ones, and so both see the window as it was.
  if (sql.kind === 'sqlite') {
    return {
      statement: {
        sql:
          'INSERT INTO rate_limits (bucket, window_start_ms, hits) VALUES (?, ?, ?) ON CONFLICT (bucket) DO UPDATE SET ' +
          'hits = CASE WHEN window_start_ms <= ? THEN ? ELSE hits + ? END, window_start_ms = CASE WHEN window_start_ms <= ? THEN ? ELSE window_start_ms END ' +
          'RETURNING hits',
        params,
      },
      hitsOf: (result) => num(rowsOf(result)[0]?.hits),
    };
  }
  return {
    statement: {
      sql:
        'INSERT INTO rate_limits (bucket, window_start_ms, hits) VALUES (?, ?, LAST_INSERT_ID(?)) ON DUPLICATE KEY UPDATE ' +
        'hits = LAST_INSERT_ID(IF(window_start_ms <= ?, ?, hits + ?)), window_start_ms = IF(window_start_ms <= ?, ?, window_start_ms)',
      params,
    },
    hitsOf: (result) => num(runOf(result).insertId),
  };
}

/** Counts one attempt in a bucket (countHitStatement) and returns the count it left, with the window's start when that count is over the limit. */
export async function countHit(
  sql: Sql,
  rule: { bucket: string; limit: number; windowSeconds: number },
  nowMs: number,
  cost = 1,
): Promise<WindowCount> {
  const { statement, hitsOf } = countHitStatement(sql, rule, nowMs, cost);
  const hits = hitsOf((await sql.batch([statement]))[0]);
  // The window's start matters only to a refusal (its retryAfter): read it then, not on every attempt.
  if (hits <= rule.limit) return { hits, windowStartMs: nowMs };
  const row = await sql.get('SELECT window_start_ms FROM rate_limits WHERE bucket = ?', [rule.bucket]);
  return { hits, windowStartMs: row ? num(row.window_start_ms) : nowMs };
}

/** Counters found per read of the sweep (each read is followed by their deletes, in one round trip). */
const SWEEP_CHUNK = 500;

/**
 * Deletes the counters whose window started before `beforeMs`, of the buckets that start with
 * `prefix` or, with `exceptPrefixes`, of every other bucket; returns how many.
 *
 * The counters are found by a plain read, which locks nothing, and each is deleted by its key,
 * again only if its window still started before `beforeMs`, by a statement of its own: on the pool
 * every statement is its own transaction, so the sweep holds at most one row lock at a time. A
 * single DELETE over the table would lock every row it scans until it ends (InnoDB, REPEATABLE
 * READ), so every shopper's limiter count would wait for it, and a shared transaction holding
 * several shoppers' counters could deadlock with it (seen in the bench: `rate-limit-sweeper
 * DeadlockException`).
 */
export async function deleteWindowsStartedBefore(
  sql: Sql,
  beforeMs: number,
  buckets: { prefix: string } | { exceptPrefixes: string[] },
): Promise<number> {
  // SUBSTR, not LIKE: the same on both databases, with no escaping of the prefix.
  const [where, params] =
    'prefix' in buckets
      ? [' AND SUBSTR(bucket, 1, ?) = ?', [buckets.prefix.length, buckets.prefix]]
      : [buckets.exceptPrefixes.map(() => ' AND SUBSTR(bucket, 1, ?) <> ?').join(''), buckets.exceptPrefixes.flatMap((p) => [p.length, p])];
  let deleted = 0;
  let after = '';
  for (;;) {
    // In key order from where the last chunk ended: a counter that stays (its window restarted meanwhile) is not found again.
    const found = (await sql.all(`SELECT bucket FROM rate_limits WHERE bucket > ? AND window_start_ms < ?${where} ORDER BY bucket LIMIT ${SWEEP_CHUNK}`, [after, beforeMs, ...params])).map((r) =>
      String(r.bucket),
    );
    if (!found.length) return deleted;
    const results = await sql.batch(found.map((bucket) => ({ sql: 'DELETE FROM rate_limits WHERE bucket = ? AND window_start_ms < ?', params: [bucket, beforeMs] })));
    deleted += results.reduce((n, r) => n + runOf(r).affectedRows, 0);
    if (found.length < SWEEP_CHUNK) return deleted;
    after = found[found.length - 1];
  }
}
