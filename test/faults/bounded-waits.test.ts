import mysql from 'mysql2/promise';
import { AddToCartLiteDocument } from '../generated/cart';
import { ProductsDocument } from '../generated/catalog';
import { BuyNowLiteDocument, CheckoutLiteDocument } from '../generated/orders';
import {
  countRows,
  createStockedProduct,
  createUsers,
  expectAuditClean,
  expectData,
  GraphQLClient,
  orderedQuantity,
  runsOnPrivateMariadb,
  readStockRow,
  sleep,
  usePrivateMariadb,
  withServer,
  type GraphQLResponse,
  type PrivateMariadb,
  type TestServer,
} from '../kit';
import { asServiceUnavailable } from '../../src/db/faults';
import { sqlFor } from '../../src/db/sql';

/**
 * A hung database (SIGSTOP) must not hang the API: every request is answered within the bounds
 * (statement, query, acquire and connect timeouts; the buyNow queue) with SERVICE_UNAVAILABLE,
 * retryable, HTTP 503; /readyz turns 503 within its own short timeout; after the thaw the same
 * server recovers, and a checkout or buyNow whose COMMIT went unanswered says its outcome is
 * unknown, and a replay with the same key then returns exactly one order.
 *
 * MySQL project only (it freezes a private MariaDB, never the shared server). Where the MariaDB
 * binaries are missing it is skipped, except in CI, where it fails: a skipped fault test proves nothing.
 */
const BOUND_MS = 10_000;
const TIMEOUTS = {
  DATABASE_STATEMENT_TIMEOUT_MS: '2500',
  DATABASE_QUERY_TIMEOUT_MS: '2500',
  DATABASE_ACQUIRE_TIMEOUT_MS: '2000',
  DATABASE_CONNECT_TIMEOUT_MS: '2000',
  BUY_NOW_QUEUE_MAX_WAITING: '2',
  BUY_NOW_QUEUE_MAX_WAIT_MS: '700',
  UNIT_GROUP_MAX_WAITING: '2',
  UNIT_GROUP_MAX_WAIT_MS: '700',
  // The limiter writes a row per mutation: off, so that the only COMMIT of a mutation is its own.
  WRITE_RATE_LIMIT_PER_USER: '0',
};

