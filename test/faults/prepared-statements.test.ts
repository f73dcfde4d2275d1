import mysql from 'mysql2/promise';
import { AddToCartDocument, UpdateCartItemDocument } from '../generated/cart';
import { BuyNowLiteDocument, CheckoutDocument } from '../generated/orders';
import {
  createStockedProduct,
  createUsers,
  expectAuditClean,
  expectData,
  orderedQuantity,
  readStockRow,
  runsOnPrivateMariadb,
  usePrivateMariadb,
  withServer,
  type TestServer,
} from '../kit';

/**
 * On MySQL a statement that a unit of work sends alone is a server-side prepared statement
 * (DATABASE_PREPARED_STATEMENTS per connection, least recently used closed first), and past the
 * server's own limit (max_prepared_stmt_count, shared by every client) it goes as text: the cart
 * path sells exactly the same either way. The server's counters are global, so this runs on a
 * private MariaDB (MySQL project only; skipped where the binaries are missing, failing in CI).
 */
(runsOnPrivateMariadb ? describe : describe.skip)('prepared statements on MySQL', () => {
  const mariadb = usePrivateMariadb();

  async function serverStatus(): Promise<{ open: number; prepared: number; executed: number }> {
    const conn = await mysql.createConnection({ uri: mariadb.url });
    try {
      const [rows] = await conn.query<mysql.RowDataPacket[]>(
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Prepared_stmt_count', 'Com_stmt_prepare', 'Com_stmt_execute')",
      );
      const value = (name: string) => Number(rows.find((r) => r.Variable_name === name)?.Value ?? 0);
      return { open: value('Prepared_stmt_count'), prepared: value('Com_stmt_prepare'), executed: value('Com_stmt_execute') };
    } finally {
      await conn.end();
    }
  }

  async function setServerLimit(count: number): Promise<void> {
    const conn = await mysql.createConnection({ uri: mariadb.url });
    try {
      await conn.query(`SET GLOBAL max_prepared_stmt_count = ${count}`);
    } finally {
      await conn.end();
    }
  }

  /** Two shoppers: add, grow the line, check out; a third buys now. Returns what the books must show. */
  async function shop(server: TestServer): Promise<{ stockId: number; productId: number; sold: number }> {
    const p = await createStockedProduct(server, { onHand: 20, price: '3.00' });
    const [a, b, c] = await createUsers(server, 3, { prefix: 'prepared' });
    const product = String(p.productId);
    for (const [i, shopper] of [a, b].entries()) {
      const cart = expectData(await shopper.client.request(AddToCartDocument, { input: { productId: product, quantity: 1 } })).addToCart;
      expect(cart.items).toHaveLength(1);
      const grown = expectData(await shopper.client.request(UpdateCartItemDocument, { input: { itemId: cart.items[0].id, quantity: 2 } })).updateCartItem;
      expect(grown.total).toBe('6.00');
      const order = expectData(await shopper.client.request(CheckoutDocument, { input: { idempotencyKey: `prepared-${i}`, shippingCost: '0.00' } })).checkout;
      expect(order.lines.map((l) => l.quantity)).toEqual([2]);
    }
    expectData(await c.client.request(BuyNowLiteDocument, { input: { productId: product, quantity: 3, idempotencyKey: 'prepared-buy' } }));
    return { stockId: p.stockId, productId: p.productId, sold: 7 };
  }

  async function expectBooks(server: TestServer, books: { stockId: number; productId: number; sold: number }): Promise<void> {
    expect(await readStockRow(server, books.stockId)).toMatchObject({ onHand: 20 - books.sold, reserved: 0 });
    expect(await orderedQuantity(server, books.productId)).toBe(books.sold);
    await expectAuditClean(server);
  }

  it('runs the cart path on prepared statements, never more than DATABASE_PREPARED_STATEMENTS open per connection', async () => {
    const env = { DATABASE_PREPARED_STATEMENTS: '3', DATABASE_POOL_SIZE: '2' };
    await withServer({ database: () => mariadb.createDatabase(), env }, async (server) => {
      const before = await serverStatus();
      const books = await shop(server);
      const after = await serverStatus();
      expect(after.executed - before.executed).toBeGreaterThan(20);
      // More statement texts than the cap went through the LRU, so some were closed again.
      expect(after.prepared - before.prepared).toBeGreaterThan(6);
      expect(after.open).toBeGreaterThan(0);
      expect(after.open).toBeLessThanOrEqual(3 * 2);
      await expectBooks(server, books);
    });
  });

  it('with DATABASE_PREPARED_STATEMENTS=0 sends every statement as text', async () => {
    await withServer({ database: () => mariadb.createDatabase(), env: { DATABASE_PREPARED_STATEMENTS: '0' } }, async (server) => {
      const before = await serverStatus();
      const books = await shop(server);
      const after = await serverStatus();
      expect(after.prepared - before.prepared).toBe(0);
      expect(after.executed - before.executed).toBe(0);
      await expectBooks(server, books);
    });
  });

  it("past the server's max_prepared_stmt_count sends the statements as text and sells exactly the same", async () => {
    await setServerLimit(0);
    try {
      await withServer({ database: () => mariadb.createDatabase() }, async (server) => {
        const before = await serverStatus();
        const books = await shop(server);
        const after = await serverStatus();
        // Every PREPARE was refused (ER_MAX_PREPARED_STMT_COUNT_REACHED), so nothing was executed prepared.
        expect(after.executed - before.executed).toBe(0);
        expect(after.open).toBe(0);
        await expectBooks(server, books);
      });
    } finally {
      await setServerLimit(16382);
    }
  });
});
