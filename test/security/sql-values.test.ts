import { AddToCartDocument } from '../generated/cart';
import { CreateProductDocument, ProductsDocument } from '../generated/catalog';
import { CheckoutDocument, OrdersDocument } from '../generated/orders';
import { countRows, createStockedProduct, createUsers, expectData, readStockRow, useServer } from '../kit';

/**
 * On MySQL the connections accept several statements in one query (a unit of work sends the
 * statements it needs no answer in between as one round trip), so a value spliced into SQL text
 * would run as SQL. Every value is bound by the driver instead: text that is SQL, in every kind of
 * input that reaches a statement, is stored and matched as the text it is, and nothing else runs.
 */
const server = useServer({ env: { WRITE_RATE_LIMIT_PER_USER: '0' } });

/** Idempotency keys are visible ASCII without spaces: SQL comments stand in for them. */
const ATTACKS = [
  "k';DELETE/**/FROM/**/orders;--",
  'k";UPDATE/**/stocks/**/SET/**/on_hand=0;--',
  "k\\';DROP/**/TABLE/**/order_lines;--",
  "k');INSERT/**/INTO/**/orders(user_id)VALUES(1);--",
];
const NAME = "Mug'; UPDATE products SET price = 0; --";
const CATEGORY = 'cups"; DELETE FROM stocks; --';

it('stores SQL in an idempotency key, a product name and a search as plain text, and runs nothing of it', async () => {
  const p = await createStockedProduct(server, { onHand: 10, price: '1.00' });
  const [buyer, seller] = await createUsers(server, 2, { prefix: 'sqlvalues' });
  const keys: string[] = [];
  for (const [i, attack] of ATTACKS.entries()) {
    expectData(await buyer.client.request(AddToCartDocument, { input: { productId: String(p.productId), quantity: 1 } }));
    const key = `${attack}${i}`;
    keys.push(key);
    const order = expectData(await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: key, shippingCost: '0.00' } })).checkout;
    // The same key is the same purchase: the replay finds the order by that exact text.
    const replay = expectData(await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: key, shippingCost: '0.00' } })).checkout;
    expect(replay.id).toBe(order.id);
  }
  const named = expectData(await seller.client.request(CreateProductDocument, { input: { name: NAME, price: '2.00', category: CATEGORY } })).createProduct;
  expect(named).toMatchObject({ name: NAME, price: '2.00', category: CATEGORY });
  const found = expectData(await server.client.request(ProductsDocument, { first: 10, filter: { name: NAME } })).products;
  expect(found.edges.map((e) => e.node.id)).toEqual([named.id]);

  // Nothing of the SQL ran: every order and line is there, the stock moved by exactly what was sold.
  const orders = expectData(await buyer.client.request(OrdersDocument, { first: 10 })).orders;
  expect(orders.edges).toHaveLength(ATTACKS.length);
  expect(await countRows(server, 'order_lines')).toBeGreaterThanOrEqual(ATTACKS.length);
  expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 10 - ATTACKS.length, reserved: 0 });
  const stored = await server.em().execute<{ idempotency_key: string }[]>('SELECT idempotency_key FROM orders WHERE user_id = ? ORDER BY id', [buyer.id]);
  expect(stored.map((r) => r.idempotency_key)).toEqual(keys);
});
