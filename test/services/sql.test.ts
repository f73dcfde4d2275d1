import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { sqlFor } from '../../src/db/sql';
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
