import { multiplyMoney, normalizeMoney } from '../common/money';
import { currentRead, dbNowMs, marks, num, type Row, type Sql } from '../db/sql';
import { OrderStatus } from '../entities';
import { STOCK_COLUMNS, toStockRow, type HoldRow, type StockRow } from './stock.repository';

/** The SQL of `orders` and `order_lines`: the writes of a new order (checkout and the buyNow batch), status changes, and the reads of those units. */

export interface OrderDraft {
  userId: number;
  idempotencyKey: string;
  requestHash: string;
  totalPrice: string;
  shippingCost: string;
}

export interface LineDraft {
  orderId: number;
  productId: number;
  stockId: number;
  warehouseId: number;
  quantity: number;
  unitPrice: string;
  /** The flash sale the units were sold under (null or omitted: the regular price). */
  flashSaleId?: number | null;
}

/**
 * A user's idempotency key as the database compares it: byte for byte on both databases (a binary
 * collation on MySQL), so `Ab` and `ab` are two keys and may share a buyNow batch.
 */
export const orderKey = (userId: unknown, idempotencyKey: unknown): string => `${num(userId)}:${String(idempotencyKey)}`;

/** `(o.user_id = ? AND o.idempotency_key = ?) OR …` for `count` keys of table alias `alias` (an OR of unique-index lookups). */
const keysMatch = (alias: string, count: number): string =>
  Array.from({ length: count }, () => `(${alias}.user_id = ? AND ${alias}.idempotency_key = ?)`).join(' OR ');

/**
 * Inserts PENDING orders in one statement and returns their ids, in `orders` order. Order rows go
 * first in a unit: the unique (user, idempotency key) makes a concurrent twin wait, fail and replay.
 */
export async function insertOrders(sql: Sql, orders: OrderDraft[], now: Date): Promise<number[]> {
  const at = sql.date(now);
  const result = await sql.run(
    'INSERT INTO orders (user_id, status, total_price, shipping_cost, idempotency_key, request_hash, version, created_at, updated_at) VALUES ' +
      orders.map(() => '(?, ?, ?, ?, ?, ?, 1, ?, ?)').join(', '),
    orders.flatMap((o) => [o.userId, OrderStatus.PENDING, o.totalPrice, o.shippingCost, o.idempotencyKey, o.requestHash, at, at]),
  );
  if (orders.length === 1) return [num(result.insertId)];
  // Several rows: read the ids back by their unique key rather than trust consecutive auto-increments.
  const rows = await sql.all(
    `SELECT o.id, o.user_id, o.idempotency_key FROM orders o WHERE ${keysMatch('o', orders.length)}`,
    orders.flatMap((o) => [o.userId, o.idempotencyKey]),
  );
  const byKey = new Map(rows.map((r) => [orderKey(r.user_id, r.idempotency_key), num(r.id)]));
  return orders.map((o) => {
    const id = byKey.get(orderKey(o.userId, o.idempotencyKey));
    if (id === undefined) throw new Error('an order inserted by this transaction is missing');
    return id;
  });
}

/**
 * One order line per order × product × stock row actually used (so a cancellation returns units
 * where they came from), in one INSERT that the unit sends with its COMMIT (`Sql.defer`: nothing
 * reads its answer). It goes after the stock writes, as it must: the lines' foreign key
 * share-locks the stock row.
 */
export function deferLines(sql: Sql, drafts: LineDraft[]): void {
  const merged = new Map<string, LineDraft>();
  for (const d of drafts) {
    const key = `${d.orderId}:${d.productId}:${d.stockId}:${d.flashSaleId ?? 0}`;
    const seen = merged.get(key);
    if (seen) seen.quantity += d.quantity;
    else merged.set(key, { ...d });
  }
  if (!merged.size) return;
  const now = sql.date(new Date());
  const lines = [...merged.values()];
  sql.defer({
    sql:
      'INSERT INTO order_lines (order_id, product_id, warehouse_id, stock_id, quantity, unit_price, subtotal, flash_sale_id, created_at, updated_at) VALUES ' +
      lines.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', '),
    params: lines.flatMap((d) => [d.orderId, d.productId, d.warehouseId, d.stockId, d.quantity, d.unitPrice, multiplyMoney(d.unitPrice, d.quantity), d.flashSaleId ?? null, now, now]),
  });
}

