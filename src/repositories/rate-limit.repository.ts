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

/**
 * Deletes the counters whose window started before `beforeMs`, of the buckets that start with
 * `prefix` or, with `exceptPrefixes`, of every other bucket; returns how many.
 */
export async function deleteWindowsStartedBefore(
  sql: Sql,
  beforeMs: number,
  buckets: { prefix: string } | { exceptPrefixes: string[] },
): Promise<number> {
  // SUBSTR, not LIKE: the same on both databases, with no escaping of the prefix.
  if ('prefix' in buckets) {
    const { prefix } = buckets;
    return (await sql.run('DELETE FROM rate_limits WHERE window_start_ms < ? AND SUBSTR(bucket, 1, ?) = ?', [beforeMs, prefix.length, prefix])).affectedRows;
  }
  const others = buckets.exceptPrefixes.flatMap((p) => [p.length, p]);
  const where = buckets.exceptPrefixes.map(() => ' AND SUBSTR(bucket, 1, ?) <> ?').join('');
  return (await sql.run(`DELETE FROM rate_limits WHERE window_start_ms < ?${where}`, [beforeMs, ...others])).affectedRows;
}
