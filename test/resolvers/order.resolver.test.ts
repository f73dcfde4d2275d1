import { UserRole } from '../../src/entities';
import { AddToCartDocument, CartDocument } from '../generated/cart';
import { BuyNowDocument, CancelOrderDocument, CheckoutDocument, OrderDocument, OrdersDocument, UpdateOrderStatusDocument } from '../generated/orders';
import {
  archiveProduct,
  countRows,
  createStockedProduct,
  createUser,
  createWarehouse,
  errorCode,
  expectData,
  ledgerOf,
  readStockRow,
  setProductPrice,
  setStockLevel,
  type TestUser,
  useServer,
} from '../kit';

const server = useServer();
let admin: TestUser;

beforeAll(async () => {
  admin = await createUser(server, { role: UserRole.ADMIN, prefix: 'admin' });
});

const shopper = () => createUser(server, { prefix: 'buyer' });
let keySeq = 0;
const newKey = () => `key-${Date.now()}-${(keySeq += 1)}`;

async function add(buyer: TestUser, productId: number, quantity: number) {
  return expectData(await buyer.client.request(AddToCartDocument, { input: { productId: String(productId), quantity } })).addToCart;
}

async function buy(buyer: TestUser, productId: number, quantity: number) {
  return expectData(await buyer.client.request(BuyNowDocument, { input: { productId: String(productId), quantity, idempotencyKey: newKey() } })).buyNow;
}

