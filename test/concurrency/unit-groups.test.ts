import { AddToCartDocument } from '../generated/cart';
import { CheckoutDocument } from '../generated/orders';
import { codeOf, countRows, createStockedProduct, createUsers, holdStock, metricOf, orderedQuantity, readStockRow, tally, TEST_DB, useCluster } from '../kit';

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
});
