import { randomUUID } from 'node:crypto';
import { LoginDocument, RegisterDocument } from '../generated/auth';
import { CreateProductDocument, CreateWarehouseDocument, SetStockDocument } from '../generated/catalog';
import { expectData, type GraphQLClient } from './client';
import {
  allocateStock,
  applyStockChange,
  Cart,
  CartItem,
  ensureStockRow,
  hashPassword,
  insertHold,
  issueToken,
  Order,
  OrderLine,
  OrderStatus,
  Product,
  readDbNowMs,
  readStock,
  sqlFor,
  StockMovementKind,
  User,
  UserRole,
  Warehouse,
  type Em,
} from './internals';
import type { TestServer } from './server';

/**
 * The test data of every suite, and of the benchmark. One id convention: a fixture takes and
 * returns DATABASE ids (numbers); a suite writes `String(id)` where it hands one to the API.
 * Only the `…As(user, …)` helpers go through the API, and they return the mutation's payload as
 * the API answers it (with GraphQL ID strings), since that payload is often what a suite checks.
 *
 * Everything else is written straight through the ORM and the stock repository (catalog and stock
 * operations are tested on their own). Users share ONE precomputed argon2 hash and get their token
 * from TokenService, so a load test can create hundreds of buyers without hundreds of ~50 ms
 * hashes. Stock goes through the guarded write with an ADJUSTMENT ledger row, so the ledger
 * matches the rows and the stock audit starts clean.
 */

/** Where fixtures write: a TestServer, or anything else that hands out EntityManagers (the benchmark). */
export interface Db {
  em(): Em;
}

export interface TestUser {
  id: number;
  email: string;
  token: string;
  /** A client signed in as this user. */
  client: GraphQLClient;
}

export const FIXTURE_PASSWORD = 'fixture password';
const hashes = new Map<string, Promise<string>>();

let sequence = 0;
const unique = () => `${process.pid}-${Date.now().toString(36)}-${(sequence += 1)}`;

/** Inserts `count` users in one flush, all with the hash of `password` (hashed once per password). */
export async function insertUsers(
  db: Db,
  count: number,
  options: { role?: UserRole; prefix?: string; password?: string } = {},
): Promise<User[]> {
  const password = options.password ?? FIXTURE_PASSWORD;
  if (!hashes.has(password)) hashes.set(password, hashPassword(password));
  const passwordHash = await hashes.get(password)!;
  const em = db.em();
  const prefix = options.prefix ?? 'user';
  const users = Array.from({ length: count }, (_, i) =>
    em.create(User, { email: `${prefix}-${unique()}-${i}@example.com`, name: `${prefix} ${i}`, passwordHash, role: options.role ?? UserRole.CUSTOMER }),
  );
  await em.flush();
  return users;
}

/** Creates `count` users (password FIXTURE_PASSWORD) in one flush and signs each in. */
export async function createUsers(
  server: TestServer,
  count: number,
  options: { role?: UserRole; prefix?: string; client?: GraphQLClient } = {},
): Promise<TestUser[]> {
  const users = await insertUsers(server, count, options);
  const base = options.client ?? server.client;
  return users.map((user) => {
    const token = issueToken(server.app.services, user);
    return { id: user.id, email: user.email, token, client: base.withToken(token) };
  });
}

export async function createUser(server: TestServer, options: { role?: UserRole; prefix?: string } = {}): Promise<TestUser> {
  return (await createUsers(server, 1, options))[0];
}

/** Registers a user through the API (one argon2 hash each: fine for a handful of users); always a CUSTOMER. */
export async function registerUser(server: TestServer, email = `u-${randomUUID()}@example.com`): Promise<TestUser> {
  const res = expectData(await server.client.request(RegisterDocument, { input: { email, password: 'correct horse battery', name: email.split('@')[0] } }));
  return { id: Number(res.register.user.id), email, token: res.register.token, client: server.client.withToken(res.register.token) };
}

/** Signs an existing account in through the API (login). */
export async function signIn(server: TestServer, email: string, password: string): Promise<TestUser> {
  const res = expectData(await server.client.request(LoginDocument, { input: { email, password } }));
  return { id: Number(res.login.user.id), email, token: res.login.token, client: server.client.withToken(res.login.token) };
}

export async function createProduct(
  db: Db,
  options: { ownerId: number; price?: string; name?: string; category?: string; archived?: boolean },
): Promise<number> {
  const em = db.em();
  const product = em.create(Product, {
    owner: options.ownerId,
    name: options.name ?? `Product ${unique()}`,
    price: options.price ?? '10.00',
    category: options.category ?? 'test',
    archivedAt: options.archived ? new Date() : null,
  });
  await em.flush();
  return product.id;
}

