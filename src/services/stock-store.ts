import { InsufficientStockError, RetryableConflict } from '../common/errors';
import { StockHold, StockMovement, StockMovementKind } from '../entities';
import type { Em as EntityManager } from './context';
import { marks, num, type Row } from './sql';

/**
 * The only code that writes `stocks` and `stock_holds`. Every stock change is ONE guarded UPDATE
 * whose WHERE clause re-checks the invariants against the row as it is at that instant (and, for
 * a compare-and-set, the version), followed in the same transaction by its ledger row. A stale
 * read can therefore never be written back: a write that lost a race matches no row, and the
 * caller retries the whole unit of work. Callers must run inside `runUnitOfWork`.
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


function dbNow(em: EntityManager): unknown {
  return em.getPlatform().processDateProperty(new Date());
}

function toStockRow(r: Row): StockRow {
  return {
    id: num(r.id),
    warehouseId: num(r.warehouse_id),
    productId: num(r.product_id),
    onHand: num(r.on_hand),
    reserved: num(r.reserved),
    version: num(r.version),
  };
}

export async function readStock(em: EntityManager, stockId: number): Promise<StockState | null> {
  const row = await em.execute<Row>('SELECT id, on_hand, reserved, version FROM stocks WHERE id = ?', [stockId], 'get');
  return row ? { id: num(row.id), onHand: num(row.on_hand), reserved: num(row.reserved), version: num(row.version) } : null;
}

/**
 * Applies one change as a single guarded statement and records it in the ledger. Returns the row
 * after the change, or null when the guard failed (not enough stock, a reserved amount that is
 * not there, or a stale version); nothing is written then.
 */
export async function applyStockChange(em: EntityManager, change: StockChange): Promise<StockState | null> {
  const { stockId, onHandDelta, reservedDelta } = change;
  const params: unknown[] = [onHandDelta, reservedDelta, dbNow(em), stockId, reservedDelta, reservedDelta, onHandDelta];
  let sql =
    'UPDATE stocks SET on_hand = on_hand + ?, reserved = reserved + ?, version = version + 1, updated_at = ? ' +
    'WHERE id = ? AND reserved + ? >= 0 AND reserved + ? <= on_hand + ?';
  if (change.expectedVersion !== undefined) {
    sql += ' AND version = ?';
    params.push(change.expectedVersion);
  }
  const result = await em.execute<{ affectedRows: number }>(sql, params, 'run');
  if (result.affectedRows !== 1) return null;
  // This transaction now holds the row's write lock, so this read sees exactly our write.
  const after = await readStock(em, stockId);
  if (!after) throw new Error(`stock ${stockId} vanished inside its own transaction`);
  await em.insert(StockMovement, {
    stock: stockId,
    kind: change.kind,
    onHandDelta,
    reservedDelta,
    onHandAfter: after.onHand,
    reservedAfter: after.reserved,
    reason: change.reason ?? null,
    orderId: change.orderId ?? null,
    actor: change.actorId ?? null,
    createdAt: new Date(),
    updatedAt: new Date(),
  });
  return after;
}

/** Like applyStockChange, but a failed guard means another transaction won: retry the unit. */
export async function applyStockChangeOrRetry(em: EntityManager, change: StockChange): Promise<StockState> {
  const after = await applyStockChange(em, change);
  if (!after) throw new RetryableConflict(`stock ${change.stockId} changed concurrently`);
  return after;
}

/** Stock rows of a product in live (not archived) warehouses, in lock order. */
export async function findSellableStocks(em: EntityManager, productId: number): Promise<StockRow[]> {
  const rows = await em.execute<Row[]>(
    'SELECT s.id, s.warehouse_id, s.product_id, s.on_hand, s.reserved, s.version FROM stocks s ' +
      'JOIN warehouses w ON w.id = s.warehouse_id WHERE s.product_id = ? AND w.archived_at IS NULL ORDER BY s.id',
    [productId],
  );
  return rows.map(toStockRow);
}