describe('checkout', () => {
  it('turns the cart into an order: holds become sales, exact totals, cart emptied', async () => {
    const buyer = await shopper();
    const a = await createStockedProduct(server, { onHand: 10, price: '19.99' });
    const b = await createStockedProduct(server, { onHand: 10, price: '0.10' });
    await add(buyer, a.productId, 3);
    await add(buyer, b.productId, 7);

    const order = expectData(await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: newKey(), shippingCost: '4.95' } })).checkout;
    expect(order).toMatchObject({ status: 'PENDING', shippingCost: '4.95', totalPrice: '65.62' }); // 59.97 + 0.70 + 4.95
    expect(order.lines.map((l) => [l.product.id, l.quantity, l.unitPrice, l.subtotal, l.warehouse.id])).toEqual([
      [String(a.productId), 3, '19.99', '59.97', String(a.warehouseId)],
      [String(b.productId), 7, '0.10', '0.70', String(b.warehouseId)],
    ]);

    expect(await readStockRow(server, a.stockId)).toMatchObject({ onHand: 7, reserved: 0 });
    expect(await readStockRow(server, b.stockId)).toMatchObject({ onHand: 3, reserved: 0 });
    expect((await ledgerOf(server, a.stockId)).at(-1)).toEqual({ kind: 'SALE', onHandDelta: -3, reservedDelta: -3, orderId: Number(order.id) });
    expect(expectData(await buyer.client.request(CartDocument)).cart).toMatchObject({ items: [], total: '0.00', expiresAt: null });
  });

  it('charges the price current at checkout and defaults shipping to 0.00', async () => {
    const buyer = await shopper();
    const p = await createStockedProduct(server, { onHand: 5, price: '10.00' });
    await add(buyer, p.productId, 2);
    await setProductPrice(server, p.productId, '8.25');
    const order = expectData(await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: newKey() } })).checkout;
    expect(order).toMatchObject({ totalPrice: '16.50', shippingCost: '0.00' });
    expect(order.lines[0]).toMatchObject({ unitPrice: '8.25', subtotal: '16.50' });
  });

  it('writes one line per warehouse a split hold came from', async () => {
    const buyer = await shopper();
    const p = await createStockedProduct(server, { onHand: 2, price: '3.00' });
    const w2 = await createWarehouse(server, { ownerId: p.ownerId });
    const s2 = await setStockLevel(server, { warehouseId: w2, productId: p.productId, onHand: 4 });
    await add(buyer, p.productId, 5);
    const order = expectData(await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: newKey(), shippingCost: '0' } })).checkout;
    expect(order.lines.map((l) => [l.warehouse.id, l.quantity, l.subtotal])).toEqual([
      [String(p.warehouseId), 2, '6.00'],
      [String(w2), 3, '9.00'],
    ]);
    expect(order.totalPrice).toBe('15.00');
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 0, reserved: 0 });
    expect(await readStockRow(server, s2)).toMatchObject({ onHand: 1, reserved: 0 });
  });

  it('is idempotent: the same key and input return the same order; other input is IDEMPOTENCY_KEY_REUSED', async () => {
    const buyer = await shopper();
    const p = await createStockedProduct(server, { onHand: 10 });
    await add(buyer, p.productId, 2);
    const key = newKey();
    const first = expectData(await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: key, shippingCost: '1.00' } })).checkout;
    // The cart is empty now, yet the replay returns the order instead of complaining.
    const again = expectData(await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: key, shippingCost: '1.00' } })).checkout;
    expect(again).toEqual(first);
    // "1" and "1.00" are the same amount, hence the same request.
    expect(expectData(await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: key, shippingCost: '1' } })).checkout.id).toBe(first.id);
    expect(errorCode(await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: key, shippingCost: '2.00' } }))).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(errorCode(await buyer.client.request(BuyNowDocument, { input: { idempotencyKey: key, productId: String(p.productId), quantity: 1 } }))).toBe(
      'IDEMPOTENCY_KEY_REUSED',
    );
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 8, reserved: 0 });
    // Keys belong to a user: another buyer may use the same one.
    const other = await shopper();
    await add(other, p.productId, 1);
    const theirs = expectData(await other.client.request(CheckoutDocument, { input: { idempotencyKey: key, shippingCost: '1.00' } })).checkout;
    expect(theirs.id).not.toBe(first.id);
  });

  it('compares idempotency keys case-sensitively on every database: "Ab" and "ab" are two orders (checkout and buyNow)', async () => {
    const buyer = await shopper();
    const p = await createStockedProduct(server, { onHand: 10 });
    const base = newKey();
    await add(buyer, p.productId, 1);
    const upper = expectData(await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: `Ab-${base}`, shippingCost: '1.00' } })).checkout;
    await add(buyer, p.productId, 1);
    // Another cart under the other spelling: a new order, not a replay (nor IDEMPOTENCY_KEY_REUSED).
    const lower = expectData(await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: `ab-${base}`, shippingCost: '1.00' } })).checkout;
    expect(lower.id).not.toBe(upper.id);
    const buy = (key: string) => buyer.client.request(BuyNowDocument, { input: { idempotencyKey: key, productId: String(p.productId), quantity: 1 } });
    const bought = [expectData(await buy(`Cd-${base}`)).buyNow.id, expectData(await buy(`cD-${base}`)).buyNow.id, expectData(await buy(`Cd-${base}`)).buyNow.id];
    expect(bought[1]).not.toBe(bought[0]);
    expect(bought[2]).toBe(bought[0]);
    const stored = await server.em().execute<{ k: string }[]>('SELECT idempotency_key AS k FROM orders WHERE user_id = ? ORDER BY id', [buyer.id]);
    expect(stored.map((r) => r.k)).toEqual([`Ab-${base}`, `ab-${base}`, `Cd-${base}`, `cD-${base}`]);
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 6, reserved: 0 });
  });

  it('refuses an empty cart with BAD_USER_INPUT on "cart" and creates nothing', async () => {
    const buyer = await shopper();
    const orders = await countRows(server, 'orders');
    const res = await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: newKey() } });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions?.field).toBe('cart');
    expect(await countRows(server, 'orders')).toBe(orders);
  });

  it.each([
    [{ idempotencyKey: '', shippingCost: '1.00' }, 'idempotencyKey'],
    [{ idempotencyKey: 'has space', shippingCost: '1.00' }, 'idempotencyKey'],
    [{ idempotencyKey: 'k'.repeat(101), shippingCost: '1.00' }, 'idempotencyKey'],
  ])('refuses bad input %j with BAD_USER_INPUT on %s', async (input, field) => {
    const buyer = await shopper();
    const res = await buyer.client.request(CheckoutDocument, { input });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions?.field).toBe(field);
  });

  it('refuses a negative, float or over-precise shipping cost with BAD_USER_INPUT', async () => {
    const buyer = await shopper();
    for (const shippingCost of ['-1.00', '1.001', 'abc']) {
      expect(errorCode(await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: newKey(), shippingCost } }))).toBe('BAD_USER_INPUT');
    }
    // A JSON number is refused too: money travels as a string.
    const raw = await buyer.client.raw({
      query: 'mutation ($input: CheckoutInput!) { checkout(input: $input) { id } }',
      variables: { input: { idempotencyKey: newKey(), shippingCost: 1.5 } },
    });
    expect(errorCode(raw)).toBe('BAD_USER_INPUT');
  });

  it('refuses a cart holding a product that was archived since, and keeps the cart and holds', async () => {
    const buyer = await shopper();
    const p = await createStockedProduct(server, { onHand: 3 });
    await add(buyer, p.productId, 1);
    await archiveProduct(server, p.productId);
    const res = await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: newKey() } });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions?.field).toBe('cart');
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 3, reserved: 1 });
    expect(expectData(await buyer.client.request(CartDocument)).cart.items).toHaveLength(1);
  });

  it("answers `cart` with the buyer's cart as it is after the order (emptied), and null for anyone else (an admin too)", async () => {
    const buyer = await shopper();
    const p = await createStockedProduct(server, { onHand: 5, price: '3.00' });
    const cart = await add(buyer, p.productId, 2);
    const query = 'mutation ($input: CheckoutInput!) { checkout(input: $input) { id cart { id total items { id } } } }';
    const { checkout } = expectData(await buyer.client.raw({ query, variables: { input: { idempotencyKey: newKey() } } }));
    expect(checkout.cart).toEqual({ id: cart.id, total: '0.00', items: [] });
    const byAdmin = expectData(await admin.client.raw({ query: `{ order(id: "${checkout.id}") { id cart { id } } }` }));
    expect(byAdmin.order).toEqual({ id: checkout.id, cart: null });
  });

  it('refuses anonymous callers', async () => {
    expect(errorCode(await server.client.request(CheckoutDocument, { input: { idempotencyKey: newKey() } }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await server.client.request(BuyNowDocument, { input: { idempotencyKey: newKey(), productId: '1', quantity: 1 } }))).toBe(
      'UNAUTHENTICATED',
    );
  });
});

