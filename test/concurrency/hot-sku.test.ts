import { AddToCartLiteDocument } from '../generated/cart';
import { CheckoutLiteDocument } from '../generated/orders';
import {
  countRows,
  createStockedProduct,
  createUsers,
  errorCode,
  expectAuditClean,
  orderedQuantity,
  readStockRow,
  TEST_DB,
  useCluster,
} from '../kit';
import { unitOfWorkStats } from '../../src/db/unit-of-work';

/**
 * The flash sale: one product, 100 units, 400 buyers who each add one to the cart and check out,
 * all at once, spread over two server processes on MySQL. Exactly 100 may get an order.
 */
const UNITS = 100;
const BUYERS = 400;

const cluster = useCluster();

it(`sells exactly ${UNITS} units to ${BUYERS} simultaneous buyers, never more`, async () => {
  const { server } = cluster;
  if (TEST_DB === 'mysql') expect(cluster.urls).toHaveLength(2);
  const { productId, stockId } = await createStockedProduct(server, { onHand: UNITS, price: '49.99' });
  // Buyers are written straight to the database with one shared password hash (see fixtures.ts).
  const buyers = await createUsers(server, BUYERS, { prefix: 'hot' });

  const retriesBefore = unitOfWorkStats.retries;
  const started = process.hrtime.bigint();
  const outcomes = await Promise.all(
    buyers.map(async (buyer, i) => {
      const client = cluster.clientFor(buyer, i);
      const added = await client.request(AddToCartLiteDocument, { input: { productId: String(productId), quantity: 1 } });
      if (added.errors) return { stage: 'addToCart', code: errorCode(added) ?? 'NONE' };
      const order = await client.request(CheckoutLiteDocument, { input: { idempotencyKey: `hot-${buyer.id}`, shippingCost: '0.00' } });
      if (order.errors) return { stage: 'checkout', code: errorCode(order) ?? 'NONE' };
      return { stage: 'ordered', code: order.data!.checkout.id };
    }),
  );
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(
    `[hot-sku] ${TEST_DB}: ${BUYERS} buyers x (addToCart + checkout) over ${cluster.urls.length} process(es) in ${elapsedMs.toFixed(0)} ms ` +
      `(unit-of-work retries in the in-process server: ${unitOfWorkStats.retries - retriesBefore}, ${JSON.stringify(unitOfWorkStats.retriesByReason)})\n`,
  );

  const ordered = outcomes.filter((o) => o.stage === 'ordered');
  const refused = outcomes.filter((o) => o.stage !== 'ordered');
  const tally = (list: typeof outcomes) => list.reduce<Record<string, number>>((acc, o) => ({ ...acc, [`${o.stage}:${o.code}`]: (acc[`${o.stage}:${o.code}`] ?? 0) + 1 }), {});
  expect(tally(refused)).toEqual({ 'addToCart:INSUFFICIENT_STOCK': BUYERS - UNITS });
  expect(ordered).toHaveLength(UNITS);
  expect(new Set(ordered.map((o) => o.code)).size).toBe(UNITS);

  expect(await readStockRow(server, stockId)).toEqual({ id: stockId, onHand: 0, reserved: 0 });
  expect(await countRows(server, 'orders')).toBe(UNITS);
  expect(await orderedQuantity(server, productId)).toBe(UNITS);
  expect(await countRows(server, 'stock_holds')).toBe(0);
  expect(await countRows(server, 'cart_items')).toBe(0);
  await expectAuditClean(server);
});
