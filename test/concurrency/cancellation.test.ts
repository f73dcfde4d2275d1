import { UserRole } from '../../src/entities';
import { BuyNowLiteDocument, CancelOrderDocument, UpdateOrderStatusDocument } from '../generated/orders';
import {
  codeOf,
  createStockedProduct,
  createUser,
  createUsers,
  expectAuditClean,
  expectData,
  ledgerOf,
  readStockRow,
  useCluster,
} from '../kit';

const cluster = useCluster();

it('cancellations racing each other, status changes and new buyers return each order exactly once', async () => {
  const { server } = cluster;
  const ORDERS = 20;
  const admin = await createUser(server, { role: UserRole.ADMIN, prefix: 'admin' });
  const p = await createStockedProduct(server, { onHand: ORDERS * 2 });
  const buyers = await createUsers(server, ORDERS, { prefix: 'first' });
  const orders = await Promise.all(
    buyers.map(async (b) => expectData(await b.client.request(BuyNowLiteDocument, { input: { productId: String(p.productId), quantity: 2, idempotencyKey: 'k' } })).buyNow),
  );
  expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 0, reserved: 0 });

  const latecomers = await createUsers(server, ORDERS, { prefix: 'late' });
  const perOrder = orders.map((order, i) => {
    const buyer = buyers[i];
    return Promise.all([
      cluster.clientFor(buyer, i).request(CancelOrderDocument, { id: order.id }),
      cluster.clientFor(buyer, i + 1).request(CancelOrderDocument, { id: order.id }),
      cluster.clientFor(admin, i).request(UpdateOrderStatusDocument, { input: { id: order.id, status: 'PROCESSED' } }),
    ]);
  });
  const late = latecomers.map((b, i) =>
    cluster.clientFor(b, i).request(BuyNowLiteDocument, { input: { productId: String(p.productId), quantity: 2, idempotencyKey: 'k' } }),
  );
  const outcomes = await Promise.all(perOrder);
  const lateCodes = (await Promise.all(late)).map(codeOf);

  let cancelled = 0;
  for (const [cancelA, cancelB, process] of outcomes) {
    const codes = [codeOf(cancelA), codeOf(cancelB)].sort();
    if (codes.includes('ok')) {
      // One cancellation won; the other and the status change were refused.
      expect(codes).toEqual(['INVALID_STATUS_TRANSITION', 'ok']);
      expect(codeOf(process)).toBe('INVALID_STATUS_TRANSITION');
      cancelled += 1;
    } else {
      // Processing won: the buyer may no longer cancel.
      expect(codes).toEqual(['INVALID_STATUS_TRANSITION', 'INVALID_STATUS_TRANSITION']);
      expect(codeOf(process)).toBe('ok');
    }
  }
  expect(lateCodes.filter((c) => c !== 'ok' && c !== 'INSUFFICIENT_STOCK')).toEqual([]);
  const resold = lateCodes.filter((c) => c === 'ok').length;
  expect(resold).toBeLessThanOrEqual(cancelled);
  expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 2 * (cancelled - resold), reserved: 0 });
  const ledger = await ledgerOf(server, p.stockId);
  expect(ledger.filter((m) => m.kind === 'CANCELLATION').map((m) => m.onHandDelta)).toEqual(Array(cancelled).fill(2));
  await expectAuditClean(server);
});
