import { BuyNowLiteDocument } from '../generated/orders';
import {
  countRows,
  createProduct,
  createUser,
  createUsers,
  createWarehouse,
  errorCode,
  expectAuditClean,
  orderedQuantity,
  readStockRow,
  setStockLevel,
  systemContext,
  TEST_DB,
  type TestCluster,
  useCluster,
} from '../kit';
import { BuyNowBatcher, buyNowBatchStats, type BuyNowRequest } from '../../src/services/buy-now-batcher';
import { requestHash } from '../../src/services/order-rules';
import { UnitOfWork } from '../../src/db/unit-of-work';

/**
 * buyNow group commit (src/services/buy-now-batcher.ts): concurrent requests for one product share a
 * transaction per process. Each must still get exactly the answer it would get alone, and the
 * books must close as if the orders had been placed one by one.
 */
const cluster = useCluster({ audit: 'afterEach' });

const rows = (sql: string, params: unknown[], c = cluster) => c.server.em().execute<Record<string, unknown>[]>(sql, params);

async function productInTwoWarehouses(levels: [number, number], price: string, c = cluster) {
  const seller = await createUser(c.server, { prefix: 'seller' });
  const productId = await createProduct(c.server, { ownerId: seller.id, price });
  const stockIds: number[] = [];
  for (const onHand of levels) {
    stockIds.push(await setStockLevel(c.server, { warehouseId: await createWarehouse(c.server, { ownerId: seller.id }), productId, onHand }));
  }
  return { productId, stockIds };
}

it('a burst of buyNow of 1 and 2 units over two warehouses: each answer is exact, the ledger is per order, never a refusal while stock is there', async () => {
  await burstOfBuyNow(cluster);
});

/** 80 buyers, 1 or 2 units each, at 33 units over two warehouses, spread over the cluster's processes. */
async function burstOfBuyNow(cluster: TestCluster): Promise<void> {
  const { server } = cluster;
  if (TEST_DB === 'mysql') expect(cluster.urls).toHaveLength(2);
  const UNITS = 33;
  const { productId, stockIds } = await productInTwoWarehouses([17, 16], '3.50', cluster);
  const buyers = await createUsers(server, 80, { prefix: 'burst' });
  const quantityOf = (i: number) => 1 + (i % 2);
  const before = { ...buyNowBatchStats };

  const results = await Promise.all(
    buyers.map((buyer, i) =>
      cluster.clientFor(buyer, i).request(BuyNowLiteDocument, { input: { productId: String(productId), quantity: quantityOf(i), idempotencyKey: `burst-${i}` } }),
    ),
  );

  // Batching really happened in this process: more requests than transactions. (SQLite has one
  // connection: a request cannot even authenticate while a batch runs, so there none can join it.)
  if (TEST_DB === 'mysql') expect(buyNowBatchStats.requests - before.requests).toBeGreaterThan(buyNowBatchStats.batches - before.batches);

  const sold = results.map((r, i) => (r.errors ? 0 : quantityOf(i))).reduce((a, b) => a + b, 0);
  const refused = results.map((r, i) => ({ code: errorCode(r), quantity: quantityOf(i), r })).filter((x) => x.code);
  expect(new Set(refused.map((x) => x.code))).toEqual(new Set(['INSUFFICIENT_STOCK']));
  for (const x of refused) expect(x.r.errors![0].extensions).toMatchObject({ productId: String(productId) });
  const stocks = await Promise.all(stockIds.map((id) => readStockRow(server, id)));
  const remaining = stocks.reduce((sum, s) => sum + s.onHand, 0);
  expect(stocks.every((s) => s.reserved === 0 && s.onHand >= 0)).toBe(true);
  expect(sold + remaining).toBe(UNITS);
  // A refusal of 2 units means fewer than 2 were left then (stock only goes down here); of 1 unit, none.
  expect(remaining).toBeLessThan(2);
  if (refused.some((x) => x.quantity === 1)) expect(remaining).toBe(0);

  const ok = results.map((r, i) => ({ r, i })).filter((x) => !x.r.errors);
  for (const { r, i } of ok) expect(r.data!.buyNow.totalPrice).toBe(quantityOf(i) === 1 ? '3.50' : '7.00');
  expect(new Set(ok.map(({ r }) => r.data!.buyNow.id)).size).toBe(ok.length);
  expect(await countRows(server, 'orders')).toBeGreaterThanOrEqual(ok.length);
  expect(await orderedQuantity(server, productId)).toBe(sold);

  // Every order: its lines and its SALE ledger rows both add up to what it asked for.
  const perOrder = await rows(
    'SELECT o.id, (SELECT SUM(l.quantity) FROM order_lines l WHERE l.order_id = o.id) AS line_units, ' +
      "(SELECT -SUM(m.on_hand_delta) FROM stock_movements m WHERE m.order_id = o.id AND m.kind = 'SALE') AS ledger_units " +
      `FROM orders o WHERE o.id IN (${ok.map(() => '?').join(',')})`,
    ok.map(({ r }) => Number(r.data!.buyNow.id)),
    cluster,
  );
  const asked = new Map(ok.map(({ r, i }) => [Number(r.data!.buyNow.id), quantityOf(i)]));
  expect(perOrder).toHaveLength(ok.length);
  for (const o of perOrder) {
    expect(Number(o.line_units)).toBe(asked.get(Number(o.id)));
    expect(Number(o.ledger_units)).toBe(asked.get(Number(o.id)));
  }
}

