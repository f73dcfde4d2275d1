import { InsufficientStockError, RetryableConflict } from '../common/errors';
import { StockMovementKind } from '../entities';
import { currentRead, marks, num, type Row, type Sql } from '../db/sql';

/**
 * The only code that writes `stocks` and `stock_holds`. Every stock change is ONE guarded UPDATE
 * whose WHERE clause re-checks the invariants against the row as it is at that instant (and, for
 * a compare-and-set, the version), followed in the same transaction by its ledger row. A stale
 * read can therefore never be written back: a write that lost a race matches no row, and the
 * caller retries the whole unit of work. Callers must run inside `runUnitOfWork`, on its `tx.sql`.
 *
 * Lock order: when a unit touches several stock rows it must touch them in ascending id order,
 * so concurrent multi-line checkouts cannot deadlock.
 */

export interface StockState {
  id: number;
  onHand: number;
  reserved: number;
  version: number;
}

export interface StockChange {
  stockId: number;
  kind: StockMovementKind;
  onHandDelta: number;
  reservedDelta: number;
  /** Compare-and-set: the write applies only while the row still has this version. */
  expectedVersion?: number;
  reason?: string | null;
  orderId?: number | null;
  actorId?: number | null;
}

export interface StockRow extends StockState {
  warehouseId: number;
  productId: number;
}

export interface Allocation {
  stockId: number;
  warehouseId: number;
  quantity: number;
}

export function toStockRow(r: Row): StockRow {
  return {
    id: num(r.id),
    warehouseId: num(r.warehouse_id),
    productId: num(r.product_id),
    onHand: num(r.on_hand),
    reserved: num(r.reserved),
    version: num(r.version),
  };
}

/**
 * A stock row as it is now. With `forUpdate`, on MySQL it is also write-locked until the
 * transaction ends (SQLite serialises writing transactions anyway); the write itself still goes
 * through the guarded statement below.
 */
export async function readStock(sql: Sql, stockId: number, options: { forUpdate?: boolean } = {}): Promise<StockState | null> {
  const lock = options.forUpdate ? currentRead(sql) : '';
  const row = await sql.get(`SELECT id, on_hand, reserved, version FROM stocks WHERE id = ?${lock}`, [stockId]);
  return row ? { id: num(row.id), onHand: num(row.on_hand), reserved: num(row.reserved), version: num(row.version) } : null;
}

/**
 * Applies one change as a single guarded statement and records it in the ledger. False when the
 * guard failed (not enough stock, a reserved amount that is not there, or a stale version);
 * nothing is written then. The ledger row copies the after-values from the row this transaction
 * has just write-locked (INSERT … SELECT), so they are exactly this change's result, in one round
 * trip: the hot row stays locked for as few statements as possible.
 */
export async function applyStockChange(sql: Sql, change: StockChange): Promise<boolean> {
  const { stockId, onHandDelta, reservedDelta } = change;
  const now = sql.date(new Date());
  const params: unknown[] = [onHandDelta, reservedDelta, now, stockId, reservedDelta, reservedDelta, onHandDelta];
  let update =
    'UPDATE stocks SET on_hand = on_hand + ?, reserved = reserved + ?, version = version + 1, updated_at = ? ' +
    'WHERE id = ? AND reserved + ? >= 0 AND reserved + ? <= on_hand + ?';
  if (change.expectedVersion !== undefined) {
    update += ' AND version = ?';
    params.push(change.expectedVersion);
  }
  const result = await sql.run(update, params);
  if (result.affectedRows !== 1) return false;
  const ledger = await sql.run(
    'INSERT INTO stock_movements (stock_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, order_id, actor_id, created_at, updated_at) ' +
      'SELECT id, ?, ?, ?, on_hand, reserved, ?, ?, ?, ?, ? FROM stocks WHERE id = ?',
    [change.kind, onHandDelta, reservedDelta, change.reason ?? null, change.orderId ?? null, change.actorId ?? null, now, now, stockId],
  );
  if (ledger.affectedRows !== 1) throw new Error(`stock ${stockId} vanished inside its own transaction`);
  return true;
}

