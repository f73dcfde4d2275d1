import { AddToCartDocument, CartDocument, ClearCartDocument, RemoveFromCartDocument, UpdateCartItemDocument } from '../generated/cart';
import {
  archiveProduct,
  createProduct,
  createStockedProduct,
  createUser,
  createWarehouse,
  errorCode,
  expectData,
  lapseCartHolds,
  ledgerOf,
  readStockRow,
  setProductPrice,
  setStockLevel,
  type TestUser,
  useServer,
} from '../kit';

// The per-product hold cap (MAX_HOLD_PER_PRODUCT, 10 by default) is raised to the line maximum:
// this suite checks the 10000-unit line bound; test/security/rate-limits.test.ts checks the cap.
const server = useServer({ env: { MAX_HOLD_PER_PRODUCT: '10000' } });

async function freshShopper(): Promise<TestUser> {
  return createUser(server, { prefix: 'shopper' });
}

describe('cart', () => {
  it('is created lazily, once, and starts empty', async () => {
    const shopper = await freshShopper();
    const [a, b] = await Promise.all([shopper.client.request(CartDocument), shopper.client.request(CartDocument)]);
    const first = expectData(a).cart;
    expect(first).toEqual({ id: expect.any(String), total: '0.00', expiresAt: null, items: [] });
    expect(expectData(b).cart.id).toBe(first.id);
    expect(expectData(await shopper.client.request(CartDocument)).cart.id).toBe(first.id);
  });

  it('refuses anonymous callers with UNAUTHENTICATED', async () => {
    expect(errorCode(await server.client.request(CartDocument))).toBe('UNAUTHENTICATED');
    expect(errorCode(await server.client.request(AddToCartDocument, { input: { productId: '1', quantity: 1 } }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await server.client.request(ClearCartDocument))).toBe('UNAUTHENTICATED');
    expect(errorCode(await server.client.withToken('not-a-token').request(CartDocument))).toBe('UNAUTHENTICATED');
  });
});

describe('addToCart', () => {
  it('holds the stock, prices the line exactly and records a RESERVATION', async () => {
    const shopper = await freshShopper();
    const { productId, stockId } = await createStockedProduct(server, { onHand: 10, price: '19.99' });
    const before = Date.now();
    const cart = expectData(await shopper.client.request(AddToCartDocument, { input: { productId: String(productId), quantity: 3 } })).addToCart;
    expect(cart.items).toHaveLength(1);
    expect(cart.items[0]).toMatchObject({ quantity: 3, unitPrice: '19.99', subtotal: '59.97', product: { id: String(productId), price: '19.99' } });
    expect(cart.total).toBe('59.97');
    const until = Date.parse(cart.items[0].reservedUntil!);
    // Default TTL is 15 minutes.
    expect(until).toBeGreaterThanOrEqual(before + 900_000 - 1000);
    expect(until).toBeLessThanOrEqual(Date.now() + 900_000 + 1000);
    expect(cart.expiresAt).toBe(cart.items[0].reservedUntil);
    expect(await readStockRow(server, stockId)).toEqual({ id: stockId, onHand: 10, reserved: 3 });
    expect((await ledgerOf(server, stockId)).map((m) => [m.kind, m.onHandDelta, m.reservedDelta])).toEqual([
      ['ADJUSTMENT', 10, 0],
      ['RESERVATION', 0, 3],
    ]);
  });

  it("answers every field of a line's product as the catalog does (the cart answer maps products without the ORM)", async () => {
    const shopper = await freshShopper();
    const { productId } = await createStockedProduct(server, { onHand: 5, price: '7.50' });
    const fields = 'id name description price category owner { id } createdAt updatedAt';
    const added = expectData(
      await shopper.client.raw({
        query: `mutation { addToCart(input: { productId: "${productId}", quantity: 1 }) { items { product { ${fields} } } } }`,
      }),
    ).addToCart;
    const catalog = expectData(await shopper.client.raw({ query: `{ product(id: "${productId}") { ${fields} } }` })).product;
    expect(added.items[0].product).toEqual(catalog);
    expect(Number.isNaN(Date.parse(String(catalog.createdAt)))).toBe(false);
  });

  it('adds to an existing line, holding only the extra quantity', async () => {
    const shopper = await freshShopper();
    const { productId, stockId } = await createStockedProduct(server, { onHand: 10, price: '0.10' });
    await shopper.client.request(AddToCartDocument, { input: { productId: String(productId), quantity: 2 } });
    const cart = expectData(await shopper.client.request(AddToCartDocument, { input: { productId: String(productId), quantity: 5 } })).addToCart;
    expect(cart.items).toHaveLength(1);
    expect(cart.items[0]).toMatchObject({ quantity: 7, subtotal: '0.70' });
    expect(cart.total).toBe('0.70');
    expect(await readStockRow(server, stockId)).toMatchObject({ onHand: 10, reserved: 7 });
  });

  it('splits a hold across warehouses in stock id order', async () => {
    const shopper = await freshShopper();
    const { productId, stockId, ownerId } = await createStockedProduct(server, { onHand: 2 });
    const second = await createWarehouse(server, { ownerId });
    const secondStock = await setStockLevel(server, { warehouseId: second, productId, onHand: 5 });
    expectData(await shopper.client.request(AddToCartDocument, { input: { productId: String(productId), quantity: 4 } }));
    expect(await readStockRow(server, stockId)).toMatchObject({ onHand: 2, reserved: 2 });
    expect(await readStockRow(server, secondStock)).toMatchObject({ onHand: 5, reserved: 2 });
  });

  it('totals several lines exactly', async () => {
    const shopper = await freshShopper();
    const a = await createStockedProduct(server, { onHand: 100, price: '0.10' });
    const b = await createStockedProduct(server, { onHand: 100, price: '0.20' });
    const c = await createStockedProduct(server, { onHand: 100, price: '15000000.00' });
    await shopper.client.request(AddToCartDocument, { input: { productId: String(a.productId), quantity: 1 } });
    await shopper.client.request(AddToCartDocument, { input: { productId: String(b.productId), quantity: 1 } });
    const cart = expectData(await shopper.client.request(AddToCartDocument, { input: { productId: String(c.productId), quantity: 3 } })).addToCart;
    // 0.10 + 0.20 is 0.30 exactly, and large amounts keep every cent.
    expect(cart.items.map((i) => i.subtotal)).toEqual(['0.10', '0.20', '45000000.00']);
    expect(cart.total).toBe('45000000.30');
  });

  it('shows the current price of a line, not the price when it was added', async () => {
    const shopper = await freshShopper();
    const { productId } = await createStockedProduct(server, { onHand: 5, price: '10.00' });
    await shopper.client.request(AddToCartDocument, { input: { productId: String(productId), quantity: 2 } });
    await setProductPrice(server, productId, '12.50');
    const cart = expectData(await shopper.client.request(CartDocument)).cart;
    expect(cart.items[0]).toMatchObject({ unitPrice: '12.50', subtotal: '25.00' });
    expect(cart.total).toBe('25.00');
  });

  it('refuses more than is sellable with INSUFFICIENT_STOCK and leaves the cart and stock unchanged', async () => {
    const shopper = await freshShopper();
    const other = await freshShopper();
    const { productId, stockId } = await createStockedProduct(server, { onHand: 5 });
    await other.client.request(AddToCartDocument, { input: { productId: String(productId), quantity: 2 } });
    await shopper.client.request(AddToCartDocument, { input: { productId: String(productId), quantity: 1 } });

    const res = await shopper.client.request(AddToCartDocument, { input: { productId: String(productId), quantity: 3 } });
    expect(errorCode(res)).toBe('INSUFFICIENT_STOCK');
    expect(res.errors![0].extensions).toMatchObject({ productId: String(productId), available: 2 });

    const cart = expectData(await shopper.client.request(CartDocument)).cart;
    expect(cart.items.map((i) => i.quantity)).toEqual([1]);
    expect(await readStockRow(server, stockId)).toMatchObject({ onHand: 5, reserved: 3 });

    // A new line that cannot be held is not left behind either.
    const empty = await createStockedProduct(server, { onHand: 0 });
    const refused = await shopper.client.request(AddToCartDocument, { input: { productId: String(empty.productId), quantity: 1 } });
    expect(errorCode(refused)).toBe('INSUFFICIENT_STOCK');
    expect(refused.errors![0].extensions).toMatchObject({ available: 0 });
    expect(expectData(await shopper.client.request(CartDocument)).cart.items).toHaveLength(1);
  });

  it('refuses unknown and archived products with NOT_FOUND', async () => {
    const shopper = await freshShopper();
    expect(errorCode(await shopper.client.request(AddToCartDocument, { input: { productId: '999999', quantity: 1 } }))).toBe('NOT_FOUND');
    const { productId } = await createStockedProduct(server, { onHand: 5 });
    await archiveProduct(server, productId);
    expect(errorCode(await shopper.client.request(AddToCartDocument, { input: { productId: String(productId), quantity: 1 } }))).toBe('NOT_FOUND');
    const unstocked = await createProduct(server, { ownerId: shopper.id });
    const res = await shopper.client.request(AddToCartDocument, { input: { productId: String(unstocked), quantity: 1 } });
    expect(errorCode(res)).toBe('INSUFFICIENT_STOCK');
  });

  it.each([
    [{ productId: 'abc', quantity: 1 }, 'productId'],
    [{ productId: '-1', quantity: 1 }, 'productId'],
    [{ productId: '1', quantity: 0 }, 'quantity'],
    [{ productId: '1', quantity: -3 }, 'quantity'],
    [{ productId: '1', quantity: 10_001 }, 'quantity'],
  ])('refuses bad input %j with BAD_USER_INPUT on %s', async (input, field) => {
    const shopper = await freshShopper();
    const res = await shopper.client.request(AddToCartDocument, { input });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions?.field).toBe(field);
  });

  it('refuses a line above 10000 units in total', async () => {
    const shopper = await freshShopper();
    const { productId } = await createStockedProduct(server, { onHand: 20_000 });
    expectData(await shopper.client.request(AddToCartDocument, { input: { productId: String(productId), quantity: 10_000 } }));
    const res = await shopper.client.request(AddToCartDocument, { input: { productId: String(productId), quantity: 1 } });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions?.field).toBe('quantity');
  });
});