it('one key sent 12 times at once with two different inputs: one order; its input gets it back, the other IDEMPOTENCY_KEY_REUSED', async () => {
  const { server } = cluster;
  const { productId, stockIds } = await productInTwoWarehouses([5, 5], '2.00');
  const buyer = await createUser(server, { prefix: 'twin' });
  const quantityOf = (i: number) => (i % 3 === 0 ? 2 : 1);
  // All to one process, so that the twins arrive while a batch for the product is running.
  const client = cluster.clientFor(buyer, 0);
  const results = await Promise.all(
    Array.from({ length: 12 }, (_, i) => client.request(BuyNowLiteDocument, { input: { productId: String(productId), quantity: quantityOf(i), idempotencyKey: 'twin-key' } })),
  );

  const orders = await rows('SELECT id, total_price FROM orders WHERE user_id = ? AND idempotency_key = ?', [buyer.id, 'twin-key']);
  expect(orders).toHaveLength(1);
  const orderId = String(orders[0].id);
  const winner = (await orderedQuantity(server, productId)) as 1 | 2;
  expect([1, 2]).toContain(winner);
  results.forEach((r, i) => {
    if (quantityOf(i) === winner) expect(r.data?.buyNow.id).toBe(orderId);
    else expect(errorCode(r)).toBe('IDEMPOTENCY_KEY_REUSED');
  });
  const stocks = await Promise.all(stockIds.map((id) => readStockRow(server, id)));
  expect(stocks.reduce((sum, s) => sum + s.onHand, 0)).toBe(10 - winner);
});

it('one batch of six (submitted together, on both databases): replay, reused key, short request, split over warehouses, plain sales', async () => {
  const { server } = cluster;
  const { productId, stockIds } = await productInTwoWarehouses([3, 4], '1.25');
  const buyers = await createUsers(server, 5, { prefix: 'six' });
  const request = (i: number, quantity: number, key = `six-${i}`): BuyNowRequest => ({
    userId: buyers[i].id,
    productId,
    quantity,
    idempotencyKey: key,
    requestHash: requestHash({ op: 'buyNow', productId, quantity }),
  });
  // An earlier order of buyer 0 (through the API): its key comes back as a replay, or as reused.
  const earlier = await cluster.clientFor(buyers[0], 0).request(BuyNowLiteDocument, { input: { productId: String(productId), quantity: 1, idempotencyKey: 'six-0' } });
  const earlierId = Number(earlier.data!.buyNow.id);

  const ctx = systemContext(server.app);
  const batcher = new BuyNowBatcher(
    server.app.orm,
    new UnitOfWork(server.app.config.retry),
    server.app.config.checkoutLocking,
    server.app.config.buyNowQueue,
    server.app.services.rateLimits,
  );
  const before = { ...buyNowBatchStats };
  const settled = await Promise.allSettled([
    batcher.submit(ctx, request(0, 1)), // replay of the earlier order
    batcher.submit(ctx, request(0, 2)), // same key, other input: waits for the next batch, then reused
    batcher.submit(ctx, request(1, 2)), // 2 of the 2 left in the first warehouse
    batcher.submit(ctx, request(2, 3)), // 3 of the 4 in the second
    batcher.submit(ctx, request(3, 2)), // only 1 left: refused
    batcher.submit(ctx, request(4, 1)), // the last unit
  ]);
  expect(buyNowBatchStats.batches - before.batches).toBe(2);
  expect(buyNowBatchStats.largest).toBeGreaterThanOrEqual(5);

  const [replay, reused, first, second, short, last] = settled;
  expect(replay).toEqual({ status: 'fulfilled', value: { kind: 'replay', orderId: earlierId } });
  expect(reused.status === 'rejected' && (reused.reason as { code?: string }).code).toBe('IDEMPOTENCY_KEY_REUSED');
  expect(short.status === 'rejected' && (short.reason as { code?: string; extensions?: unknown })).toMatchObject({ code: 'INSUFFICIENT_STOCK', extensions: { available: 1 } });
  const created = [first, second, last].map((s) => (s.status === 'fulfilled' && s.value.kind === 'created' ? s.value : null));
  expect(created.map((c) => c?.totalPrice)).toEqual(['2.50', '3.75', '1.25']);

  const stocks = await Promise.all(stockIds.map((id) => readStockRow(server, id)));
  expect(stocks.map((s) => s.onHand)).toEqual([0, 0]);
  const lines = await rows(
    `SELECT order_id, stock_id, quantity FROM order_lines WHERE order_id IN (?, ?, ?) ORDER BY order_id, stock_id`,
    created.map((c) => c!.orderId),
  );
  expect(lines.map((l) => [Number(l.order_id), Number(l.stock_id), Number(l.quantity)])).toEqual([
    [created[0]!.orderId, stockIds[0], 2],
    [created[1]!.orderId, stockIds[1], 3],
    [created[2]!.orderId, stockIds[1], 1],
  ]);
});