/** Quantity in holds that lapsed before `nowMs` but were not swept yet, per stock row. */
export async function lapsedHeldByStock(em: EntityManager, stockIds: number[], nowMs = Date.now()): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (!stockIds.length) return out;
  const rows = await em.execute<Row[]>(
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
export async function availableByProduct(em: EntityManager, productIds: number[], nowMs = Date.now()): Promise<Map<number, number>> {
  const out = new Map<number, number>(productIds.map((id) => [id, 0]));
  if (!productIds.length) return out;
  const rows = await em.execute<Row[]>(
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
  em: EntityManager,
  options: { stockId?: number; nowMs?: number; limit?: number } = {},
): Promise<number> {
  const nowMs = options.nowMs ?? Date.now();
  const params: unknown[] = [nowMs];
  let sql = 'SELECT id, stock_id, quantity FROM stock_holds WHERE expires_at_ms <= ?';
  if (options.stockId !== undefined) {
    sql += ' AND stock_id = ?';
    params.push(options.stockId);
  }
  sql += ` ORDER BY stock_id, id LIMIT ${Math.max(1, Math.min(options.limit ?? 500, 5000))}`;
  const holds = await em.execute<Row[]>(sql, params);
  let released = 0;
  for (const h of holds) {
    const quantity = num(h.quantity);
    const deleted = await deleteHold(em, num(h.id), quantity, nowMs);
    if (!deleted) continue;
    await applyStockChangeOrRetry(em, {
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
  em: EntityManager,
  input: { productId: number; quantity: number; mode: 'hold' | 'sell'; actorId: number | null; orderId?: number | null; reason?: string },
): Promise<Allocation[]> {
  let rows = await findSellableStocks(em, input.productId);
  let free = rows.reduce((sum, r) => sum + Math.max(0, r.onHand - r.reserved), 0);
  if (free < input.quantity) {
    const lapsed = await lapsedHeldByStock(em, rows.map((r) => r.id));
    if (lapsed.size) {
      for (const stockId of [...lapsed.keys()].sort((a, b) => a - b)) await releaseLapsedHolds(em, { stockId });
      rows = await findSellableStocks(em, input.productId);
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
    await applyStockChangeOrRetry(em, {
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

export async function findHolds(em: EntityManager, cartItemIds: number[]): Promise<HoldRow[]> {
  if (!cartItemIds.length) return [];
  const rows = await em.execute<Row[]>(
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

export async function insertHold(em: EntityManager, hold: Omit<HoldRow, 'id'>): Promise<void> {
  await em.insert(StockHold, {
    cartItem: hold.cartItemId,
    stock: hold.stockId,
    quantity: hold.quantity,
    expiresAtMs: String(hold.expiresAtMs),
    createdAt: new Date(),
    updatedAt: new Date(),
  });
}

/** Compare-and-set on a hold's quantity: false when someone else changed or removed it. */
export async function updateHold(em: EntityManager, holdId: number, fromQuantity: number, toQuantity: number, expiresAtMs: number): Promise<boolean> {
  const result = await em.execute<{ affectedRows: number }>(
    'UPDATE stock_holds SET quantity = ?, expires_at_ms = ?, updated_at = ? WHERE id = ? AND quantity = ?',
    [toQuantity, expiresAtMs, dbNow(em), holdId, fromQuantity],
    'run',
  );
  return result.affectedRows === 1;
}

/**
 * Deletes a hold only if it still has `quantity` (and, with `lapsedBeforeMs`, only if it lapsed
 * by then). True means this transaction removed exactly that quantity and must give it back.
 */
export async function deleteHold(em: EntityManager, holdId: number, quantity: number, lapsedBeforeMs?: number): Promise<boolean> {
  const params: unknown[] = [holdId, quantity];
  let sql = 'DELETE FROM stock_holds WHERE id = ? AND quantity = ?';
  if (lapsedBeforeMs !== undefined) {
    sql += ' AND expires_at_ms <= ?';
    params.push(lapsedBeforeMs);
  }
  const result = await em.execute<{ affectedRows: number }>(sql, params, 'run');
  return result.affectedRows === 1;
}

/** Inserts the stock row for a warehouse × product if it is missing; a concurrent insert wins via the unique key. */
export async function ensureStockRow(em: EntityManager, warehouseId: number, productId: number): Promise<number> {
  const existing = await em.execute<Row>('SELECT id FROM stocks WHERE warehouse_id = ? AND product_id = ?', [warehouseId, productId], 'get');
  if (existing) return num(existing.id);
  const now = dbNow(em);
  const result = await em.execute<{ insertId: number }>(
    'INSERT INTO stocks (warehouse_id, product_id, on_hand, reserved, version, created_at, updated_at) VALUES (?, ?, 0, 0, 1, ?, ?)',
    [warehouseId, productId, now, now],
    'run',
  );
  return num(result.insertId);
}