export async function archiveProduct(db: Db, productId: number): Promise<void> {
  await db.em().nativeUpdate(Product, { id: productId }, { archivedAt: new Date() });
}

export async function setProductPrice(db: Db, productId: number, price: string): Promise<void> {
  await db.em().nativeUpdate(Product, { id: productId }, { price });
}

export async function createWarehouse(db: Db, options: { ownerId: number; name?: string; location?: string }): Promise<number> {
  const em = db.em();
  const warehouse = em.create(Warehouse, { owner: options.ownerId, name: options.name ?? `Warehouse ${unique()}`, location: options.location ?? 'Test' });
  await em.flush();
  return warehouse.id;
}

export interface StockLevel {
  warehouseId: number;
  productId: number;
  onHand: number;
  /** Recorded on the ADJUSTMENT ledger row. */
  actorId?: number;
  reason?: string;
}

/**
 * Sets stock rows' on-hand quantities, in one transaction: each row is created if missing
 * (ensureStockRow), locked, and moved to `onHand` by one guarded ADJUSTMENT with its ledger row.
 * Returns the stock ids, in order. Throws where a level is below what is reserved.
 */
export async function setStockLevels(db: Db, levels: StockLevel[]): Promise<number[]> {
  return db.em().transactional(async (tx) => {
    const sql = sqlFor(tx as Em);
    const stockIds: number[] = [];
    for (const level of levels) {
      const stockId = await ensureStockRow(sql, level.warehouseId, level.productId);
      const current = await readStock(sql, stockId, { forUpdate: true });
      const delta = level.onHand - (current?.onHand ?? 0);
      if (delta !== 0) {
        const applied = await applyStockChange(sql, {
          stockId,
          kind: StockMovementKind.ADJUSTMENT,
          onHandDelta: delta,
          reservedDelta: 0,
          expectedVersion: current?.version,
          actorId: level.actorId ?? null,
          reason: level.reason ?? 'test fixture',
        });
        if (!applied) throw new Error(`fixture could not set stock ${stockId} to ${level.onHand} (reserved is higher?)`);
      }
      stockIds.push(stockId);
    }
    return stockIds;
  });
}

/** setStockLevels for one row; returns its stock id. */
export async function setStockLevel(db: Db, level: StockLevel): Promise<number> {
  return (await setStockLevels(db, [level]))[0];
}

/** A seller with a warehouse and one product stocked there: the usual starting point. */
export async function createStockedProduct(
  db: Db,
  options: { onHand: number; price?: string; ownerId?: number; name?: string },
): Promise<{ productId: number; warehouseId: number; stockId: number; ownerId: number }> {
  const ownerId = options.ownerId ?? (await insertUsers(db, 1, { prefix: 'seller' }))[0].id;
  const warehouseId = await createWarehouse(db, { ownerId });
  const productId = await createProduct(db, { ownerId, price: options.price, name: options.name });
  const stockId = await setStockLevel(db, { warehouseId, productId, onHand: options.onHand });
  return { productId, warehouseId, stockId, ownerId };
}

/**
 * A cart hold as the cart service makes one (cart line, RESERVATION, hold row), written straight
 * to the database so a suite does not depend on the cart API.
 */
export async function holdStock(db: Db, options: { userId: number; productId: number; quantity: number; expiresAtMs: number }): Promise<void> {
  await db.em().transactional(async (em) => {
    const cart = (await em.findOne(Cart, { user: options.userId })) ?? em.create(Cart, { user: options.userId });
    const item = em.create(CartItem, { cart, product: options.productId, quantity: options.quantity, unitPrice: '1.00' });
    await em.flush();
    const allocations = await allocateStock(sqlFor(em), { productId: options.productId, quantity: options.quantity, mode: 'hold', actorId: options.userId });
    for (const a of allocations) await insertHold(sqlFor(em), { cartItemId: item.id, stockId: a.stockId, quantity: a.quantity, expiresAtMs: options.expiresAtMs });
  });
}

/**
 * An order that sold `quantity` of a product (SALE ledger rows), written straight to the
 * database; returns its id. A CANCELLED one has returned its units (CANCELLATION rows), as a real
 * cancellation does, so stock rows, their `sold` counters and the ledger stay consistent.
 */