export interface CheckoutLine {
  itemId: number;
  productId: number;
  quantity: number;
  price: string;
  archived: boolean;
  /** flash sale: the product has a sale that is not over, or the line holds sale units. */
  inSale: boolean;
}

/**
 * The key's earlier order (if any), the shopper's cart lines with their products, and the lines'
 * holds (in lock order: stock id, then hold id, with each stock row's warehouse), in one statement.
 */
export async function readCheckout(
  sql: Sql,
  userId: number,
  idempotencyKey: string,
): Promise<{ replay: { orderId: number; requestHash: string } | null; lines: CheckoutLine[]; holds: HoldRow[] }> {
  const rows = await sql.all(
    'SELECT o.id AS order_id, o.request_hash, ci.id, ci.product_id, ci.quantity, p.price, p.archived_at, ' +
      // flash sale: whether the line needs the sale rules, in this statement rather than reads of their own.
      `(SELECT MIN(f.id) FROM flash_sales f WHERE f.product_id = p.id AND f.cancelled_at IS NULL AND f.ends_at_ms > ${dbNowMs(sql)}) AS sale_id, ` +
      '(SELECT MIN(fh.id) FROM flash_sale_holds fh WHERE fh.cart_item_id = ci.id) AS sale_hold_id, ' +
      'h.id AS hold_id, h.stock_id, s.warehouse_id, h.quantity AS hold_quantity, h.expires_at_ms FROM users u ' +
      'LEFT JOIN orders o ON o.user_id = u.id AND o.idempotency_key = ? LEFT JOIN carts c ON c.user_id = u.id ' +
      'LEFT JOIN (cart_items ci JOIN products p ON p.id = ci.product_id) ON ci.cart_id = c.id ' +
      // No ORDER BY: over this join MySQL sorts in a temporary table (a sixth of the statement's CPU); lines and holds are sorted here.
      'LEFT JOIN (stock_holds h JOIN stocks s ON s.id = h.stock_id) ON h.cart_item_id = ci.id WHERE u.id = ?',
    [idempotencyKey, userId],
  );
  const replay = rows[0]?.order_id ? { orderId: num(rows[0].order_id), requestHash: String(rows[0].request_hash) } : null;
  const lines = new Map<number, CheckoutLine>();
  const holds: HoldRow[] = [];
  for (const r of rows) {
    if (r.id === null || r.id === undefined) continue;
    const itemId = num(r.id);
    if (!lines.has(itemId)) {
      lines.set(itemId, { itemId, productId: num(r.product_id), quantity: num(r.quantity), price: normalizeMoney(r.price as string), archived: Boolean(r.archived_at),
        inSale: (r.sale_id !== null && r.sale_id !== undefined) || (r.sale_hold_id !== null && r.sale_hold_id !== undefined),
      });
    }
    if (r.hold_id !== null && r.hold_id !== undefined) {
      holds.push({
        id: num(r.hold_id),
        cartItemId: itemId,
        stockId: num(r.stock_id),
        warehouseId: num(r.warehouse_id),
        quantity: num(r.hold_quantity),
        expiresAtMs: num(r.expires_at_ms),
      });
    }
  }
  holds.sort((a, b) => a.stockId - b.stockId || a.id - b.id);
  return { replay, lines: [...lines.values()].sort((a, b) => a.itemId - b.itemId), holds };
}