describe('buyNow', () => {
  it('sells directly without touching the cart', async () => {
    const buyer = await shopper();
    const p = await createStockedProduct(server, { onHand: 5, price: '1234567.89' });
    const other = await createStockedProduct(server, { onHand: 5 });
    await add(buyer, other.productId, 1);
    const order = await buy(buyer, p.productId, 3);
    expect(order).toMatchObject({ status: 'PENDING', totalPrice: '3703703.67', shippingCost: '0.00' });
    expect(order.lines).toHaveLength(1);
    expect(order.lines[0]).toMatchObject({ quantity: 3, unitPrice: '1234567.89', subtotal: '3703703.67', product: { id: String(p.productId) } });
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 2, reserved: 0 });
    expect((await ledgerOf(server, p.stockId)).at(-1)).toEqual({ kind: 'SALE', onHandDelta: -3, reservedDelta: 0, orderId: Number(order.id) });
    const cart = expectData(await buyer.client.request(CartDocument)).cart;
    expect(cart.items.map((i) => [i.product.id, i.quantity])).toEqual([[String(other.productId), 1]]);
  });

  it('refuses more than is sellable (held units are not sellable) with INSUFFICIENT_STOCK and writes nothing', async () => {
    const buyer = await shopper();
    const holder = await shopper();
    const p = await createStockedProduct(server, { onHand: 5 });
    await add(holder, p.productId, 3);
    const orders = await countRows(server, 'orders');
    const key = newKey();
    const res = await buyer.client.request(BuyNowDocument, { input: { productId: String(p.productId), quantity: 3, idempotencyKey: key } });
    expect(errorCode(res)).toBe('INSUFFICIENT_STOCK');
    expect(res.errors![0].extensions).toMatchObject({ productId: String(p.productId), available: 2 });
    expect(await countRows(server, 'orders')).toBe(orders);
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 5, reserved: 3 });
    // A failed request stores nothing under its key: the same key works once stock allows.
    const ok = expectData(await buyer.client.request(BuyNowDocument, { input: { productId: String(p.productId), quantity: 2, idempotencyKey: key } }));
    expect(ok.buyNow.totalPrice).toBe('20.00');
  });

  it('refuses unknown or archived products and bad quantities', async () => {
    const buyer = await shopper();
    const p = await createStockedProduct(server, { onHand: 5 });
    await archiveProduct(server, p.productId);
    expect(errorCode(await buyer.client.request(BuyNowDocument, { input: { productId: String(p.productId), quantity: 1, idempotencyKey: newKey() } }))).toBe(
      'NOT_FOUND',
    );
    expect(errorCode(await buyer.client.request(BuyNowDocument, { input: { productId: '999999', quantity: 1, idempotencyKey: newKey() } }))).toBe('NOT_FOUND');
    for (const quantity of [0, -1, 10_001]) {
      const res = await buyer.client.request(BuyNowDocument, { input: { productId: '1', quantity, idempotencyKey: newKey() } });
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors![0].extensions?.field).toBe('quantity');
    }
  });
});

