import { Product, StockMovementKind, User, UserRole, Warehouse } from '../../src/entities';
import type { Em } from '../../src/services/context';
import { hashPassword } from '../../src/services/password.service';
import { applyStockChange, ensureStockRow, readStock } from '../../src/repositories/stock.repository';
import { sqlFor } from '../../src/db/sql';
import { GraphQLClient } from './client';
import { TEST_DB } from './db';
import { spawnServerProcess, startTestServer, type ServerProcess, type TestServer } from './server';

/**
 * Test data written straight through the ORM (catalog and stock operations are tested on their
 * own). Users share ONE precomputed argon2 hash and get their token from TokenService.issue, so a
 * load test can create hundreds of buyers without hundreds of ~50 ms hashes. Stock goes through
 * the stock store (ensureStockRow + an ADJUSTMENT) so the ledger matches the rows.
 */

export const FIXTURE_PASSWORD = 'fixture password';
let sharedHash: Promise<string> | undefined;

export interface Shopper {
  id: number;
  email: string;
  token: string;
  client: GraphQLClient;
}

let sequence = 0;
const unique = () => `${process.pid}-${Date.now().toString(36)}-${(sequence += 1)}`;

function fork(server: TestServer): Em {
  return server.app.orm.em.fork() as Em;
}

/** Creates `count` users in one flush and signs each in. */
export async function createUsers(
  server: TestServer,
  count: number,
  options: { role?: UserRole; prefix?: string; client?: GraphQLClient } = {},
): Promise<Shopper[]> {
  sharedHash ??= hashPassword(FIXTURE_PASSWORD);
  const passwordHash = await sharedHash;
  const em = fork(server);
  const prefix = options.prefix ?? 'user';
  const users = Array.from({ length: count }, (_, i) =>
    em.create(User, { email: `${prefix}-${unique()}-${i}@example.com`, name: `${prefix} ${i}`, passwordHash, role: options.role ?? UserRole.CUSTOMER }),
  );
  await em.flush();
  const base = options.client ?? server.client;
  return users.map((user) => {
    const token = server.app.services.tokens.issue(user);
    return { id: user.id, email: user.email, token, client: base.withToken(token) };
  });
}

export async function createUser(server: TestServer, options: { role?: UserRole; prefix?: string } = {}): Promise<Shopper> {
  return (await createUsers(server, 1, options))[0];
}

