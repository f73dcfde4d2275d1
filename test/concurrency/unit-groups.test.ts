import { AddToCartDocument } from '../generated/cart';
import { CheckoutDocument } from '../generated/orders';
import { codeOf, countRows, createStockedProduct, createUsers, metricOf, orderedQuantity, readStockRow, tally, TEST_DB, useCluster } from '../kit';

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

  it('a member that fails (sold out, no such product) fails alone: the rest of its group commits', async () => {
    const GOOD = 14;
    const { productId, stockId } = await createStockedProduct(cluster.server, { onHand: 1000 });
    const soldOut = await createStockedProduct(cluster.server, { onHand: 0 });
    let fellBack = 0;
    let held = 0;
    // Requests reach the process together; one wave may happen not to put a failing one in a group with others.
    for (let wave = 0; wave < 5 && (GROUPED ? fellBack === 0 : wave === 0); wave += 1) {
      const buyers = await createUsers(cluster.server, GOOD + 4, { prefix: `group-fail-${wave}` });
      const before = await sum('unit_group_fallbacks_total');
      const asked = buyers.map((_, i) => (i % 6 === 3 ? String(soldOut.productId) : i % 6 === 5 && i < 12 ? '987654321' : String(productId)));
      // All at one process, so that they meet in its groups.
      const answers = await Promise.all(buyers.map((buyer, i) => cluster.clientFor(buyer, 0).request(AddToCartDocument, { input: { productId: asked[i], quantity: 1 } })));
      const expected = asked.map((p) => (p === String(productId) ? 'ok' : p === '987654321' ? 'NOT_FOUND' : 'INSUFFICIENT_STOCK'));
      expect(answers.map(codeOf)).toEqual(expected);
      for (const [i, res] of answers.entries()) {
        if (!res.errors) expect(res.data!.addToCart.items.map((item) => [item.product.id, item.quantity])).toEqual([[asked[i], 1]]);
      }
      held += expected.filter((code) => code === 'ok').length;
      expect(await readStockRow(cluster.server, stockId)).toMatchObject({ onHand: 1000, reserved: held });
      fellBack += (await sum('unit_group_fallbacks_total')) - before;
    }
    expect(await readStockRow(cluster.server, soldOut.stockId)).toMatchObject({ onHand: 0, reserved: 0 });
    if (GROUPED) expect(fellBack).toBeGreaterThan(0);
    else expect(fellBack).toBe(0);
  });
});