it('after a sell-out, refusals come from the shared sold-out read; a restock sells again at once', async () => {
  const { server } = cluster;
  const { productId, stockIds } = await productInTwoWarehouses([1, 0], '4.00');
  const buyers = await createUsers(server, 4, { prefix: 'restock' });
  // All to the in-process server: its sold-out hint is what is under test.
  const buy = (i: number, key: string) =>
    cluster.clientFor(buyers[i], 0).request(BuyNowLiteDocument, { input: { productId: String(productId), quantity: 1, idempotencyKey: key } });
  expect((await buy(0, 'first')).errors).toBeUndefined();
  expect(errorCode(await buy(1, 'late'))).toBe('INSUFFICIENT_STOCK'); // from the batch: the product is now marked short

  const probesBefore = buyNowBatchStats.probes;
  const refused = await buy(2, 'later');
  expect(errorCode(refused)).toBe('INSUFFICIENT_STOCK');
  expect(refused.errors![0].extensions).toMatchObject({ productId: String(productId), available: 0 });
  expect(buyNowBatchStats.probes).toBe(probesBefore + 1);

  await setStockLevel(server, { warehouseId: (await rows('SELECT warehouse_id FROM stocks WHERE id = ?', [stockIds[1]]))[0].warehouse_id as number, productId, onHand: 2 });
  const restocked = await buy(3, 'after-restock');
  expect(restocked.errors).toBeUndefined();
  expect(restocked.data!.buyNow.totalPrice).toBe('4.00');
  // The replay of the first order still comes back, whatever the hint says.
  expect((await buy(0, 'first')).data?.buyNow.totalPrice).toBe('4.00');
  expect(await orderedQuantity(server, productId)).toBe(2);
});

describe('CHECKOUT_LOCKING=pessimistic (row locks first, the benchmark\'s GraphQL-P)', () => {
  const locking = useCluster({ env: { CHECKOUT_LOCKING: 'pessimistic' } });

  it('the same burst closes the same books', async () => {
    expect(locking.server.app.config.checkoutLocking).toBe('pessimistic');
    await burstOfBuyNow(locking);
    await expectAuditClean(locking.server);
  });
});

it('keys that differ only in case (two keys on both databases) never break a batch: everyone else in it is served', async () => {
  const { server } = cluster;
  const { productId } = await productInTwoWarehouses([20, 0], '1.00');
  const [shopper, ...others] = await createUsers(server, 9, { prefix: 'case' });
  const input = (key: string) => ({ input: { productId: String(productId), quantity: 1, idempotencyKey: key } });
  // All to one process, so that they share batches.
  const results = await Promise.all([
    cluster.clientFor(shopper, 0).request(BuyNowLiteDocument, input('Case-Key')),
    cluster.clientFor(shopper, 0).request(BuyNowLiteDocument, input('case-key')),
    ...others.map((o, i) => cluster.clientFor(o, 0).request(BuyNowLiteDocument, input(`other-${i}`))),
  ]);
  for (const r of results) expect(r.errors).toBeUndefined();
  const [upper, lower] = results;
  const orders = await rows('SELECT id FROM orders WHERE user_id = ?', [shopper.id]);
  // Two keys (a binary collation on MySQL): two orders, none a replay of the other.
  expect(orders).toHaveLength(2);
  expect(lower.data!.buyNow.id).not.toBe(upper.data!.buyNow.id);
  expect(await orderedQuantity(server, productId)).toBe(8 + orders.length);
});
