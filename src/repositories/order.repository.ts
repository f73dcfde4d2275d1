import { BadUserInputError } from '../common/errors';
import { MAX_MONEY_CENTS, multiplyMoney, toCents } from '../common/money';
import { OrderStatus } from '../entities';
import { num, type Sql } from '../db/sql';

/** The writes of a new order, shared by checkout and the buyNow batch. */

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
}

/** An order total fits its DECIMAL(15,2) column, or BAD_USER_INPUT on the quantity. */
export function requireStorableTotal(total: string): string {
  if (toCents(total) > MAX_MONEY_CENTS) throw new BadUserInputError('quantity', 'The order total is larger than an order can hold');
  return total;
}

/**
 * A user's idempotency key as the database compares it. Keys are visible ASCII, and MySQL's `_ci`
 * collation compares them without case: `Ab` and `ab` are one key there, so two such requests
 * must never share a buyNow batch (their inserts would collide and fail everyone's batch). On
 * SQLite (case-sensitive) this only makes such twins wait for the next batch.
 */
export const orderKey = (userId: unknown, idempotencyKey: unknown): string => `${num(userId)}:${String(idempotencyKey).toLowerCase()}`;

/** `(o.user_id = ? AND o.idempotency_key = ?) OR …` for `count` keys of table alias `alias` (an OR of unique-index lookups). */
export const keysMatch = (alias: string, count: number): string =>
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
 * where they came from), in one statement.
 */
export async function insertLines(sql: Sql, drafts: LineDraft[]): Promise<void> {
  const merged = new Map<string, LineDraft>();
  for (const d of drafts) {
    const key = `${d.orderId}:${d.productId}:${d.stockId}`;
    const seen = merged.get(key);
    if (seen) seen.quantity += d.quantity;
    else merged.set(key, { ...d });
  }
  if (!merged.size) return;
  const now = sql.date(new Date());
  const lines = [...merged.values()];
  await sql.run(
    'INSERT INTO order_lines (order_id, product_id, warehouse_id, stock_id, quantity, unit_price, subtotal, created_at, updated_at) VALUES ' +
      lines.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', '),
    lines.flatMap((d) => [d.orderId, d.productId, d.warehouseId, d.stockId, d.quantity, d.unitPrice, multiplyMoney(d.unitPrice, d.quantity), now, now]),
  );
}