describe('orders and order', () => {
  it('lists only your own orders, paginated and filtered by status; admins see all', async () => {
    const buyer = await shopper();
    const other = await shopper();
    const p = await createStockedProduct(server, { onHand: 100 });
    const mine = [];
    for (let i = 0; i < 5; i += 1) mine.push(await buy(buyer, p.productId, 1));
    const theirs = await buy(other, p.productId, 1);
    expectData(await buyer.client.request(CancelOrderDocument, { id: mine[1].id }));

    // Oldest first when asked (CREATED_AT_ASC), paged forward with full PageInfo.
    const asc = { sort: 'CREATED_AT_ASC' } as const;
    const page1 = expectData(await buyer.client.request(OrdersDocument, { first: 2, ...asc })).orders;
    expect(page1.totalCount).toBe(5);
    expect(page1.edges.map((e) => e.node.id)).toEqual([mine[0].id, mine[1].id]);
    expect(page1.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: page1.edges[0].cursor, endCursor: page1.edges[1].cursor });
    const page2 = expectData(await buyer.client.request(OrdersDocument, { first: 2, after: page1.pageInfo.endCursor, ...asc })).orders;
    expect(page2.edges.map((e) => e.node.id)).toEqual([mine[2].id, mine[3].id]);
    expect(page2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true, startCursor: page2.edges[0].cursor });
    const page3 = expectData(await buyer.client.request(OrdersDocument, { first: 2, after: page2.pageInfo.endCursor, ...asc })).orders;
    expect(page3.edges.map((e) => e.node.id)).toEqual([mine[4].id]);
    expect(page3.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

    // Newest first by default (CREATED_AT_DESC), keyset-paged backwards through creation order.
    const newest: string[] = [];
    let after: string | null | undefined = null;
    for (let guard = 0; guard < 5; guard += 1) {
      const page: typeof page1 = expectData(await buyer.client.request(OrdersDocument, { first: 2, after })).orders;
      newest.push(...page.edges.map((e) => e.node.id));
      after = page.pageInfo.endCursor;
      if (!page.pageInfo.hasNextPage) break;
    }
    expect(newest).toEqual(mine.map((o) => o.id).reverse());
    // A cursor carries its sort: one read newest-first is refused for the oldest-first list.
    const descCursor = expectData(await buyer.client.request(OrdersDocument, { first: 1 })).orders.pageInfo.endCursor;
    const mixed = await buyer.client.request(OrdersDocument, { first: 1, after: descCursor, ...asc });
    expect(mixed.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    expect(page1.edges[0].node.lines[0]).toMatchObject({ quantity: 1, product: { id: String(p.productId) }, warehouse: { id: String(p.warehouseId) } });

    const cancelled = expectData(await buyer.client.request(OrdersDocument, { status: 'CANCELLED' })).orders;
    expect(cancelled.edges.map((e) => e.node.id)).toEqual([mine[1].id]);

    const all = expectData(await admin.client.request(OrdersDocument, { first: 100 })).orders;
    const ids = all.edges.map((e) => e.node.id);
    expect(ids).toEqual(expect.arrayContaining([...mine.map((o) => o.id), theirs.id]));

    expect(errorCode(await buyer.client.request(OrdersDocument, { first: 101 }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await buyer.client.request(OrdersDocument, { after: 'garbage' }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await server.client.request(OrdersDocument, {}))).toBe('UNAUTHENTICATED');
  });

  it("shows your own order, any order to an admin, and null with no error for someone else's or an unknown one", async () => {
    const buyer = await shopper();
    const other = await shopper();
    const p = await createStockedProduct(server, { onHand: 10, price: '2.00' });
    const order = await buy(buyer, p.productId, 2);
    expect(expectData(await buyer.client.request(OrderDocument, { id: order.id })).order).toEqual(order);
    expect(expectData(await admin.client.request(OrderDocument, { id: order.id })).order?.id).toBe(order.id);
    expect(await other.client.request(OrderDocument, { id: order.id })).toEqual({ status: 200, data: { order: null } });
    expect(await buyer.client.request(OrderDocument, { id: '999999' })).toEqual({ status: 200, data: { order: null } });
    expect(errorCode(await server.client.request(OrderDocument, { id: order.id }))).toBe('UNAUTHENTICATED');
  });
});

describe('cancelOrder', () => {
  it('lets the buyer cancel a PENDING order and returns exactly the ordered quantity to each stock row', async () => {
    const buyer = await shopper();
    const p = await createStockedProduct(server, { onHand: 2 });
    const w2 = await createWarehouse(server, { ownerId: p.ownerId });
    const s2 = await setStockLevel(server, { warehouseId: w2, productId: p.productId, onHand: 5 });
    const order = await buy(buyer, p.productId, 4);
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 0 });
    expect(await readStockRow(server, s2)).toMatchObject({ onHand: 3 });

    const cancelled = expectData(await buyer.client.request(CancelOrderDocument, { id: order.id })).cancelOrder;
    expect(cancelled).toMatchObject({ id: order.id, status: 'CANCELLED' });
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 2, reserved: 0 });
    expect(await readStockRow(server, s2)).toMatchObject({ onHand: 5, reserved: 0 });
    expect((await ledgerOf(server, p.stockId)).at(-1)).toEqual({ kind: 'CANCELLATION', onHandDelta: 2, reservedDelta: 0, orderId: Number(order.id) });
    expect((await ledgerOf(server, s2)).at(-1)).toEqual({ kind: 'CANCELLATION', onHandDelta: 2, reservedDelta: 0, orderId: Number(order.id) });

    // Twice is refused, and the stock comes back only once.
    const again = await buyer.client.request(CancelOrderDocument, { id: order.id });
    expect(errorCode(again)).toBe('INVALID_STATUS_TRANSITION');
    expect(again.errors![0].extensions).toMatchObject({ from: 'CANCELLED', to: 'CANCELLED' });
    expect(await readStockRow(server, s2)).toMatchObject({ onHand: 5 });
  });

  it('returns the stock once even when cancellations race', async () => {
    const buyer = await shopper();
    const p = await createStockedProduct(server, { onHand: 10 });
    const order = await buy(buyer, p.productId, 4);
    const results = await Promise.all(Array.from({ length: 6 }, () => buyer.client.request(CancelOrderDocument, { id: order.id })));
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expect(results.filter((r) => errorCode(r) === 'INVALID_STATUS_TRANSITION').length).toBe(5);
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 10, reserved: 0 });
  });

  it('refuses the buyer once the order is PROCESSED, lets an admin cancel it, and hides it from others', async () => {
    const buyer = await shopper();
    const other = await shopper();
    const p = await createStockedProduct(server, { onHand: 10 });
    const order = await buy(buyer, p.productId, 3);
    expect(errorCode(await other.client.request(CancelOrderDocument, { id: order.id }))).toBe('NOT_FOUND');
    expect(errorCode(await server.client.request(CancelOrderDocument, { id: order.id }))).toBe('UNAUTHENTICATED');
    expectData(await admin.client.request(UpdateOrderStatusDocument, { input: { id: order.id, status: 'PROCESSED' } }));
    expect(errorCode(await buyer.client.request(CancelOrderDocument, { id: order.id }))).toBe('INVALID_STATUS_TRANSITION');
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 7 });
    expect(expectData(await admin.client.request(CancelOrderDocument, { id: order.id })).cancelOrder.status).toBe('CANCELLED');
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 10 });
  });
});

