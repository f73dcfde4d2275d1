import { UserRole } from '../../src/entities';
import { AddToCartDocument } from '../generated/cart';
import { ProductDocument } from '../generated/catalog';
import { BuyNowDocument, CancelOrderDocument, CheckoutDocument, UpdateOrderStatusDocument } from '../generated/orders';
import { createStockedProduct, createUser, expectAuditClean, expectData, holdStock, orderedQuantity, systemContext, type TestUser, useServer } from '../kit';

// Product.totalOrdered comes from the stock rows' `sold` counters, moved by the guarded stock write
// of each sale and cancellation: it must stay equal to the units of the orders that are not
// cancelled through every path that sells or returns units, and a lapsed hold changes nothing.
const server = useServer();
let admin: TestUser;
let buyer: TestUser;

beforeAll(async () => {
  admin = await createUser(server, { role: UserRole.ADMIN, prefix: 'admin' });
  buyer = await createUser(server, { prefix: 'buyer' });
});

let keySeq = 0;
const newKey = () => `total-${(keySeq += 1)}`;

it('follows buyNow, checkout, hold expiry, cancellation by the buyer and by an admin', async () => {
  const p = await createStockedProduct(server, { onHand: 20 });
  const totalOrdered = async () => expectData(await admin.client.request(ProductDocument, { id: String(p.productId) })).product!.totalOrdered;
  const expectTotal = async (units: number) => {
    expect(await totalOrdered()).toBe(units);
    expect(await orderedQuantity(server, p.productId)).toBe(units);
  };
  await expectTotal(0);

  const bought = expectData(await buyer.client.request(BuyNowDocument, { input: { productId: String(p.productId), quantity: 2, idempotencyKey: newKey() } })).buyNow;
  await expectTotal(2);

  expectData(await buyer.client.request(AddToCartDocument, { input: { productId: String(p.productId), quantity: 3 } }));
  await expectTotal(2); // a hold is not an order
  const checkedOut = expectData(await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: newKey() } })).checkout;
  await expectTotal(5);

  // Another shopper's hold lapses and is swept (EXPIRY): nothing was ordered, nothing changes.
  const other = await createUser(server, { prefix: 'other' });
  await holdStock(server, { userId: other.id, productId: p.productId, quantity: 4, expiresAtMs: Date.now() - 1000 });
  expect(await server.app.services.carts.releaseExpiredHolds(systemContext(server.app))).toBe(4);
  await expectTotal(5);

  expectData(await buyer.client.request(CancelOrderDocument, { id: bought.id }));
  await expectTotal(3);
  expectData(await admin.client.request(UpdateOrderStatusDocument, { input: { id: checkedOut.id, status: 'CANCELLED' } }));
  await expectTotal(0);
  await expectAuditClean(server);
});
