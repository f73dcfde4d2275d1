import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { sqlFor } from '../../src/db/sql';
import { UnitOfWork, type UnitContext } from '../../src/db/unit-of-work';
import { systemContext, useServer } from '../kit';

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
