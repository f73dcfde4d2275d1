import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { previousMatched, sqlFor } from '../../src/db/sql';
import { TickBatch } from '../../src/db/tick-batch';
import { UnitOfWork, type UnitContext } from '../../src/db/unit-of-work';
import { findTokenOwners } from '../../src/repositories/user.repository';
import { createUsers, systemContext, useServer } from '../kit';

/** The driver-level SQL session under every service (src/db/sql.ts), on both databases. */
const server = useServer();

const ctx = () => systemContext(server.app);
const runUnitOfWork = <T>(c: ReturnType<typeof ctx>, work: (tx: UnitContext) => Promise<T>) => new UnitOfWork(server.app.config.retry).run(c, work);

it("runs in the unit of work's transaction: a rolled-back unit leaves nothing, a committed one is seen", async () => {
  const bucket = `sql-test:${randomUUID()}`;
  const insert = (tx: UnitContext) => tx.sql.run('INSERT INTO rate_limits (bucket, window_start_ms, hits) VALUES (?, ?, 1)', [bucket, Date.now()]);
  await expect(
    runUnitOfWork(ctx(), async (tx) => {
      await insert(tx);
      expect(await tx.sql.get('SELECT hits FROM rate_limits WHERE bucket = ?', [bucket])).toMatchObject({ hits: 1 });
      throw new Error('roll back');
    }),
  ).rejects.toThrow('roll back');
  expect(await sqlFor(server.em()).get('SELECT hits FROM rate_limits WHERE bucket = ?', [bucket])).toBeUndefined();
  await runUnitOfWork(ctx(), insert);
  expect(await sqlFor(server.em()).all('SELECT bucket FROM rate_limits WHERE bucket = ?', [bucket])).toHaveLength(1);
});

it("refuses a statement after its transaction ended (the connection went back to the pool)", async () => {
  const leaked = await runUnitOfWork(ctx(), async (tx) => tx.sql);
  await expect(leaked.get('SELECT 1 AS one')).rejects.toThrow('statement after the end of its transaction');
});

it("reports driver errors as MikroORM's exceptions, so retries and error codes work as with the ORM", async () => {
  const bucket = `sql-test:${randomUUID()}`;
  const sql = sqlFor(server.em());
  await sql.run('INSERT INTO rate_limits (bucket, window_start_ms, hits) VALUES (?, ?, 1)', [bucket, 1]);
  await expect(sql.run('INSERT INTO rate_limits (bucket, window_start_ms, hits) VALUES (?, ?, 1)', [bucket, 1])).rejects.toBeInstanceOf(
    UniqueConstraintViolationException,
  );
});

it('reads the token owners asked for in one event-loop turn with one statement, each answer its own key\'s', async () => {
  const users = await createUsers(server, 3);
  const loads: number[][] = [];
  const batch = new TickBatch((sql, ids) => {
    loads.push(ids);
    return findTokenOwners(sql, ids);
  });
  const sql = sqlFor(server.em());
  const asked = [users[2].id, 987654321, users[0].id, users[1].id, users[0].id];
  const found = await Promise.all(asked.map((id) => batch.get(sql, id)));
  expect(loads).toHaveLength(1);
  expect(found.map((owner) => owner?.id)).toEqual([users[2].id, undefined, users[0].id, users[1].id, users[0].id]);
  // The next turn is a new statement (nothing is cached).
  expect((await batch.get(sql, users[1].id))?.id).toBe(users[1].id);
  expect(loads).toHaveLength(2);
});

it('reads the token owners asked for while a lookup is in flight together, with one statement once it answered', async () => {
  const users = await createUsers(server, 3);
  const loads: number[][] = [];
  let answerFirst: () => void = () => undefined;
  const firstAnswered = new Promise<void>((resolve) => {
    answerFirst = resolve;
  });
  const batch = new TickBatch(async (sql, ids) => {
    loads.push(ids);
    if (loads.length === 1) await firstAnswered;
    return findTokenOwners(sql, ids);
  });
  const sql = sqlFor(server.em());
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const first = batch.get(sql, users[0].id);
  await turn();
  expect(loads).toEqual([[users[0].id]]);
  // Asked in later turns while the first lookup is in flight: they wait for it.
  const later = [batch.get(sql, users[1].id)];
  await turn();
  later.push(batch.get(sql, users[2].id), batch.get(sql, users[1].id));
  await turn();
  expect(loads).toHaveLength(1);
  answerFirst();
  expect((await first)?.id).toBe(users[0].id);
  expect((await Promise.all(later)).map((owner) => owner?.id)).toEqual([users[1].id, users[2].id, users[1].id]);
  expect(loads).toEqual([[users[0].id], [users[1].id, users[2].id]]);
});

