import { AddToCartLiteDocument } from '../generated/cart';
import { BuyNowLiteDocument, CheckoutDocument } from '../generated/orders';
import {
  codeOf,
  createProduct,
  createUser,
  createUsers,
  createWarehouse,
  type GraphQLResponse,
  orderedQuantity,
  readStockRow,
  setStockLevel,
  sleep,
  tally,
  type TestCluster,
  useCluster,
} from '../kit';

/**
 * Carts with two products race to checkout. Lines were added in opposite orders, and each product
 * sits in two warehouses whose stock rows interleave (A1 < B1 < A2 < B2), so a checkout that took
 * rows in line order rather than stock id order would deadlock against its mirror image.
 */

interface Catalog {
  a: number;
  b: number;
  stocks: { a: number[]; b: number[] };
}

async function twoProductsInterleaved(cluster: TestCluster, levels: { a: [number, number]; b: [number, number] }): Promise<Catalog> {
  const { server } = cluster;
  const seller = await createUser(server, { prefix: 'seller' });
  const [w1, w2] = [await createWarehouse(server, { ownerId: seller.id }), await createWarehouse(server, { ownerId: seller.id })];
  const a = await createProduct(server, { ownerId: seller.id, price: '3.10', name: 'A' });
  const b = await createProduct(server, { ownerId: seller.id, price: '0.45', name: 'B' });
  const a1 = await setStockLevel(server, { warehouseId: w1, productId: a, onHand: levels.a[0] });
  const b1 = await setStockLevel(server, { warehouseId: w1, productId: b, onHand: levels.b[0] });
  const a2 = await setStockLevel(server, { warehouseId: w2, productId: a, onHand: levels.a[1] });
  const b2 = await setStockLevel(server, { warehouseId: w2, productId: b, onHand: levels.b[1] });
  return { a, b, stocks: { a: [a1, a2], b: [b1, b2] } };
}

async function totals(cluster: TestCluster, stockIds: number[]) {
  const rows = await Promise.all(stockIds.map((id) => readStockRow(cluster.server, id)));
  return { onHand: rows.reduce((s, r) => s + r.onHand, 0), reserved: rows.reduce((s, r) => s + r.reserved, 0) };
}

describe('with holds that last', () => {
  const cluster = useCluster({ audit: 'afterEach' });

  it('carts filled in opposite orders all check out at once: no deadlock, no CONFLICT, exact stock', async () => {
    const BUYERS = 10;
    const catalog = await twoProductsInterleaved(cluster, { a: [14, 16], b: [16, 14] });
    const buyers = await createUsers(cluster.server, BUYERS, { prefix: 'mirror' });

    const adds = await Promise.all(
      buyers.map(async (buyer, i) => {
        const client = cluster.clientFor(buyer, i);
        const order = i % 2 === 0 ? [catalog.a, catalog.b] : [catalog.b, catalog.a];
        const results = [];
        for (const productId of order) results.push(await client.request(AddToCartLiteDocument, { input: { productId: String(productId), quantity: 3 } }));
        return results.map(codeOf);
      }),
    );
    expect(tally(adds.flat())).toEqual({ ok: BUYERS * 2 });

    const checkouts = await Promise.all(
      buyers.map((buyer, i) => cluster.clientFor(buyer, i + 1).request(CheckoutDocument, { input: { idempotencyKey: `mirror-${i}`, shippingCost: '1.00' } })),
    );
    expect(tally(checkouts.map(codeOf))).toEqual({ ok: BUYERS });
    for (const res of checkouts) {
      const order = res.data!.checkout;
      const byProduct = tally(order.lines.flatMap((l) => Array<string>(l.quantity).fill(l.product.id)));
      expect(byProduct).toEqual({ [String(catalog.a)]: 3, [String(catalog.b)]: 3 });
      expect(order.totalPrice).toBe('11.65'); // 3 × 3.10 + 3 × 0.45 + 1.00
    }
    expect(await totals(cluster, [...catalog.stocks.a, ...catalog.stocks.b])).toEqual({ onHand: 0, reserved: 0 });
    expect(await orderedQuantity(cluster.server, catalog.a)).toBe(30);
    expect(await orderedQuantity(cluster.server, catalog.b)).toBe(30);
  });

  it('buyNow on A and B in opposite orders: each product sells exactly its stock', async () => {
    const BUYERS = 40;
    const catalog = await twoProductsInterleaved(cluster, { a: [9, 11], b: [12, 8] });
    const buyers = await createUsers(cluster.server, BUYERS, { prefix: 'dash' });
    const results = await Promise.all(
      buyers.map(async (buyer, i) => {
        const client = cluster.clientFor(buyer, i);
        const order = i % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
        const out: Record<string, string> = {};
        for (const key of order) {
          const productId = key === 'a' ? catalog.a : catalog.b;
          out[key] = codeOf(await client.request(BuyNowLiteDocument, { input: { productId: String(productId), quantity: 1, idempotencyKey: `dash-${key}` } }));
        }
        return out;
      }),
    );
    expect(tally(results.map((r) => r.a))).toEqual({ ok: 20, INSUFFICIENT_STOCK: 20 });
    expect(tally(results.map((r) => r.b))).toEqual({ ok: 20, INSUFFICIENT_STOCK: 20 });
    expect(await totals(cluster, catalog.stocks.a)).toEqual({ onHand: 0, reserved: 0 });
    expect(await totals(cluster, catalog.stocks.b)).toEqual({ onHand: 0, reserved: 0 });
    expect(await orderedQuantity(cluster.server, catalog.a)).toBe(20);
    expect(await orderedQuantity(cluster.server, catalog.b)).toBe(20);
  });

  it('buyNow of 2 units split across three warehouses sells exactly floor(21 / 2) orders', async () => {
    const { server } = cluster;
    const seller = await createUser(server, { prefix: 'seller' });
    const productId = await createProduct(server, { ownerId: seller.id, price: '5.00' });
    const stocks = [];
    for (const onHand of [5, 7, 9]) stocks.push(await setStockLevel(server, { warehouseId: await createWarehouse(server, { ownerId: seller.id }), productId, onHand }));
    const buyers = await createUsers(server, 30, { prefix: 'pair' });
    const results = await Promise.all(
      buyers.map((buyer, i) =>
        cluster.clientFor(buyer, i).request(BuyNowLiteDocument, { input: { productId: String(productId), quantity: 2, idempotencyKey: 'pair' } }),
      ),
    );
    expect(tally(results.map(codeOf))).toEqual({ ok: 10, INSUFFICIENT_STOCK: 20 });
    for (const r of results.filter((x) => !x.errors)) expect(r.data!.buyNow.totalPrice).toBe('10.00');
    expect(await totals(cluster, stocks)).toEqual({ onHand: 1, reserved: 0 });
    expect(await orderedQuantity(server, productId)).toBe(20);
  });
});