export interface BuyNowRead {
  /** The product's price; null when it is unknown or archived. */
  price: string | null;
  /** Its sellable stock rows, in lock order. */
  stocks: StockRow[];
  /** Existing orders of the batch's keys, by orderKey. */
  replays: Map<string, { orderId: number; requestHash: string }>;
}

/**
 * Reads a product, its sellable stock rows in lock order and the existing orders of `keys`, in
 * one statement (the buyNow batch).
 */
export async function readBuyNowBatch(sql: Sql, productId: number, keys: { userId: number; idempotencyKey: string }[]): Promise<BuyNowRead> {
  const keyParams = keys.flatMap((k) => [k.userId, k.idempotencyKey]);
  const rows = await sql.all(
    `SELECT p.price, p.archived_at, ${STOCK_COLUMNS}, ` +
      'o.id AS order_id, o.user_id AS order_user_id, o.idempotency_key AS order_key, o.request_hash ' +
      'FROM products p LEFT JOIN (stocks s JOIN warehouses w ON w.id = s.warehouse_id AND w.archived_at IS NULL) ON s.product_id = p.id ' +
      `LEFT JOIN orders o ON ${keysMatch('o', keys.length)} WHERE p.id = ? ORDER BY s.id`,
    [...keyParams, productId],
  );
  const replays = new Map<string, { orderId: number; requestHash: string }>();
  const addReplay = (row: Row, userId: unknown, key: unknown) => replays.set(orderKey(userId, key), { orderId: num(row.order_id), requestHash: String(row.request_hash) });
  if (!rows.length) {
    // No such product: a replay of an order for it still returns that order (the product may be gone since).
    const orders = await sql.all(`SELECT o.id AS order_id, o.user_id, o.idempotency_key, o.request_hash FROM orders o WHERE ${keysMatch('o', keys.length)}`, keyParams);
    for (const row of orders) addReplay(row, row.user_id, row.idempotency_key);
    return { price: null, stocks: [], replays };
  }
  const stocks = new Map<number, StockRow>();
  for (const row of rows) {
    if (row.id !== null && row.id !== undefined) stocks.set(num(row.id), toStockRow(row));
    if (row.order_id !== null && row.order_id !== undefined) addReplay(row, row.order_user_id, row.order_key);
  }
  return { price: rows[0].archived_at ? null : normalizeMoney(rows[0].price as string), stocks: [...stocks.values()], replays };
}

/** An order's owner, or null when there is no such order. */
export async function findOrderOwner(sql: Sql, orderId: number): Promise<number | null> {
  const row = await sql.get('SELECT user_id FROM orders WHERE id = ?', [orderId]);
  return row ? num(row.user_id) : null;
}

/** An order's status as committed now (a locking read on MySQL), or null when there is no such order. */
export async function readStatus(sql: Sql, orderId: number): Promise<OrderStatus | null> {
  const row = await sql.get(`SELECT status FROM orders WHERE id = ?${currentRead(sql)}`, [orderId]);
  return row ? (row.status as OrderStatus) : null;
}

/** Compare-and-set on the status: moves the order to `to` only while its status is one of `from`. */
export async function updateStatus(sql: Sql, orderId: number, from: OrderStatus[], to: OrderStatus): Promise<boolean> {
  const result = await sql.run(`UPDATE orders SET status = ?, version = version + 1, updated_at = ? WHERE id = ? AND status IN (${marks(from.length)})`, [
    to,
    sql.date(new Date()),
    orderId,
    ...from,
  ]);
  return result.affectedRows === 1;
}

/** Units of an order per stock row they came from, in lock order. */
export async function findOrderUnitsByStock(sql: Sql, orderId: number): Promise<{ stockId: number; quantity: number }[]> {
  const rows = await sql.all('SELECT stock_id, SUM(quantity) AS quantity FROM order_lines WHERE order_id = ? GROUP BY stock_id ORDER BY stock_id', [orderId]);
  return rows.map((r) => ({ stockId: num(r.stock_id), quantity: num(r.quantity) }));
}
