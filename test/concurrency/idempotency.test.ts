import { AddToCartLiteDocument } from '../generated/cart';
import { BuyNowLiteDocument, CheckoutLiteDocument, OrdersDocument } from '../generated/orders';
import { countRows, createStockedProduct, createUser, errorCode, expectData, readStockRow, useCluster } from '../kit';

/** Retries of one request (a flaky network, an impatient user) must create exactly one order. */
const COPIES = 20;

const cluster = useCluster({ audit: 'afterEach' });

it(`${COPIES} simultaneous checkouts with one key create one order, returned to all of them`, async () => {
  const { server } = cluster;
  const buyer = await createUser(server, { prefix: 'idem' });
  const p = await createStockedProduct(server, { onHand: 10, price: '7.35' });
  expectData(await buyer.client.request(AddToCartLiteDocument, { input: { productId: String(p.productId), quantity: 3 } }));
  const ordersBefore = await countRows(server, 'orders');

  const input = { idempotencyKey: 'checkout-once', shippingCost: '2.00' };
  const responses = await Promise.all(Array.from({ length: COPIES }, (_, i) => cluster.clientFor(buyer, i).request(CheckoutLiteDocument, { input })));
  const orders = responses.map((r) => expectData(r).checkout);
  expect(new Set(orders.map((o) => o.id)).size).toBe(1);
  expect(orders[0]).toMatchObject({ status: 'PENDING', totalPrice: '24.05' });

  expect(await countRows(server, 'orders')).toBe(ordersBefore + 1);
  expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 7, reserved: 0 });
  expect(expectData(await buyer.client.request(OrdersDocument, {})).orders.totalCount).toBe(1);

  const reused = await buyer.client.request(CheckoutLiteDocument, { input: { ...input, shippingCost: '3.00' } });
  expect(errorCode(reused)).toBe('IDEMPOTENCY_KEY_REUSED');
  expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 7, reserved: 0 });
});

it(`${COPIES} simultaneous buyNow requests with one key sell once`, async () => {
  const { server } = cluster;
  const buyer = await createUser(server, { prefix: 'idem' });
  const p = await createStockedProduct(server, { onHand: 50, price: '1.10' });
  const input = { productId: String(p.productId), quantity: 2, idempotencyKey: 'buy-once' };
  const responses = await Promise.all(Array.from({ length: COPIES }, (_, i) => cluster.clientFor(buyer, i).request(BuyNowLiteDocument, { input })));
  const orders = responses.map((r) => expectData(r).buyNow);
  expect(new Set(orders.map((o) => o.id)).size).toBe(1);
  expect(orders[0].totalPrice).toBe('2.20');
  expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 48, reserved: 0 });
  expect(expectData(await buyer.client.request(OrdersDocument, {})).orders.totalCount).toBe(1);

  const responsesOther = await Promise.all([
    buyer.client.request(BuyNowLiteDocument, { input: { ...input, quantity: 3 } }),
    buyer.client.request(CheckoutLiteDocument, { input: { idempotencyKey: input.idempotencyKey } }),
  ]);
  expect(responsesOther.map(errorCode)).toEqual(['IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEY_REUSED']);
  expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 48 });
});

it(`${COPIES} simultaneous checkouts of one cart with DIFFERENT keys sell the cart once`, async () => {
  const { server } = cluster;
  const buyer = await createUser(server, { prefix: 'idem' });
  const p = await createStockedProduct(server, { onHand: 10 });
  expectData(await buyer.client.request(AddToCartLiteDocument, { input: { productId: String(p.productId), quantity: 4 } }));
  const responses = await Promise.all(
    Array.from({ length: COPIES }, (_, i) => cluster.clientFor(buyer, i).request(CheckoutLiteDocument, { input: { idempotencyKey: `distinct-${i}` } })),
  );
  const succeeded = responses.filter((r) => !r.errors);
  expect(succeeded).toHaveLength(1);
  // Every other request found the cart already empty.
  const failures = responses.filter((r) => r.errors);
  expect(failures.map((r) => [errorCode(r), r.errors![0].extensions?.field])).toEqual(Array(COPIES - 1).fill(['BAD_USER_INPUT', 'cart']));
  expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 6, reserved: 0 });
  expect(expectData(await buyer.client.request(OrdersDocument, {})).orders.totalCount).toBe(1);
});

it('a replay after the product sold out still returns the original order; the sold-out refusal changes nothing', async () => {
  const { server } = cluster;
  const [winner, late] = [await createUser(server, { prefix: 'idem' }), await createUser(server, { prefix: 'idem' })];
  const p = await createStockedProduct(server, { onHand: 1, price: '5.00' });
  const input = { productId: String(p.productId), quantity: 1, idempotencyKey: 'last-unit' };
  const first = expectData(await winner.client.request(BuyNowLiteDocument, { input })).buyNow;
  const ordersAfterSale = await countRows(server, 'orders');

  const refused = await late.client.request(BuyNowLiteDocument, { input: { ...input, idempotencyKey: 'too-late' } });
  expect(errorCode(refused)).toBe('INSUFFICIENT_STOCK');
  expect(refused.errors?.[0].extensions).toMatchObject({ productId: String(p.productId), available: 0 });

  const replay = expectData(await winner.client.request(BuyNowLiteDocument, { input })).buyNow;
  expect(replay.id).toBe(first.id);
  expect(await countRows(server, 'orders')).toBe(ordersAfterSale);
  expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 0, reserved: 0 });
});