/** Like applyStockChange, but a failed guard means another transaction won: retry the unit. */
export async function applyStockChangeOrRetry(sql: Sql, change: StockChange): Promise<void> {
  if (!(await applyStockChange(sql, change))) throw new RetryableConflict(`stock ${change.stockId} changed concurrently`);
}

/** Stock rows of a product in live (not archived) warehouses, in lock order. */
export async function findSellableStocks(sql: Sql, productId: number): Promise<StockRow[]> {
  const rows = await sql.all(
    'SELECT s.id, s.warehouse_id, s.product_id, s.on_hand, s.reserved, s.version FROM stocks s ' +
      'JOIN warehouses w ON w.id = s.warehouse_id WHERE s.product_id = ? AND w.archived_at IS NULL ORDER BY s.id',
    [productId],
  );
  return rows.map(toStockRow);
}

/** Quantity in holds that lapsed before `nowMs` but were not swept yet, per stock row. */
export async function lapsedHeldByStock(sql: Sql, stockIds: number[], nowMs = Date.now()): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (!stockIds.length) return out;
  const rows = await sql.all(
    `SELECT stock_id, SUM(quantity) AS qty FROM stock_holds WHERE expires_at_ms <= ? AND stock_id IN (${marks(stockIds.length)}) GROUP BY stock_id`,
    [nowMs, ...stockIds],
  );
  for (const r of rows) out.set(num(r.stock_id), num(r.qty));
  return out;
}

/**
 * Sellable quantity per product: on hand minus active holds, over live warehouses. A lapsed hold
 * stops counting at once, whether or not the sweeper has released it yet.
 */
export async function availableByProduct(sql: Sql, productIds: number[], nowMs = Date.now()): Promise<Map<number, number>> {
  const out = new Map<number, number>(productIds.map((id) => [id, 0]));
  if (!productIds.length) return out;
  const rows = await sql.all(
    'SELECT s.product_id, SUM(s.on_hand - s.reserved) AS free, ' +
      'COALESCE(SUM((SELECT SUM(h.quantity) FROM stock_holds h WHERE h.stock_id = s.id AND h.expires_at_ms <= ?)), 0) AS lapsed ' +
      `FROM stocks s JOIN warehouses w ON w.id = s.warehouse_id WHERE w.archived_at IS NULL AND s.product_id IN (${marks(productIds.length)}) GROUP BY s.product_id`,
    [nowMs, ...productIds],
  );
  for (const r of rows) out.set(num(r.product_id), num(r.free) + num(r.lapsed));
  return out;
}

/**
 * Releases lapsed holds (of one stock row, or of all rows when `stockId` is omitted), each with an
 * EXPIRY ledger row. A hold is deleted only if it is still lapsed and unchanged, so a concurrent
 * refresh or checkout of the same hold wins cleanly and nothing is released twice.
 * Returns the quantity released.
 */
export async function releaseLapsedHolds(
  sql: Sql,
  options: { stockId?: number; nowMs?: number; limit?: number } = {},
): Promise<number> {
  const nowMs = options.nowMs ?? Date.now();
  const params: unknown[] = [nowMs];
  let query = 'SELECT id, stock_id, quantity FROM stock_holds WHERE expires_at_ms <= ?';
  if (options.stockId !== undefined) {
    query += ' AND stock_id = ?';
    params.push(options.stockId);
  }
  query += ` ORDER BY stock_id, id LIMIT ${Math.max(1, Math.min(options.limit ?? 500, 5000))}`;
  const holds = await sql.all(query, params);
  let released = 0;
  for (const h of holds) {
    const quantity = num(h.quantity);
    const deleted = await deleteHold(sql, num(h.id), quantity, nowMs);
    if (!deleted) continue;
    await applyStockChangeOrRetry(sql, {
      stockId: num(h.stock_id),
      kind: StockMovementKind.EXPIRY,
      onHandDelta: 0,
      reservedDelta: -quantity,
      reason: 'cart hold lapsed',
    });
    released += quantity;
  }
  return released;
}