describe('when not every cart can be served (holds lapse after 1 s)', () => {
  const cluster = useCluster({ env: { RESERVATION_TTL_SECONDS: '1' }, audit: 'afterEach' });

  it('lapsed two-line carts race buyNow shoppers on both products: no oversell, no partial order, only expected codes', async () => {
    const CARTS = 8;
    const catalog = await twoProductsInterleaved(cluster, { a: [3, 5], b: [5, 3] });
    const carts = await createUsers(cluster.server, CARTS, { prefix: 'cart' });
    const dashers = await createUsers(cluster.server, CARTS * 2, { prefix: 'dasher' });
    await Promise.all(
      carts.map(async (buyer, i) => {
        const client = cluster.clientFor(buyer, i);
        for (const productId of i % 2 === 0 ? [catalog.a, catalog.b] : [catalog.b, catalog.a]) {
          const res = await client.request(AddToCartLiteDocument, { input: { productId: String(productId), quantity: 1 } });
          expect(codeOf(res)).toBe('ok');
        }
      }),
    );
    expect(await totals(cluster, catalog.stocks.a)).toEqual({ onHand: 8, reserved: 8 });
    await sleep(1500);

    // Interleaved start: two buyNow shoppers (one per product), then a lapsed cart's checkout, and so on.
    const checkoutOf = (i: number) => cluster.clientFor(carts[i], i).request(CheckoutDocument, { input: { idempotencyKey: `lapsed-${i}` } });
    const dashes: Promise<GraphQLResponse<unknown>>[] = [];
    const checkoutsPending: ReturnType<typeof checkoutOf>[] = [];
    for (let i = 0; i < CARTS; i += 1) {
      for (const j of [2 * i, 2 * i + 1]) {
        dashes.push(
          cluster
            .clientFor(dashers[j], j + 1)
            .request(BuyNowLiteDocument, { input: { productId: String(j % 2 === 0 ? catalog.a : catalog.b), quantity: 1, idempotencyKey: `dash-${j}` } }),
        );
      }
      checkoutsPending.push(checkoutOf(i));
    }
    const [checkouts, dashResults] = await Promise.all([Promise.all(checkoutsPending), Promise.all(dashes)]);
    const checkoutCodes = tally(checkouts.map(codeOf));
    const dashCodes = tally(dashResults.map(codeOf));
    expect(Object.keys(checkoutCodes).filter((c) => c !== 'ok' && c !== 'RESERVATION_EXPIRED')).toEqual([]);
    expect(Object.keys(dashCodes).filter((c) => c !== 'ok' && c !== 'INSUFFICIENT_STOCK')).toEqual([]);

    // Every order that exists is whole: one A and one B.
    for (const res of checkouts.filter((r) => !r.errors)) {
      expect(res.data!.checkout.lines.map((l) => [l.product.id, l.quantity]).sort()).toEqual(
        [
          [String(catalog.a), 1],
          [String(catalog.b), 1],
        ].sort(),
      );
    }
    const cartOrders = checkoutCodes.ok ?? 0;
    const dashA = dashResults.filter((r, i) => i % 2 === 0 && !r.errors).length;
    const dashB = dashResults.filter((r, i) => i % 2 === 1 && !r.errors).length;
    const a = await totals(cluster, catalog.stocks.a);
    const b = await totals(cluster, catalog.stocks.b);
    // Units sold plus units left add up to the stock, per product: nothing oversold, nothing lost.
    expect(cartOrders + dashA + a.onHand).toBe(8);
    expect(cartOrders + dashB + b.onHand).toBe(8);
    expect(await orderedQuantity(cluster.server, catalog.a)).toBe(cartOrders + dashA);
    expect(await orderedQuantity(cluster.server, catalog.b)).toBe(cartOrders + dashB);
    // Stock was short for someone: the race really happened.
    expect((checkoutCodes.RESERVATION_EXPIRED ?? 0) + (dashCodes.INSUFFICIENT_STOCK ?? 0)).toBeGreaterThan(0);
    process.stdout.write(`[multi-line] lapsed race: checkouts ${JSON.stringify(checkoutCodes)}, buyNow ${JSON.stringify(dashCodes)}\n`);
  });
});