describe('batch and prefix: several statements in one round trip', () => {
  const bucket = () => `sql-batch:${randomUUID()}`;
  const hitsOf = async (key: string) => (await sqlFor(server.em()).get('SELECT hits FROM rate_limits WHERE bucket = ?', [key]))?.hits;

  it('runs a batch in order with each statement\'s result; a statement on previousMatched acts only when the one before it matched', async () => {
    const [a, b] = [bucket(), bucket()];
    const results = await runUnitOfWork(ctx(), (tx) =>
      tx.sql.batch([
        { sql: 'INSERT INTO rate_limits (bucket, window_start_ms, hits) VALUES (?, 1, 1)', params: [a] },
        { sql: 'SELECT hits FROM rate_limits WHERE bucket = ?', params: [a] },
        // Matches nothing (hits is 1), so the insert after it must not run.
        { sql: 'UPDATE rate_limits SET hits = hits + 1 WHERE bucket = ? AND hits > 5', params: [a] },
        { sql: `INSERT INTO rate_limits (bucket, window_start_ms, hits) SELECT ?, 1, 7 FROM rate_limits WHERE bucket = ? AND ${previousMatched(tx.sql)}`, params: [b, a] },
        // Matches, so this one runs.
        { sql: 'UPDATE rate_limits SET hits = hits + 1 WHERE bucket = ?', params: [a] },
        { sql: `UPDATE rate_limits SET hits = hits + 10 WHERE bucket = ? AND ${previousMatched(tx.sql)}`, params: [a] },
      ]),
    );
    expect(results.map((r) => (Array.isArray(r) ? r.map((row) => Number(row.hits)) : r.affectedRows))).toEqual([1, [1], 0, 0, 1, 1]);
    expect(await hitsOf(a)).toBe(12);
    expect(await hitsOf(b)).toBeUndefined();
  });

  it('stops at a failing statement: the ones after it never run, and the unit rolls back the ones before it', async () => {
    const [a, b] = [bucket(), bucket()];
    const insert = (key: string) => ({ sql: 'INSERT INTO rate_limits (bucket, window_start_ms, hits) VALUES (?, 1, 1)', params: [key] });
    await expect(
      new UnitOfWork(server.app.config.retry).run(
        ctx(),
        async (tx) => {
          const error = await tx.sql.batch([insert(a), insert(a), insert(b)]).then(() => null, (e: unknown) => e);
          expect(error).toBeInstanceOf(UniqueConstraintViolationException);
          // Inside the transaction: the statement before the failure ran, the one after it did not.
          expect(await tx.sql.get('SELECT hits FROM rate_limits WHERE bucket = ?', [a])).toBeDefined();
          expect(await tx.sql.get('SELECT hits FROM rate_limits WHERE bucket = ?', [b])).toBeUndefined();
          throw error;
        },
        { retryOnUniqueViolation: false },
      ),
    ).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    expect(await hitsOf(a)).toBeUndefined();
  });

  it('sends a prefix with the next statement, before it; a prefix whose check throws fails that statement and the unit', async () => {
    const a = bucket();
    const seen = await runUnitOfWork(ctx(), async (tx) => {
      tx.sql.prefix({ sql: 'INSERT INTO rate_limits (bucket, window_start_ms, hits) VALUES (?, 1, 3)', params: [a] });
      return tx.sql.get('SELECT hits FROM rate_limits WHERE bucket = ?', [a]);
    });
    expect(Number(seen?.hits)).toBe(3);
    await expect(
      runUnitOfWork(ctx(), async (tx) => {
        tx.sql.prefix({ sql: 'UPDATE rate_limits SET hits = hits + 1 WHERE bucket = ?', params: [a] }, () => {
          throw new Error('refused by the check');
        });
        await tx.sql.get('SELECT 1 AS one');
        throw new Error('the statement after the prefix answered');
      }),
    ).rejects.toThrow('refused by the check');
    expect(await hitsOf(a)).toBe(3);
    // A prefix that no statement followed still reaches the database before COMMIT.
    await runUnitOfWork(ctx(), async (tx) => {
      tx.sql.prefix({ sql: 'UPDATE rate_limits SET hits = hits + 1 WHERE bucket = ?', params: [a] });
    });
    expect(await hitsOf(a)).toBe(4);
  });

  it('refuses a prefix on the pool, where the next statement may be another request\'s', () => {
    expect(() => sqlFor(server.em()).prefix({ sql: 'SELECT 1' })).toThrow('prefix() needs a transaction');
  });

  it('sends a deferred write with the COMMIT, or before the next statement when one follows; it commits with the unit', async () => {
    const [a, b] = [bucket(), bucket()];
    const insert = (key: string, hits: number) => ({ sql: 'INSERT INTO rate_limits (bucket, window_start_ms, hits) VALUES (?, 1, ?)', params: [key, hits] });
    await runUnitOfWork(ctx(), async (tx) => {
      tx.sql.defer(insert(a, 1));
      // A statement that follows sees it: it went first.
      expect(await tx.sql.get('SELECT hits FROM rate_limits WHERE bucket = ?', [a])).toMatchObject({ hits: 1 });
      tx.sql.defer({ sql: 'UPDATE rate_limits SET hits = hits + 1 WHERE bucket = ?', params: [a] });
      tx.sql.defer(insert(b, 5));
    });
    // The two that no statement followed went with the COMMIT, in order, and committed.
    expect(await hitsOf(a)).toBe(2);
    expect(await hitsOf(b)).toBe(5);
    // A unit whose only statement is deferred: its BEGIN, the write and the COMMIT.
    const c = bucket();
    await runUnitOfWork(ctx(), async (tx) => tx.sql.defer(insert(c, 3)));
    expect(await hitsOf(c)).toBe(3);
  });

  it('a deferred write that fails with the COMMIT fails the unit with its own error, commits nothing, and is retried like any statement', async () => {
    const [a, b] = [bucket(), bucket()];
    const insert = (key: string) => ({ sql: 'INSERT INTO rate_limits (bucket, window_start_ms, hits) VALUES (?, 1, 1)', params: [key] });
    await sqlFor(server.em()).run(insert(a).sql, insert(a).params);
    let attempts = 0;
    await expect(
      new UnitOfWork(server.app.config.retry).run(
        ctx(),
        async (tx) => {
          attempts += 1;
          await tx.sql.run(insert(b).sql, insert(b).params);
          tx.sql.defer(insert(a)); // a duplicate key, known only when the COMMIT's round trip answers
        },
        { retryOnUniqueViolation: false },
      ),
    ).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    expect(attempts).toBe(1);
    // Not committed: the write before it was rolled back (and the answer was not OUTCOME UNKNOWN).
    expect(await hitsOf(b)).toBeUndefined();
    // A retryable failure (the unique key, by default) runs the unit again in a new transaction.
    attempts = 0;
    await new UnitOfWork(server.app.config.retry).run(ctx(), async (tx) => {
      attempts += 1;
      tx.sql.defer(insert(attempts === 1 ? a : b));
    });
    expect(attempts).toBe(2);
    expect(await hitsOf(b)).toBe(1);
  });

  it('a deferred read goes with the COMMIT after the deferred writes and gets its rows once the unit committed; a failed unit never hands them over', async () => {
    const [a, b] = [bucket(), bucket()];
    const insert = (key: string, hits: number) => ({ sql: 'INSERT INTO rate_limits (bucket, window_start_ms, hits) VALUES (?, 1, ?)', params: [key, hits] });
    const read = { sql: 'SELECT bucket, hits FROM rate_limits WHERE bucket IN (?, ?) ORDER BY hits', params: [a, b] };
    let rows: unknown;
    await runUnitOfWork(ctx(), async (tx) => {
      await tx.sql.run(insert(a, 1).sql, insert(a, 1).params);
      tx.sql.defer(insert(b, 2));
      tx.sql.defer(read, (result) => {
        rows = result;
      });
      // Nothing is sent yet: the read waits for the COMMIT's round trip.
      expect(rows).toBeUndefined();
    });
    // It saw the unit's writes, the deferred one before it too.
    expect(rows).toEqual([expect.objectContaining({ bucket: a, hits: 1 }), expect.objectContaining({ bucket: b, hits: 2 })]);
    // A unit whose deferred write fails with the COMMIT: no rows are handed over.
    rows = undefined;
    await expect(
      new UnitOfWork(server.app.config.retry).run(
        ctx(),
        async (tx) => {
          tx.sql.defer(insert(a, 9)); // a duplicate key
          tx.sql.defer(read, (result) => {
            rows = result;
          });
        },
        { retryOnUniqueViolation: false },
      ),
    ).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    expect(rows).toBeUndefined();
  });

  it('refuses a deferred write on the pool', () => {
    expect(() => sqlFor(server.em()).defer({ sql: 'SELECT 1' })).toThrow('defer() needs a transaction');
  });
});