(runsOnPrivateMariadb ? describe : describe.skip)('bounded waits against a frozen database', () => {
  const mariadb = usePrivateMariadb();

  const onPrivate = <T>(use: (server: TestServer) => Promise<T>) =>
    withServer({ database: () => mariadb.createDatabase(), env: TIMEOUTS }, async (server) => {
      try {
        return await use(server);
      } finally {
        mariadb.thaw();
      }
    });

  async function timed<T>(call: () => Promise<T>): Promise<{ result: T; ms: number }> {
    const start = Date.now();
    const result = await call();
    return { result, ms: Date.now() - start };
  }

  const readyz = async (server: TestServer) => (await fetch(`${server.url}/readyz`)).status;

  function expectUnavailable(response: GraphQLResponse<unknown>) {
    expect(response.status).toBe(503);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
  }

  it('ends a statement on the server at DATABASE_STATEMENT_TIMEOUT_MS (MariaDB max_statement_time, set per session): SERVICE_UNAVAILABLE, the pool still usable', async () => {
    await withServer({ database: () => mariadb.createDatabase(), env: { DATABASE_STATEMENT_TIMEOUT_MS: '500', DATABASE_QUERY_TIMEOUT_MS: '5000' } }, async (server) => {
      const sql = sqlFor(server.em());
      const { result: error, ms } = await timed(() => sql.get('SELECT SLEEP(3) AS slept').then(() => null, (e: unknown) => e));
      // The server's limit ended it (the client-side one is 5 s), with its own error.
      expect(ms).toBeLessThan(2000);
      expect(error).toMatchObject({ errno: 1969 });
      expect(asServiceUnavailable(error)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', extensions: { retryable: true } });
      expect(await sql.get('SELECT 1 AS one')).toMatchObject({ one: 1 });
    });
  });

  it('answers every request during a freeze within the bound with SERVICE_UNAVAILABLE, then recovers without restart', async () => {
    await onPrivate(async (server) => {
      const p = await createStockedProduct(server, { onHand: 100, price: '2.00' });
      const [carter, checker, ...buyers] = await createUsers(server, 6, { prefix: 'frozen' });
      const product = String(p.productId);
      // Warm the pool: the freeze then hangs established connections, the worst case.
      expectData(await checker.client.request(AddToCartLiteDocument, { input: { productId: product, quantity: 2 } }));
      expectData(await buyers[0].client.request(BuyNowLiteDocument, { input: { productId: product, quantity: 1, idempotencyKey: 'warm' } }));
      expect(await readyz(server)).toBe(200);

      mariadb.freeze();
      const [query, add, checkout, ready, ...buys] = await Promise.all([
        timed(() => server.client.request(ProductsDocument, { first: 5 })),
        timed(() => carter.client.request(AddToCartLiteDocument, { input: { productId: product, quantity: 1 } })),
        timed(() => checker.client.request(CheckoutLiteDocument, { input: { idempotencyKey: 'frozen-checkout', shippingCost: '0.00' } })),
        timed(() => readyz(server)),
        ...buyers.map((b, i) => timed(() => b.client.request(BuyNowLiteDocument, { input: { productId: product, quantity: 1, idempotencyKey: `frozen-${i}` } }))),
      ]);
      await sleep(500); // frozen for longer than every bound
      mariadb.thaw();

      console.log(
        `[bounded-waits] frozen: readyz ${ready.result} in ${ready.ms} ms; query ${query.ms}, addToCart ${add.ms}, checkout ${checkout.ms}, buyNow ${buys.map((b) => b.ms).join('/')} ms`,
      );
      expect(ready.result).toBe(503);
      expect(ready.ms).toBeLessThan(2000);
      for (const answer of [query, add, checkout, ...buys]) {
        expectUnavailable(answer.result);
        expect(answer.ms).toBeLessThan(BOUND_MS);
      }

      // The same server, no restart: the pool replaces the dead connections.
      const bought = await buyers[1].client.request(BuyNowLiteDocument, { input: { productId: product, quantity: 1, idempotencyKey: 'after-thaw' } });
      expect(expectData(bought).buyNow.totalPrice).toBe('2.00');
      expect(await readyz(server)).toBe(200);
      expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 98, reserved: 2 });
      expect(await orderedQuantity(server, p.productId)).toBe(2);
    });
  });

  /** Resolves once the first buyNow batch's stock write is running (waiting, behind the blocker's row lock). */
  async function waitForLockWait(server: PrivateMariadb): Promise<void> {
    const admin = await mysql.createConnection(server.url);
    try {
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(20)) {
        const [rows] = await admin.query<mysql.RowDataPacket[]>("SELECT COUNT(*) AS n FROM information_schema.processlist WHERE info LIKE 'UPDATE stocks %'");
        if (Number(rows[0].n) > 0) return;
      }
      throw new Error('the first buyNow batch never waited for the row lock');
    } finally {
      await admin.end();
    }
  }

  /**
   * Another session holds the stock row while `first` is sent (it waits for the row) and then the
   * requests of `rest` (they queue behind it); returns what `first` and each of `rest` answered,
   * with how long each of `rest` took, once the row is let go.
   */
  async function behindLockedStock<R>(server: TestServer, stockId: number, first: () => Promise<R>, rest: (() => Promise<R>)[]): Promise<{ first: R; answers: { result: R; ms: number }[] }> {
    const blocker = await mysql.createConnection(server.env.DATABASE_URL);
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT id FROM stocks WHERE id = ? FOR UPDATE', [stockId]);
      const firstAnswer = first();
      await waitForLockWait(mariadb);
      const answers = await Promise.all(rest.map((send) => timed(send)));
      await blocker.query('ROLLBACK');
      return { first: await firstAnswer, answers };
    } finally {
      await blocker.end();
    }
  }

  /** 2 may wait (the queue's MAX_WAITING): they leave after its 700 ms; the other 5 are refused at once. */
  function expectQueueRefusals(answers: { result: GraphQLResponse<unknown>; ms: number }[], full: RegExp, busy: RegExp): void {
    const refusedAtOnce = answers.filter((a) => full.test(a.result.errors?.[0]?.message ?? ''));
    const waitedTooLong = answers.filter((a) => busy.test(a.result.errors?.[0]?.message ?? ''));
    expect(refusedAtOnce).toHaveLength(5);
    expect(waitedTooLong).toHaveLength(2);
    for (const a of answers) expectUnavailable(a.result);
    for (const a of refusedAtOnce) expect(a.ms).toBeLessThan(650); // at once: not after the 700 ms wait bound
    for (const a of waitedTooLong) expect(a.ms).toBeGreaterThanOrEqual(650);
  }

  it('refuses fast with SERVICE_UNAVAILABLE when the buyNow queue of a product is full or waited too long', async () => {
    await onPrivate(async (server) => {
      const p = await createStockedProduct(server, { onHand: 50, price: '1.00' });
      const buyers = await createUsers(server, 8, { prefix: 'queue' });
      // The product's first batch waits for the locked row, and requests pile up behind.
      const buy = (i: number) => () => buyers[i].client.request(BuyNowLiteDocument, { input: { productId: String(p.productId), quantity: 1, idempotencyKey: `q-${i}` } });
      const { first, answers } = await behindLockedStock(server, p.stockId, buy(0), buyers.slice(1).map((_, i) => buy(i + 1)));
      expect(expectData(first).buyNow.totalPrice).toBe('1.00');
      expectQueueRefusals(answers, /Too many requests are waiting/, /This product is busy/);
      expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 49, reserved: 0 });
      expect(await countRows(server, 'orders')).toBe(1);
    });
  });

  it('refuses fast with SERVICE_UNAVAILABLE when the queue for a shared transaction of cart mutations is full or waited too long', async () => {
    await onPrivate(async (server) => {
      const p = await createStockedProduct(server, { onHand: 50, price: '1.00' });
      const shoppers = await createUsers(server, 8, { prefix: 'group-queue' });
      // The first addToCart (alone: nothing else is running) waits for the locked row; the others queue for the next group.
      const add = (i: number) => () => shoppers[i].client.request(AddToCartLiteDocument, { input: { productId: String(p.productId), quantity: 1 } });
      const { first, answers } = await behindLockedStock(server, p.stockId, add(0), shoppers.slice(1).map((_, i) => add(i + 1)));
      expectData(first);
      expectQueueRefusals(answers, /Too many requests are waiting for the database/, /The database is busy/);
      expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 50, reserved: 1 });
      expect(await countRows(server, 'stock_holds')).toBe(1);
    });
  });

  it.each(['buyNow', 'checkout'] as const)('a %s whose COMMIT went unanswered says the outcome is unknown; the replay returns exactly one order', async (operation) => {
    await onPrivate(async (server) => {
      const p = await createStockedProduct(server, { onHand: 10, price: '3.00' });
      const [buyer] = await createUsers(server, 1, { prefix: 'unknown' });
      const product = String(p.productId);
      const send: () => Promise<{ response: GraphQLResponse<unknown>; id: string | undefined }> =
        operation === 'buyNow'
          ? async () => {
              const r = await buyer.client.request(BuyNowLiteDocument, { input: { productId: product, quantity: 2, idempotencyKey: 'k-unknown' } });
              return { response: r, id: r.data?.buyNow.id };
            }
          : async () => {
              const r = await buyer.client.request(CheckoutLiteDocument, { input: { idempotencyKey: 'k-unknown', shippingCost: '0.00' } });
              return { response: r, id: r.data?.checkout.id };
            };
      if (operation === 'checkout') expectData(await buyer.client.request(AddToCartLiteDocument, { input: { productId: product, quantity: 2 } }));

      const restore = mariadb.freezeAtNextCommit(server);
      let unknown: { result: { response: GraphQLResponse<unknown>; id: string | undefined }; ms: number };
      try {
        unknown = await timed(send);
      } finally {
        restore();
        mariadb.thaw();
      }
      expectUnavailable(unknown.result.response);
      expect(unknown.ms).toBeLessThan(BOUND_MS);
      expect(unknown.result.response.errors?.[0]).toMatchObject({
        message: 'the outcome is unknown: retry with the same idempotency key',
        extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true, outcome: 'UNKNOWN' },
      });

      const replays = [await send(), await send()];
      for (const r of replays) expect(r.response.errors).toBeUndefined();
      expect(replays[1].id).toBe(replays[0].id);
      expect(await countRows(server, 'orders')).toBe(1);
      expect(await orderedQuantity(server, p.productId)).toBe(2);
      expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 8, reserved: 0 });
      await expectAuditClean(server);
    });
  });

  it('answers SERVICE_UNAVAILABLE (not INTERNAL_SERVER_ERROR) while the database is down, and recovers when it is back', async () => {
    await onPrivate(async (server) => {
      const p = await createStockedProduct(server, { onHand: 5, price: '4.00' });
      const [buyer] = await createUsers(server, 1, { prefix: 'down' });
      const product = String(p.productId);
      expectData(await server.client.request(ProductsDocument, { first: 1 }));
      await mariadb.crash();
      try {
        const [query, buy, ready] = await Promise.all([
          timed(() => server.client.request(ProductsDocument, { first: 1 })),
          timed(() => buyer.client.request(BuyNowLiteDocument, { input: { productId: product, quantity: 1, idempotencyKey: 'down-1' } })),
          timed(() => readyz(server)),
        ]);
        expect(ready.result).toBe(503);
        for (const answer of [query, buy]) {
          expectUnavailable(answer.result);
          expect(answer.ms).toBeLessThan(BOUND_MS);
        }
      } finally {
        await mariadb.restart();
      }
      expect(expectData(await buyer.client.request(BuyNowLiteDocument, { input: { productId: product, quantity: 1, idempotencyKey: 'down-1' } })).buyNow.totalPrice).toBe('4.00');
      expect(await readyz(server)).toBe(200);
      expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 4, reserved: 0 });
    });
  });

  it("writes knex's own messages (a dropped connection) as JSON lines of the logger, nothing else on stderr", async () => {
    await onPrivate(async (server) => {
      const [buyer] = await createUsers(server, 1, { prefix: 'log' });
      const proc = await server.spawn({ logLevel: 'warn' });
      const at = (url: string) => new GraphQLClient(url, buyer.token);
      // Several connections in the spawned server's pool.
      await Promise.all(Array.from({ length: 4 }, () => at(proc.url).request(ProductsDocument, { first: 1 })));
      // The server drops them (as a restart or a network cut would).
      const admin = await mysql.createConnection(mariadb.url);
      try {
        const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()', [server.db.name]);
        for (const row of rows) await admin.query(`KILL ${Number(row.id)}`).catch(() => undefined);
      } finally {
        await admin.end();
      }
      await sleep(200);
      await Promise.all(Array.from({ length: 4 }, () => at(proc.url).request(ProductsDocument, { first: 1 })));
      const lines = proc.output().split('\n').filter((l) => l.trim());
      const notJson = lines.filter((l) => {
        try {
          JSON.parse(l);
          return false;
        } catch {
          return true;
        }
      });
      expect(notJson).toEqual([]);
      expect(lines.some((l) => (JSON.parse(l) as { msg?: string }).msg === 'knex')).toBe(true);
    });
  });
});