export async function createProduct(
  server: TestServer,
  options: { ownerId: number; price?: string; name?: string; category?: string; archived?: boolean },
): Promise<number> {
  const em = fork(server);
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

export async function archiveProduct(server: TestServer, productId: number): Promise<void> {
  await fork(server).nativeUpdate(Product, { id: productId }, { archivedAt: new Date() });
}

export async function setProductPrice(server: TestServer, productId: number, price: string): Promise<void> {
  await fork(server).nativeUpdate(Product, { id: productId }, { price });
}

export async function createWarehouse(server: TestServer, options: { ownerId: number; name?: string }): Promise<number> {
  const em = fork(server);
  const warehouse = em.create(Warehouse, { owner: options.ownerId, name: options.name ?? `Warehouse ${unique()}`, location: 'Test' });
  await em.flush();
  return warehouse.id;
}

/** Sets a stock row's on-hand quantity (creating the row) with an ADJUSTMENT ledger row; returns the stock id. */
export async function setStockLevel(server: TestServer, options: { warehouseId: number; productId: number; onHand: number }): Promise<number> {
  return fork(server).transactional(async (tx) => {
    const em = tx as Em;
    const stockId = await ensureStockRow(sqlFor(em), options.warehouseId, options.productId);
    const current = await readStock(sqlFor(em), stockId);
    const delta = options.onHand - (current?.onHand ?? 0);
    if (delta !== 0) {
      const after = await applyStockChange(sqlFor(em), {
        stockId,
        kind: StockMovementKind.ADJUSTMENT,
        onHandDelta: delta,
        reservedDelta: 0,
        reason: 'test fixture',
      });
      if (!after) throw new Error(`fixture could not set stock ${stockId} to ${options.onHand} (reserved is higher?)`);
    }
    return stockId;
  });
}

/** A seller with a warehouse and one product stocked there: the usual starting point. */
export async function createStockedProduct(
  server: TestServer,
  options: { onHand: number; price?: string; ownerId?: number; name?: string },
): Promise<{ productId: number; warehouseId: number; stockId: number; ownerId: number }> {
  const ownerId = options.ownerId ?? (await createUser(server, { prefix: 'seller' })).id;
  const warehouseId = await createWarehouse(server, { ownerId });
  const productId = await createProduct(server, { ownerId, price: options.price, name: options.name });
  const stockId = await setStockLevel(server, { warehouseId, productId, onHand: options.onHand });
  return { productId, warehouseId, stockId, ownerId };
}

export interface StockSnapshot {
  id: number;
  onHand: number;
  reserved: number;
}

const num = (v: unknown) => Number(v ?? 0);

export async function readStockRow(server: TestServer, stockId: number): Promise<StockSnapshot> {
  const row = await fork(server).execute<Record<string, unknown>>('SELECT id, on_hand, reserved FROM stocks WHERE id = ?', [stockId], 'get');
  if (!row) throw new Error(`no stock ${stockId}`);
  return { id: num(row.id), onHand: num(row.on_hand), reserved: num(row.reserved) };
}

/** Ledger rows of a stock row, oldest first. */
export async function ledgerOf(
  server: TestServer,
  stockId: number,
): Promise<{ kind: string; onHandDelta: number; reservedDelta: number; orderId: number | null }[]> {
  const rows = await fork(server).execute<Record<string, unknown>[]>(
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
export async function orderedQuantity(server: TestServer, productId: number, options: { includeCancelled?: boolean } = {}): Promise<number> {
  const row = await fork(server).execute<Record<string, unknown>>(
    'SELECT COALESCE(SUM(l.quantity), 0) AS q FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.product_id = ?' +
      (options.includeCancelled ? '' : " AND o.status <> 'CANCELLED'"),
    [productId],
    'get',
  );
  return num(row?.q);
}

export async function countRows(server: TestServer, table: 'orders' | 'order_lines' | 'stock_holds' | 'cart_items' | 'carts' | 'users'): Promise<number> {
  const row = await fork(server).execute<Record<string, unknown>>(`SELECT COUNT(*) AS n FROM ${table}`, [], 'get');
  return num(row?.n);
}

/** Makes every hold look lapsed (as if the TTL passed) without waiting. */
export async function lapseAllHolds(server: TestServer): Promise<void> {
  await fork(server).execute('UPDATE stock_holds SET expires_at_ms = ?', [Date.now() - 1000], 'run');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Cluster {
  /** The in-process server (its ORM is what fixtures and the audit use). */
  server: TestServer;
  /** Every server's base URL: the in-process one, plus a separate process on MySQL. */
  urls: string[];
  /** A client for the shopper on server number `i` (round robin), so load spreads over processes. */
  clientFor(shopper: Shopper, i: number): GraphQLClient;
  stop(): Promise<void>;
}

/**
 * An in-process server plus, on MySQL, a second server PROCESS on the same database (run
 * `npm run build` first). SQLite is a single-process database, so there it is the in-process
 * server alone.
 */
export async function startCluster(options: { env?: Record<string, string>; jobs?: boolean } = {}): Promise<Cluster> {
  const server = await startTestServer(options);
  const others: ServerProcess[] = [];
  try {
    if (TEST_DB === 'mysql') others.push(await spawnServerProcess(server.env));
  } catch (error) {
    await server.stop();
    throw error;
  }
  const urls = [server.url, ...others.map((o) => o.url)];
  return {
    server,
    urls,
    clientFor: (shopper, i) => new GraphQLClient(urls[i % urls.length], shopper.token),
    async stop() {
      await Promise.all(others.map((o) => o.stop()));
      await server.stop();
    },
  };
}