/**
 * Reserves (`mode: 'hold'`) or directly sells (`mode: 'sell'`) `quantity` of a product, taking
 * stock rows in id order and splitting across warehouses when one has too little. When the live
 * stock is short it first releases lapsed holds on the product's rows. Throws
 * InsufficientStockError with the real sellable quantity when it is not there; a guarded write
 * that loses a race asks for a retry of the whole unit.
 *
 * The shortage sweep releases EVERY lapsed hold on those rows, the caller's own included: a caller
 * that means to keep its own lapsed holds must claim or refresh them before allocating. The plan
 * is made from a plain read (on MySQL the transaction's snapshot); the guarded writes make a stale
 * plan harmless, at the price of a retry. Hold expiry compares with this process's clock, so the
 * servers' clocks should be kept in sync (NTP); skew only shifts when a hold lapses.
 */
export async function allocateStock(
  sql: Sql,
  input: { productId: number; quantity: number; mode: 'hold' | 'sell'; actorId: number | null; orderId?: number | null; reason?: string },
): Promise<Allocation[]> {
  let rows = await findSellableStocks(sql, input.productId);
  let free = rows.reduce((sum, r) => sum + Math.max(0, r.onHand - r.reserved), 0);
  if (free < input.quantity) {
    const lapsed = await lapsedHeldByStock(sql, rows.map((r) => r.id));
    if (lapsed.size) {
      for (const stockId of [...lapsed.keys()].sort((a, b) => a - b)) await releaseLapsedHolds(sql, { stockId });
      rows = await findSellableStocks(sql, input.productId);
      free = rows.reduce((sum, r) => sum + Math.max(0, r.onHand - r.reserved), 0);
    }
  }
  if (free < input.quantity) throw new InsufficientStockError(input.productId, free);

  const allocations: Allocation[] = [];
  let remaining = input.quantity;
  for (const row of rows) {
    if (remaining === 0) break;
    const take = Math.min(remaining, Math.max(0, row.onHand - row.reserved));
    if (take === 0) continue;
    await applyStockChangeOrRetry(sql, {
      stockId: row.id,
      kind: input.mode === 'hold' ? StockMovementKind.RESERVATION : StockMovementKind.SALE,
      onHandDelta: input.mode === 'hold' ? 0 : -take,
      reservedDelta: input.mode === 'hold' ? take : 0,
      actorId: input.actorId,
      orderId: input.orderId ?? null,
      reason: input.reason ?? null,
    });
    allocations.push({ stockId: row.id, warehouseId: row.warehouseId, quantity: take });
    remaining -= take;
  }
  return allocations;
}

export interface HoldRow {
  id: number;
  cartItemId: number;
  stockId: number;
  quantity: number;
  expiresAtMs: number;
}

export async function findHolds(sql: Sql, cartItemIds: number[]): Promise<HoldRow[]> {
  if (!cartItemIds.length) return [];
  const rows = await sql.all(
    `SELECT id, cart_item_id, stock_id, quantity, expires_at_ms FROM stock_holds WHERE cart_item_id IN (${marks(cartItemIds.length)}) ORDER BY stock_id, id`,
    cartItemIds,
  );
  return rows.map((r) => ({
    id: num(r.id),
    cartItemId: num(r.cart_item_id),
    stockId: num(r.stock_id),
    quantity: num(r.quantity),
    expiresAtMs: num(r.expires_at_ms),
  }));
}

export async function insertHold(sql: Sql, hold: Omit<HoldRow, 'id'>): Promise<void> {
  const now = sql.date(new Date());
  await sql.run(
    'INSERT INTO stock_holds (cart_item_id, stock_id, quantity, expires_at_ms, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    [hold.cartItemId, hold.stockId, hold.quantity, hold.expiresAtMs, now, now],
  );
}