export async function placeOrder(db: Db, options: { userId: number; productId: number; quantity: number; status: OrderStatus }): Promise<number> {
  return db.em().transactional(async (em) => {
    const order = em.create(Order, {
      user: options.userId,
      status: options.status,
      totalPrice: '1.00',
      shippingCost: '0.00',
      idempotencyKey: randomUUID(),
      requestHash: 'x'.repeat(64),
    });
    await em.flush();
    const allocations = await allocateStock(sqlFor(em), {
      productId: options.productId,
      quantity: options.quantity,
      mode: 'sell',
      actorId: options.userId,
      orderId: order.id,
    });
    for (const a of allocations) {
      em.create(OrderLine, { order, product: options.productId, warehouse: a.warehouseId, stock: a.stockId, quantity: a.quantity, unitPrice: '1.00', subtotal: '1.00' });
    }
    await em.flush();
    if (options.status === OrderStatus.CANCELLED) {
      for (const a of allocations) {
        const change = { stockId: a.stockId, kind: StockMovementKind.CANCELLATION, onHandDelta: a.quantity, reservedDelta: 0, orderId: order.id, actorId: options.userId };
        if (!(await applyStockChange(sqlFor(em), change))) throw new Error(`could not return the units of order ${order.id}`);
      }
    }
    return order.id;
  });
}

// ---------------------------------------------------------------------------------------------
// Through the API, as `user`: these return the mutation's payload.

export async function createProductAs(user: TestUser, input: Partial<{ name: string; description: string; price: string; category: string }> = {}) {
  const res = await user.client.request(CreateProductDocument, {
    input: { name: 'Headphones', description: 'Wireless', price: '59.90', category: 'audio', ...input },
  });
  return expectData(res).createProduct;
}

export async function createWarehouseAs(user: TestUser, name = 'Main DC') {
  return expectData(await user.client.request(CreateWarehouseDocument, { input: { name, location: 'Jakarta' } })).createWarehouse;
}

export async function setStockAs(user: TestUser, warehouseId: string, productId: string, onHand: number) {
  return expectData(await user.client.request(SetStockDocument, { input: { warehouseId, productId, onHand } })).setStock;
}

// ---------------------------------------------------------------------------------------------
// Reading what is in the database.

export interface StockSnapshot {
  id: number;
  onHand: number;
  reserved: number;
}

const num = (v: unknown) => Number(v ?? 0);

export async function readStockRow(db: Db, stockId: number): Promise<StockSnapshot> {
  const row = await db.em().execute<Record<string, unknown>>('SELECT id, on_hand, reserved FROM stocks WHERE id = ?', [stockId], 'get');
  if (!row) throw new Error(`no stock ${stockId}`);
  return { id: num(row.id), onHand: num(row.on_hand), reserved: num(row.reserved) };
}

/** Ledger rows of a stock row, oldest first. */
export async function ledgerOf(db: Db, stockId: number): Promise<{ kind: string; onHandDelta: number; reservedDelta: number; orderId: number | null }[]> {
  const rows = await db.em().execute<Record<string, unknown>[]>(
    'SELECT kind, on_hand_delta, reserved_delta, order_id FROM stock_movements WHERE stock_id = ? ORDER BY id',
    [stockId],
  );
  return rows.map((r) => ({
    kind: String(r.kind),
    onHandDelta: num(r.on_hand_delta),
    reservedDelta: num(r.reserved_delta),
    orderId: r.order_id === null || r.order_id === undefined ? null : num(r.order_id),
  }));
}

/** Total quantity in order lines of a product, by order status filter. */
export async function orderedQuantity(db: Db, productId: number, options: { includeCancelled?: boolean } = {}): Promise<number> {
  const row = await db.em().execute<Record<string, unknown>>(
    'SELECT COALESCE(SUM(l.quantity), 0) AS q FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.product_id = ?' +
      (options.includeCancelled ? '' : " AND o.status <> 'CANCELLED'"),
    [productId],
    'get',
  );
  return num(row?.q);
}

export async function countRows(db: Db, table: 'orders' | 'order_lines' | 'stock_holds' | 'cart_items' | 'carts' | 'users'): Promise<number> {
  const row = await db.em().execute<Record<string, unknown>>(`SELECT COUNT(*) AS n FROM ${table}`, [], 'get');
  return num(row?.n);
}

/** The database server's clock (epoch ms): what flash-sale windows are compared with. */
export async function databaseNowMs(db: Db): Promise<number> {
  return readDbNowMs(sqlFor(db.em()));
}

/** Makes every cart hold of a user (stock and flash-sale units) lapse now, behind the API's back, as if its TTL had run out. */
export async function lapseCartHolds(db: Db, userId: number): Promise<void> {
  const em = db.em();
  const items = 'SELECT ci.id FROM cart_items ci JOIN carts c ON c.id = ci.cart_id WHERE c.user_id = ?';
  await em.execute(`UPDATE stock_holds SET expires_at_ms = 1 WHERE cart_item_id IN (${items})`, [userId]);
  await em.execute('UPDATE flash_sale_holds SET expires_at_ms = 1 WHERE user_id = ?', [userId]);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