describe('updateCartItem', () => {
  it('grows, shrinks and removes a line, holding and releasing exactly', async () => {
    const shopper = await freshShopper();
    const { productId, stockId } = await createStockedProduct(server, { onHand: 10, price: '2.50' });
    const added = expectData(await shopper.client.request(AddToCartDocument, { input: { productId: String(productId), quantity: 2 } })).addToCart;
    const itemId = added.items[0].id;

    const grown = expectData(await shopper.client.request(UpdateCartItemDocument, { input: { itemId, quantity: 6 } })).updateCartItem;
    expect(grown.items[0]).toMatchObject({ id: itemId, quantity: 6, subtotal: '15.00' });
    expect(await readStockRow(server, stockId)).toMatchObject({ reserved: 6 });

    const shrunk = expectData(await shopper.client.request(UpdateCartItemDocument, { input: { itemId, quantity: 1 } })).updateCartItem;
    expect(shrunk.items[0]).toMatchObject({ quantity: 1, subtotal: '2.50' });
    expect(shrunk.total).toBe('2.50');
    expect(await readStockRow(server, stockId)).toMatchObject({ onHand: 10, reserved: 1 });

    const removed = expectData(await shopper.client.request(UpdateCartItemDocument, { input: { itemId, quantity: 0 } })).updateCartItem;
    expect(removed.items).toEqual([]);
    expect(removed.total).toBe('0.00');
    expect(removed.expiresAt).toBeNull();
    expect(await readStockRow(server, stockId)).toMatchObject({ onHand: 10, reserved: 0 });
    expect((await ledgerOf(server, stockId)).map((m) => [m.kind, m.reservedDelta])).toEqual([
      ['ADJUSTMENT', 0],
      ['RESERVATION', 2],
      ['RESERVATION', 4],
      ['RELEASE', -5],
      ['RELEASE', -1],
    ]);
  });

  it('shrinks a split line from the highest stock id first', async () => {
    const shopper = await freshShopper();
    const { productId, stockId, ownerId } = await createStockedProduct(server, { onHand: 3 });
    const secondStock = await setStockLevel(server, { warehouseId: await createWarehouse(server, { ownerId }), productId, onHand: 3 });
    const cart = expectData(await shopper.client.request(AddToCartDocument, { input: { productId: String(productId), quantity: 5 } })).addToCart;
    expect(await readStockRow(server, secondStock)).toMatchObject({ reserved: 2 });
    expectData(await shopper.client.request(UpdateCartItemDocument, { input: { itemId: cart.items[0].id, quantity: 2 } }));
    expect(await readStockRow(server, stockId)).toMatchObject({ reserved: 2 });
    expect(await readStockRow(server, secondStock)).toMatchObject({ reserved: 0 });
  });

  it('grows a line across warehouses in one update: its hold grows, a new one is made on the next row, and both are refreshed', async () => {
    const shopper = await freshShopper();
    const { productId, stockId, ownerId } = await createStockedProduct(server, { onHand: 3, price: '1.25' });
    const secondStock = await setStockLevel(server, { warehouseId: await createWarehouse(server, { ownerId }), productId, onHand: 5 });
    const added = expectData(await shopper.client.request(AddToCartDocument, { input: { productId: String(productId), quantity: 2 } })).addToCart;
    // The line's hold lapses (not swept): the update takes it up again rather than leaving it to lapse.
    await lapseCartHolds(server, shopper.id);

    const grown = expectData(await shopper.client.request(UpdateCartItemDocument, { input: { itemId: added.items[0].id, quantity: 6 } })).updateCartItem;
    expect(grown.items[0]).toMatchObject({ quantity: 6, subtotal: '7.50' });
    expect(await readStockRow(server, stockId)).toMatchObject({ onHand: 3, reserved: 3 });
    expect(await readStockRow(server, secondStock)).toMatchObject({ onHand: 5, reserved: 3 });
    // Every hold of the line runs until the new expiry.
    const holds = await server.em().execute<Record<string, unknown>[]>('SELECT expires_at_ms FROM stock_holds WHERE cart_item_id = ?', [added.items[0].id]);
    expect(holds).toHaveLength(2);
    for (const hold of holds) expect(Number(hold.expires_at_ms)).toBe(Date.parse(grown.expiresAt!));
    expect((await ledgerOf(server, stockId)).map((m) => [m.kind, m.reservedDelta])).toEqual([
      ['ADJUSTMENT', 0],
      ['RESERVATION', 2],
      ['RESERVATION', 1],
    ]);
    expect((await ledgerOf(server, secondStock)).map((m) => [m.kind, m.reservedDelta])).toEqual([
      ['ADJUSTMENT', 0],
      ['RESERVATION', 3],
    ]);

    // Shrinking to 1 gives back the second row's 3 and 2 of the first, in one update.
    const shrunk = expectData(await shopper.client.request(UpdateCartItemDocument, { input: { itemId: added.items[0].id, quantity: 1 } })).updateCartItem;
    expect(shrunk.items[0]).toMatchObject({ quantity: 1, subtotal: '1.25' });
    expect(await readStockRow(server, stockId)).toMatchObject({ reserved: 1 });
    expect(await readStockRow(server, secondStock)).toMatchObject({ reserved: 0 });

    // Removing the line releases the rest.
    expect(expectData(await shopper.client.request(RemoveFromCartDocument, { itemId: added.items[0].id })).removeFromCart.items).toEqual([]);
    expect(await readStockRow(server, stockId)).toMatchObject({ onHand: 3, reserved: 0 });
  });

  it('refuses growth beyond the stock with INSUFFICIENT_STOCK and changes nothing', async () => {
    const shopper = await freshShopper();
    const { productId, stockId } = await createStockedProduct(server, { onHand: 4 });
    const cart = expectData(await shopper.client.request(AddToCartDocument, { input: { productId: String(productId), quantity: 3 } })).addToCart;
    const res = await shopper.client.request(UpdateCartItemDocument, { input: { itemId: cart.items[0].id, quantity: 5 } });
    expect(errorCode(res)).toBe('INSUFFICIENT_STOCK');
    expect(res.errors![0].extensions).toMatchObject({ available: 1 });
    expect(expectData(await shopper.client.request(CartDocument)).cart.items[0].quantity).toBe(3);
    expect(await readStockRow(server, stockId)).toMatchObject({ reserved: 3 });
  });

  it("hides another shopper's line (NOT_FOUND) and refuses bad quantities", async () => {
    const owner = await freshShopper();
    const intruder = await freshShopper();
    const { productId, stockId } = await createStockedProduct(server, { onHand: 4 });
    const cart = expectData(await owner.client.request(AddToCartDocument, { input: { productId: String(productId), quantity: 2 } })).addToCart;
    const itemId = cart.items[0].id;
    expect(errorCode(await intruder.client.request(UpdateCartItemDocument, { input: { itemId, quantity: 0 } }))).toBe('NOT_FOUND');
    expect(errorCode(await intruder.client.request(RemoveFromCartDocument, { itemId }))).toBe('NOT_FOUND');
    expect(errorCode(await owner.client.request(UpdateCartItemDocument, { input: { itemId: '999999', quantity: 1 } }))).toBe('NOT_FOUND');
    const bad = await owner.client.request(UpdateCartItemDocument, { input: { itemId, quantity: -1 } });
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0].extensions?.field).toBe('quantity');
    expect(errorCode(await owner.client.request(UpdateCartItemDocument, { input: { itemId, quantity: 10_001 } }))).toBe('BAD_USER_INPUT');
    expect(await readStockRow(server, stockId)).toMatchObject({ reserved: 2 });
  });
});