/** Compare-and-set on a hold's quantity: false when someone else changed or removed it. */
export async function updateHold(sql: Sql, holdId: number, fromQuantity: number, toQuantity: number, expiresAtMs: number): Promise<boolean> {
  const result = await sql.run('UPDATE stock_holds SET quantity = ?, expires_at_ms = ?, updated_at = ? WHERE id = ? AND quantity = ?', [
    toQuantity,
    expiresAtMs,
    sql.date(new Date()),
    holdId,
    fromQuantity,
  ]);
  return result.affectedRows === 1;
}

/**
 * Deletes a hold only if it still has `quantity` (and, with `lapsedBeforeMs`, only if it lapsed
 * by then). True means this transaction removed exactly that quantity and must give it back.
 */
export async function deleteHold(sql: Sql, holdId: number, quantity: number, lapsedBeforeMs?: number): Promise<boolean> {
  const params: unknown[] = [holdId, quantity];
  let statement = 'DELETE FROM stock_holds WHERE id = ? AND quantity = ?';
  if (lapsedBeforeMs !== undefined) {
    statement += ' AND expires_at_ms <= ?';
    params.push(lapsedBeforeMs);
  }
  const result = await sql.run(statement, params);
  return result.affectedRows === 1;
}

/** Inserts the stock row for a warehouse × product if it is missing; a concurrent insert wins via the unique key. */
export async function ensureStockRow(sql: Sql, warehouseId: number, productId: number): Promise<number> {
  const existing = await sql.get('SELECT id FROM stocks WHERE warehouse_id = ? AND product_id = ?', [warehouseId, productId]);
  if (existing) return num(existing.id);
  const now = sql.date(new Date());
  const result = await sql.run(
    'INSERT INTO stocks (warehouse_id, product_id, on_hand, reserved, version, created_at, updated_at) VALUES (?, ?, 0, 0, 1, ?, ?)',
    [warehouseId, productId, now, now],
  );
  return num(result.insertId);
}

export interface Sale {
  orderId: number;
  quantity: number;
  actorId: number;
}

/**
 * Sells several orders' units from ONE stock row in one guarded statement (the buy-now batch of
 * one process: docs/BENCHMARKS.md), with one SALE ledger row per order. The ledger rows are the
 * serial decomposition of the batch, in `sales` order: each records the row as it would have been
 * right after that order alone, so the ledger chain is exactly as if the orders had been applied
 * one by one. False when the row no longer has the total free (nothing is written then).
 */
export async function sellInBatch(sql: Sql, stockId: number, sales: Sale[], reason: string): Promise<boolean> {
  const total = sales.reduce((sum, s) => sum + s.quantity, 0);
  const now = sql.date(new Date());
  const result = await sql.run(
    'UPDATE stocks SET on_hand = on_hand - ?, version = version + 1, updated_at = ? WHERE id = ? AND reserved <= on_hand - ?',
    [total, now, stockId, total],
  );
  if (result.affectedRows !== 1) return false;
  // `later`: what the orders after this one took from the row, so on_hand_after = final + later.
  let later = total;
  const parts = sales.map((s) => {
    later -= s.quantity;
    return [s.orderId, s.quantity, later, s.actorId];
  });
  const ledger = await sql.run(
    'INSERT INTO stock_movements (stock_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, order_id, actor_id, created_at, updated_at) ' +
      'SELECT s.id, ?, -m.qty, 0, s.on_hand + m.later, s.reserved, ?, m.order_id, m.actor_id, ?, ? FROM stocks s JOIN (' +
      parts.map(() => 'SELECT ? AS order_id, ? AS qty, ? AS later, ? AS actor_id').join(' UNION ALL ') +
      ') m ON 1 = 1 WHERE s.id = ? ORDER BY m.later DESC',
    [StockMovementKind.SALE, reason, now, now, ...parts.flat(), stockId],
  );
  if (ledger.affectedRows !== sales.length) throw new Error(`stock ${stockId} vanished inside its own transaction`);
  return true;
}