describe('updateOrderStatus', () => {
  it('walks PENDING → PROCESSED → SHIPPED → DELIVERED and refuses everything else', async () => {
    const buyer = await shopper();
    const p = await createStockedProduct(server, { onHand: 10 });
    const order = await buy(buyer, p.productId, 1);
    const move = (status: 'PENDING' | 'PROCESSED' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED') =>
      admin.client.request(UpdateOrderStatusDocument, { input: { id: order.id, status } });

    expect(errorCode(await move('SHIPPED'))).toBe('INVALID_STATUS_TRANSITION');
    expect(errorCode(await move('PENDING'))).toBe('INVALID_STATUS_TRANSITION');
    expect(expectData(await move('PROCESSED')).updateOrderStatus.status).toBe('PROCESSED');
    expect(errorCode(await move('PROCESSED'))).toBe('INVALID_STATUS_TRANSITION');
    expect(errorCode(await move('DELIVERED'))).toBe('INVALID_STATUS_TRANSITION');
    expect(expectData(await move('SHIPPED')).updateOrderStatus.status).toBe('SHIPPED');
    const refused = await move('CANCELLED');
    expect(errorCode(refused)).toBe('INVALID_STATUS_TRANSITION');
    expect(refused.errors![0].extensions).toMatchObject({ from: 'SHIPPED', to: 'CANCELLED' });
    expect(errorCode(await admin.client.request(CancelOrderDocument, { id: order.id }))).toBe('INVALID_STATUS_TRANSITION');
    const delivered = expectData(await move('DELIVERED')).updateOrderStatus;
    expect(delivered.status).toBe('DELIVERED');
    expect(Date.parse(delivered.updatedAt)).toBeGreaterThanOrEqual(Date.parse(order.updatedAt));
    expect(errorCode(await move('PENDING'))).toBe('INVALID_STATUS_TRANSITION');
    expect(errorCode(await move('CANCELLED'))).toBe('INVALID_STATUS_TRANSITION');
    // Never cancelled: the sold unit stays sold.
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 9 });
  });

  it('cancels through the same path as cancelOrder, returning the stock', async () => {
    const buyer = await shopper();
    const p = await createStockedProduct(server, { onHand: 10 });
    const order = await buy(buyer, p.productId, 4);
    expectData(await admin.client.request(UpdateOrderStatusDocument, { input: { id: order.id, status: 'PROCESSED' } }));
    const cancelled = expectData(await admin.client.request(UpdateOrderStatusDocument, { input: { id: order.id, status: 'CANCELLED' } }));
    expect(cancelled.updateOrderStatus.status).toBe('CANCELLED');
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 10, reserved: 0 });
    expect((await ledgerOf(server, p.stockId)).at(-1)).toMatchObject({ kind: 'CANCELLATION', onHandDelta: 4 });
  });

  it('is for admins only (FORBIDDEN), and NOT_FOUND for unknown orders', async () => {
    const buyer = await shopper();
    const p = await createStockedProduct(server, { onHand: 10 });
    const order = await buy(buyer, p.productId, 1);
    expect(errorCode(await buyer.client.request(UpdateOrderStatusDocument, { input: { id: order.id, status: 'PROCESSED' } }))).toBe('FORBIDDEN');
    expect(errorCode(await server.client.request(UpdateOrderStatusDocument, { input: { id: order.id, status: 'PROCESSED' } }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await admin.client.request(UpdateOrderStatusDocument, { input: { id: '999999', status: 'PROCESSED' } }))).toBe('NOT_FOUND');
    expect(errorCode(await admin.client.request(UpdateOrderStatusDocument, { input: { id: '999999', status: 'CANCELLED' } }))).toBe('NOT_FOUND');
    expect(expectData(await buyer.client.request(OrderDocument, { id: order.id })).order?.status).toBe('PENDING');
  });
});
