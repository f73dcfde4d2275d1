import mysql from 'mysql2/promise';
import { AddToCartDocument, AddToCartLiteDocument } from '../generated/cart';
import { CheckoutDocument } from '../generated/orders';
import { codeOf, countRows, expectData, createStockedProduct, createUsers, holdStock, metricOf, orderedQuantity, readStockRow, tally, TEST_DB, useCluster } from '../kit';

/**
 * Shopper mutations of different shoppers that reach a server process together share one
 * transaction (db/unit-group.ts; MySQL only: SQLite has one connection, and every unit runs
 * alone). What is shared must change nothing a shopper can see: each request gets its own answer,
 * a member that fails fails alone, and the stock rows, holds, orders and ledger are exactly what
 * the same requests would leave one by one.
 */

const GROUPED = TEST_DB === 'mysql';

describe('shopper mutations sharing a transaction', () => {
  const cluster = useCluster({ audit: 'afterEach' });
  const sum = async (name: string) => (await Promise.all(cluster.urls.map((url) => metricOf(url, name)))).reduce((a, b) => a + b, 0);

  it('a scarce product carted and checked out by many at once on both processes: exactly its stock is held, then sold', async () => {
    const BUYERS = 48;
    const UNITS = 30;
    const { productId, stockId } = await createStockedProduct(cluster.server, { onHand: UNITS });
    const buyers = await createUsers(cluster.server, BUYERS, { prefix: 'group-cart' });
    const groupsBefore = await sum('unit_groups_total');
    const membersBefore = await sum('unit_group_members_total');

    const added = await Promise.all(buyers.map((buyer, i) => cluster.clientFor(buyer, i).request(AddToCartDocument, { input: { productId: String(productId), quantity: 1 } })));
    expect(tally(added.map(codeOf))).toEqual({ ok: UNITS, INSUFFICIENT_STOCK: BUYERS - UNITS });
    for (const res of added) {
      if (!res.errors) expect(res.data!.addToCart.items.map((item) => [item.product.id, item.quantity])).toEqual([[String(productId), 1]]);
    }
    expect(await readStockRow(cluster.server, stockId)).toMatchObject({ onHand: UNITS, reserved: UNITS });
    expect(await countRows(cluster.server, 'stock_holds')).toBe(UNITS);

    const winners = buyers.filter((_, i) => !added[i].errors);
    const checkedOut = await Promise.all(winners.map((buyer, i) => cluster.clientFor(buyer, i).request(CheckoutDocument, { input: { idempotencyKey: `group-${buyer.id}` } })));
    expect(tally(checkedOut.map(codeOf))).toEqual({ ok: UNITS });
    expect(new Set(checkedOut.map((res) => res.data!.checkout.id)).size).toBe(UNITS);
    expect(await readStockRow(cluster.server, stockId)).toMatchObject({ onHand: 0, reserved: 0 });
    expect(await orderedQuantity(cluster.server, productId)).toBe(UNITS);
    expect(await countRows(cluster.server, 'stock_holds')).toBe(0);

    const groups = (await sum('unit_groups_total')) - groupsBefore;
    const members = (await sum('unit_group_members_total')) - membersBefore;
    if (GROUPED) {
      expect(groups).toBeGreaterThan(0);
      expect(members).toBeGreaterThanOrEqual(2 * groups);
    } else {
      expect({ groups, members }).toEqual({ groups: 0, members: 0 });
    }
  });

  /**
   * Waves of addToCart from fresh shoppers, all at one process so that they meet in its groups,
   * until `until` says a wave did what is asked (one wave may happen to put no failing request in
   * a group with others); each wave's answers and held stock are checked.
   */
  async function waves(
    prefix: string,
    productOf: (i: number) => { productId: string; quantity: number; expect: string },
    good: { productId: number; stockId: number },
    until: () => Promise<boolean>,
  ): Promise<void> {
    let held = (await readStockRow(cluster.server, good.stockId)).reserved;
    for (let wave = 0; wave < 6; wave += 1) {
      const shoppers = await createUsers(cluster.server, 18, { prefix: `${prefix}-${wave}` });
      const asks = shoppers.map((_, i) => productOf(i));
      const answers = await Promise.all(shoppers.map((s, i) => cluster.clientFor(s, 0).request(AddToCartDocument, { input: { productId: asks[i].productId, quantity: asks[i].quantity } })));
      expect(answers.map(codeOf)).toEqual(asks.map((a) => a.expect));
      for (const [i, res] of answers.entries()) {
        if (!res.errors) expect(res.data!.addToCart.items.map((item) => [item.product.id, item.quantity])).toEqual([[asks[i].productId, asks[i].quantity]]);
      }
      held += asks.filter((a) => a.expect === 'ok').reduce((n, a) => n + a.quantity, 0);
      expect(await readStockRow(cluster.server, good.stockId)).toMatchObject({ reserved: held });
      if (!GROUPED || (await until())) return;
    }
    throw new Error('no wave formed the group asked for');
  }

  it('a member that fails having only read (sold out, no such product) fails alone: its group goes on and commits', async () => {
    const good = await createStockedProduct(cluster.server, { onHand: 1000 });
    const soldOut = await createStockedProduct(cluster.server, { onHand: 0 });
    const before = { alone: await sum('unit_group_members_failed_alone_total'), fallbacks: await sum('unit_group_fallbacks_total') };
    await waves(
      'group-alone',
      (i) =>
        i % 6 === 3
          ? { productId: String(soldOut.productId), quantity: 1, expect: 'INSUFFICIENT_STOCK' }
          : i % 6 === 5
            ? { productId: '987654321', quantity: 1, expect: 'NOT_FOUND' }
            : { productId: String(good.productId), quantity: 1, expect: 'ok' },
      good,
      async () => (await sum('unit_group_members_failed_alone_total')) > before.alone,
    );
    expect(await readStockRow(cluster.server, soldOut.stockId)).toMatchObject({ onHand: 0, reserved: 0 });
    // Nobody's work was done twice: no group was rolled back.
    expect((await sum('unit_group_fallbacks_total')) - before.fallbacks).toBe(0);
    if (!GROUPED) expect((await sum('unit_group_members_failed_alone_total')) - before.alone).toBe(0);
  });

  it('a member that fails after writing (a shortage sweep that frees too little) rolls its group back: each member runs alone, the others commit', async () => {
    const good = await createStockedProduct(cluster.server, { onHand: 1000 });
    // One unit, held by a hold that lapsed: asking for 2 sweeps it (a write), then is refused.
    const scarce = await createStockedProduct(cluster.server, { onHand: 1 });
    const [holder] = await createUsers(cluster.server, 1, { prefix: 'group-lapsed' });
    await holdStock(cluster.server, { userId: holder.id, productId: scarce.productId, quantity: 1, expiresAtMs: 1 });
    const before = await sum('unit_group_fallbacks_total');
    await waves(
      'group-fallback',
      (i) => (i % 9 === 4 ? { productId: String(scarce.productId), quantity: 2, expect: 'INSUFFICIENT_STOCK' } : { productId: String(good.productId), quantity: 1, expect: 'ok' }),
      good,
      async () => (await sum('unit_group_fallbacks_total')) > before,
    );
    // Each refusal rolled its sweep back with it: the lapsed hold is still there.
    expect(await readStockRow(cluster.server, scarce.stockId)).toMatchObject({ onHand: 1, reserved: 1 });
    if (!GROUPED) expect((await sum('unit_group_fallbacks_total')) - before).toBe(0);
  });

  it('one shopper sending many cart mutations at once has at most 8 waiting for groups (the others run alone at once); every one is answered, and others are served meanwhile', async () => {
    const products = await Promise.all(Array.from({ length: 24 }, () => createStockedProduct(cluster.server, { onHand: 5 })));
    const [flooder, other] = await createUsers(cluster.server, 2, { prefix: 'group-flood' });
    const bypassedBefore = await sum('unit_group_bypassed_total');
    const flood = products.map((p) => cluster.clientFor(flooder, 0).request(AddToCartDocument, { input: { productId: String(p.productId), quantity: 1 } }));
    const others = cluster.clientFor(other, 0).request(AddToCartDocument, { input: { productId: String(products[0].productId), quantity: 1 } });
    const answers = await Promise.all(flood);
    expect(codeOf(await others)).toBe('ok');
    expect(tally(answers.map(codeOf))).toEqual({ ok: products.length });
    // Every line is in the flooder's cart once, and each holds its unit.
    const lines = answers.map((a) => a.data!.addToCart.items.length);
    expect(Math.max(...lines)).toBe(products.length);
    const held = (await Promise.all(products.map((p) => readStockRow(cluster.server, p.stockId)))).reduce((n, row) => n + row.reserved, 0);
    expect(held).toBe(products.length + 1);
    const bypassed = (await sum('unit_group_bypassed_total')) - bypassedBefore;
    if (GROUPED) expect(bypassed).toBeGreaterThan(0);
    else expect(bypassed).toBe(0);
  });
  /** Resolves once a statement of this test's database that contains `text` is running (it waits for a row lock). */
  async function untilWaiting(admin: mysql.Connection, database: string, text: string): Promise<void> {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 20))) {
      const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID() AND info LIKE ?', [database, `%${text}%`]);
      if (Number(rows[0].n) > 0) return;
    }
    throw new Error(`no statement with "${text}" waited`);
  }

  /**
   * A group's transaction has one snapshot, taken at its first read. A member whose shopper lock
   * had to wait (the shopper's earlier unit, on another process, still running) must still see
   * what that unit committed, as a unit alone would: its reads, and the cart it answers with,
   * which it reads with its COMMIT. So every member's shopper lock goes before any member's read.
   */
  (GROUPED ? it : it.skip)('a member whose shopper was locked when its group began sees what committed before it got the lock', async () => {
    const blocked = await createStockedProduct(cluster.server, { onHand: 10, price: '1.00' });
    const [early, late] = await Promise.all([1, 2].map(() => createStockedProduct(cluster.server, { onHand: 10, price: '1.00' })));
    const [waiter, first, shopper] = await createUsers(cluster.server, 3, { prefix: 'group-snapshot' });
    const client = (user: typeof shopper) => cluster.clientFor(user, 0);
    expectData(await client(shopper).request(AddToCartLiteDocument, { input: { productId: String(early.productId), quantity: 1 } }));
    const groupsBefore = await metricOf(cluster.urls[0], 'unit_groups_total');

    const url = cluster.server.env.DATABASE_URL;
    const database = new URL(url).pathname.slice(1);
    const [admin, rowLock, other] = await Promise.all([url, url, url].map((u) => mysql.createConnection(u)));
    try {
      // A unit runs (alone) and waits for a locked stock row, so the next two queue and form one group.
      await rowLock.query('BEGIN');
      await rowLock.query('SELECT id FROM stocks WHERE id = ? FOR UPDATE', [blocked.stockId]);
      const running = client(waiter).request(AddToCartLiteDocument, { input: { productId: String(blocked.productId), quantity: 1 } });
      await untilWaiting(admin, database, 'UPDATE stocks SET');
      // The shopper's earlier unit: it holds the shopper's locks (the write limiter's row, the user row) and reprices a line of the cart.
      await other.query('BEGIN');
      await other.query('SELECT bucket FROM rate_limits WHERE bucket = ? FOR UPDATE', [`write:user:${shopper.id}`]);
      await other.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [shopper.id]);
      await other.query("UPDATE products SET price = '2.00' WHERE id = ?", [early.productId]);
      // The other member first, so that its read comes first in the group's first round trip.
      const firstAnswer = client(first).request(AddToCartDocument, { input: { productId: String(late.productId), quantity: 1 } });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const answer = client(shopper).request(AddToCartDocument, { input: { productId: String(late.productId), quantity: 1 } });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await rowLock.query('ROLLBACK');
      expectData(await running);
      // The group began, and waits for the shopper's lock; the earlier unit commits.
      await untilWaiting(admin, database, `'write:user:${shopper.id}'`);
      await other.query('COMMIT');

      expectData(await firstAnswer);
      const cart = expectData(await answer).addToCart;
      expect(cart.items.map((item) => [item.product.id, item.quantity, item.unitPrice])).toEqual([
        [String(early.productId), 1, '2.00'],
        [String(late.productId), 1, '1.00'],
      ]);
      expect(cart.total).toBe('3.00');
      expect((await metricOf(cluster.urls[0], 'unit_groups_total')) - groupsBefore).toBe(1);
    } finally {
      await Promise.all([admin, rowLock, other].map((c) => c.end()));
    }
    expect(await readStockRow(cluster.server, late.stockId)).toMatchObject({ onHand: 10, reserved: 2 });
  });
});