describe('removeFromCart and clearCart', () => {
  it('release every hold with a RELEASE ledger row', async () => {
    const shopper = await freshShopper();
    const a = await createStockedProduct(server, { onHand: 5, price: '1.00' });
    const b = await createStockedProduct(server, { onHand: 5, price: '2.00' });
    const c = await createStockedProduct(server, { onHand: 5, price: '3.00' });
    for (const p of [a, b, c]) await shopper.client.request(AddToCartDocument, { input: { productId: String(p.productId), quantity: 2 } });
    const cart = expectData(await shopper.client.request(CartDocument)).cart;
    expect(cart.total).toBe('12.00');

    const afterRemove = expectData(await shopper.client.request(RemoveFromCartDocument, { itemId: cart.items[1].id })).removeFromCart;
    expect(afterRemove.items.map((i) => i.product.id)).toEqual([String(a.productId), String(c.productId)]);
    expect(afterRemove.total).toBe('8.00');
    expect(await readStockRow(server, b.stockId)).toMatchObject({ onHand: 5, reserved: 0 });
    expect((await ledgerOf(server, b.stockId)).at(-1)).toMatchObject({ kind: 'RELEASE', reservedDelta: -2 });

    // Removing it again: the line is gone.
    expect(errorCode(await shopper.client.request(RemoveFromCartDocument, { itemId: cart.items[1].id }))).toBe('NOT_FOUND');

    const cleared = expectData(await shopper.client.request(ClearCartDocument)).clearCart;
    expect(cleared).toMatchObject({ id: cart.id, items: [], total: '0.00', expiresAt: null });
    for (const p of [a, c]) {
      expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 5, reserved: 0 });
      expect((await ledgerOf(server, p.stockId)).at(-1)).toMatchObject({ kind: 'RELEASE', reservedDelta: -2 });
    }
    // Clearing an empty cart is fine.
    expect(expectData(await shopper.client.request(ClearCartDocument)).clearCart.items).toEqual([]);
  });

  it('refuses a malformed item id with BAD_USER_INPUT', async () => {
    const shopper = await freshShopper();
    const res = await shopper.client.request(RemoveFromCartDocument, { itemId: 'x' });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions?.field).toBe('itemId');
  });
});
