import { RetryableConflict } from '../common/errors';
import { currentRead, marks, num, previousMatched, runOf, type Row, type Sql, type RunResult, type Statement } from '../db/sql';
import { StockMovementKind } from '../entities';

/**
 * The only code that writes `stocks`, `stock_holds` and `stock_movements`. Every stock change is
 * ONE guarded UPDATE whose WHERE clause re-checks the invariants against the row as it is at that
 * instant (and, for a compare-and-set, the version), followed in the same transaction by its
 * ledger row(s). A stale read can therefore never be written back: a write that lost a race
 * matches no row, and the caller retries the whole unit of work. Callers run inside a unit of
 * work, on its `tx.sql`.
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

export interface StockRow extends StockState {
  warehouseId: number;
  productId: number;
}

/** What one ledger row records besides the deltas: why, for which order, by whom. */
interface LedgerNote {
  kind: StockMovementKind;
  reason?: string | null;
  orderId?: number | null;
  actorId?: number | null;
  /** SALE: the price per unit paid. */
  unitPrice?: string | null;
}

export interface StockChange extends LedgerNote {
  stockId: number;
  onHandDelta: number;
  reservedDelta: number;
  /** Compare-and-set: the write applies only while the row still has this version. */
  expectedVersion?: number;
}

/** The columns of a stock row, as every reader selects them (table alias `s`). */
export const STOCK_COLUMNS = 's.id, s.warehouse_id, s.product_id, s.on_hand, s.reserved, s.version';

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

/** Units of a row that no hold has reserved (lapsed holds still count until released). */
export const freeOf = (row: StockState): number => Math.max(0, row.onHand - row.reserved);

/**
 * A stock row as it is now. With `forUpdate`, on MySQL it is also write-locked until the
 * transaction ends (SQLite serialises writing transactions anyway); the write itself still goes
 * through the guarded statement below.
 */
export async function readStock(sql: Sql, stockId: number, options: { forUpdate?: boolean } = {}): Promise<StockRow | null> {
  const lock = options.forUpdate ? currentRead(sql) : '';
  const row = await sql.get(`SELECT ${STOCK_COLUMNS} FROM stocks s WHERE s.id = ?${lock}`, [stockId]);
  return row ? toStockRow(row) : null;
}

/** Stock rows of a product in live (not archived) warehouses, in lock order. */
export async function findSellableStocks(sql: Sql, productId: number): Promise<StockRow[]> {
  const rows = await sql.all(
    `SELECT ${STOCK_COLUMNS} FROM stocks s JOIN warehouses w ON w.id = s.warehouse_id WHERE s.product_id = ? AND w.archived_at IS NULL ORDER BY s.id`,
    [productId],
  );
  return rows.map(toStockRow);
}

/** Ids of a warehouse's stock rows, in lock order. */
export async function findStockIdsOfWarehouse(sql: Sql, warehouseId: number): Promise<number[]> {
  return (await sql.all('SELECT id FROM stocks WHERE warehouse_id = ? ORDER BY id', [warehouseId])).map((r) => num(r.id));
}

/**
 * The one guarded write: adds the deltas to a stock row only if the result still satisfies
 * `0 <= reserved <= on_hand` (and, with `expectedVersion`, only while the row has that version),
 * bumping the version. It matches no row when the guard failed; nothing is written then. With
 * `afterMatch`, also only when the statement before it in the batch matched one row (the hold it
 * settles was still there).
 */
function guardedUpdate(
  sql: Sql,
  write: { stockId: number; onHandDelta: number; reservedDelta: number; expectedVersion?: number; soldDelta?: number; afterMatch?: boolean },
): Statement {
  const { stockId, onHandDelta, reservedDelta, expectedVersion } = write;
  const params: unknown[] = [onHandDelta, reservedDelta, write.soldDelta ?? 0, sql.date(new Date()), stockId, reservedDelta, reservedDelta, onHandDelta];
  let update =
    'UPDATE stocks SET on_hand = on_hand + ?, reserved = reserved + ?, sold = sold + ?, version = version + 1, updated_at = ? ' +
    'WHERE id = ? AND reserved + ? >= 0 AND reserved + ? <= on_hand + ?';
  if (expectedVersion !== undefined) {
    update += ' AND version = ?';
    params.push(expectedVersion);
  }
  if (write.afterMatch) update += ` AND ${previousMatched(sql)}`;
  return { sql: update, params, lockKey: stockId };
}

/**
 * How a change moves the row's `sold` counter (units in orders that are not cancelled): a SALE
 * adds what leaves on hand, a CANCELLATION takes back what returns. Carried by the guarded UPDATE
 * itself, so the counter costs no statement and no row of its own.
 */
function soldDeltaOf(change: Pick<StockChange, 'kind' | 'onHandDelta'>): number {
  return change.kind === StockMovementKind.SALE || change.kind === StockMovementKind.CANCELLATION ? -change.onHandDelta : 0;
}

/** One ledger entry of a write; `onHandLater`: what the entries after it took from on hand. */
interface LedgerEntry extends LedgerNote {
  onHandDelta: number;
  reservedDelta: number;
  onHandLater: number;
}

const LEDGER_INSERT =
  'INSERT INTO stock_movements (stock_id, product_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, order_id, actor_id, unit_price, created_at, updated_at) ';

/**
 * The one ledger writer: the ledger rows of the write that the statement just before it (in the
 * same batch) made to a stock row, in one INSERT … SELECT that copies the after-values from the
 * row that write has locked, so they are exactly this change's result; it writes nothing when that
 * write matched no row (its guard failed). Several entries are the serial decomposition of one
 * write: each records the row as it was right after that entry alone.
 */
function ledgerInsert(sql: Sql, stockId: number, entries: LedgerEntry[]): Statement {
  const now = sql.date(new Date());
  const applied = previousMatched(sql);
  if (entries.length === 1) {
    const e = entries[0];
    return {
      sql: `${LEDGER_INSERT}SELECT id, product_id, ?, ?, ?, on_hand + ?, reserved, ?, ?, ?, ?, ?, ? FROM stocks WHERE id = ? AND ${applied}`,
      params: [e.kind, e.onHandDelta, e.reservedDelta, e.onHandLater, e.reason ?? null, e.orderId ?? null, e.actorId ?? null, e.unitPrice ?? null, now, now, stockId],
    };
  }
  const derived = entries.map(
    () => 'SELECT ? AS seq, ? AS kind, ? AS on_hand_delta, ? AS reserved_delta, ? AS later, ? AS reason, ? AS order_id, ? AS actor_id, ? AS unit_price',
  );
  return {
    sql:
      `${LEDGER_INSERT}SELECT s.id, s.product_id, m.kind, m.on_hand_delta, m.reserved_delta, s.on_hand + m.later, s.reserved, m.reason, m.order_id, m.actor_id, m.unit_price, ?, ? ` +
      `FROM stocks s JOIN (${derived.join(' UNION ALL ')}) m ON 1 = 1 WHERE s.id = ? AND ${applied} ORDER BY m.seq`,
    params: [
      now,
      now,
      ...entries.flatMap((e, seq) => [seq, e.kind, e.onHandDelta, e.reservedDelta, e.onHandLater, e.reason ?? null, e.orderId ?? null, e.actorId ?? null, e.unitPrice ?? null]),
      stockId,
    ],
  };
}

/**
 * A guarded write and its ledger rows, in one round trip (the hot row stays locked for as few
 * round trips as possible). False when the guard failed: then neither wrote anything.
 */
async function writeWithLedger(sql: Sql, stockId: number, update: Statement, entries: LedgerEntry[]): Promise<boolean> {
  const [written, ledger] = (await sql.batch([update, ledgerInsert(sql, stockId, entries)])).map(runOf);
  if (written.affectedRows !== 1) return false;
  if (ledger.affectedRows !== entries.length) throw new Error(`stock ${stockId} vanished inside its own transaction`);
  return true;
}

/**
 * Applies one change as a single guarded statement and records it in the ledger. False when the
 * guard failed (not enough stock, a reserved amount that is not there, or a stale version).
 */
export async function applyStockChange(sql: Sql, change: StockChange): Promise<boolean> {
  const step = stockChangeStep(sql, change);
  const results = (await sql.batch(step.statements)).map(runOf);
  if (results[0].affectedRows !== 1) return false;
  step.verify(results);
  return true;
}

/** Like applyStockChange, but a failed guard means another transaction won: retry the unit. */
export async function applyStockChangeOrRetry(sql: Sql, change: StockChange): Promise<void> {
  if (!(await applyStockChange(sql, change))) throw new RetryableConflict(`stock ${change.stockId} changed concurrently`);
}

export interface Sale {
  orderId: number;
  quantity: number;
  actorId: number;
  /** The price per unit paid (the flash sale's while one applied). */
  unitPrice: string;
}

/**
 * Sells several orders' units from ONE stock row in one guarded statement (the buyNow batch),
 * with one SALE ledger row per order, in `sales` order, so that the ledger chain is exactly as if
 * the orders had been applied one by one. False when the row no longer has the total free.
 */
export async function sellInBatch(sql: Sql, stockId: number, sales: Sale[], reason: string): Promise<boolean> {
  const total = sales.reduce((sum, s) => sum + s.quantity, 0);
  let later = total;
  const entries = sales.map((s) => {
    later -= s.quantity;
    return { kind: StockMovementKind.SALE, onHandDelta: -s.quantity, reservedDelta: 0, onHandLater: later, reason, orderId: s.orderId, actorId: s.actorId, unitPrice: s.unitPrice };
  });
  const update = guardedUpdate(sql, { stockId, onHandDelta: -total, reservedDelta: 0, soldDelta: total });
  return writeWithLedger(sql, stockId, update, entries);
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

// ---- holds ----

export interface HoldRow {
  id: number;
  cartItemId: number;
  stockId: number;
  warehouseId: number;
  quantity: number;
  expiresAtMs: number;
}

/** The holds of some cart lines, in lock order (stock id), with the warehouse of each. */
export async function findHolds(sql: Sql, cartItemIds: number[]): Promise<HoldRow[]> {
  if (!cartItemIds.length) return [];
  const rows = await sql.all(
    'SELECT h.id, h.cart_item_id, h.stock_id, s.warehouse_id, h.quantity, h.expires_at_ms FROM stock_holds h JOIN stocks s ON s.id = h.stock_id ' +
      // Sorted here, not by the server (a filesort per statement).
      `WHERE h.cart_item_id IN (${marks(cartItemIds.length)})`,
    cartItemIds,
  );
  const holds = rows.map((r) => ({
    id: num(r.id),
    cartItemId: num(r.cart_item_id),
    stockId: num(r.stock_id),
    warehouseId: num(r.warehouse_id),
    quantity: num(r.quantity),
    expiresAtMs: num(r.expires_at_ms),
  }));
  return holds.sort((a, b) => a.stockId - b.stockId || a.id - b.id);
}

/** A new hold row, after its guarded stock write (its foreign key share-locks the stock row). */
export function insertHoldStatement(sql: Sql, hold: { cartItemId: number; stockId: number; quantity: number; expiresAtMs: number }): Statement {
  const now = sql.date(new Date());
  return {
    sql: 'INSERT INTO stock_holds (cart_item_id, stock_id, quantity, expires_at_ms, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    params: [hold.cartItemId, hold.stockId, hold.quantity, hold.expiresAtMs, now, now],
  };
}

/** A hold of a cart line inserted by this unit without its id (deferInsertItem): the line is found by its unique (cart_id, product_id). */
export function insertHoldForNewLineStatement(sql: Sql, hold: { cartId: number; productId: number; stockId: number; quantity: number; expiresAtMs: number }): Statement {
  const now = sql.date(new Date());
  return {
    sql:
      'INSERT INTO stock_holds (cart_item_id, stock_id, quantity, expires_at_ms, created_at, updated_at) ' +
      'SELECT ci.id, ?, ?, ?, ?, ? FROM cart_items ci WHERE ci.cart_id = ? AND ci.product_id = ?',
    params: [hold.stockId, hold.quantity, hold.expiresAtMs, now, now, hold.cartId, hold.productId],
  };
}

export async function insertHold(sql: Sql, hold: { cartItemId: number; stockId: number; quantity: number; expiresAtMs: number }): Promise<void> {
  await sql.batch([insertHoldStatement(sql, hold)]);
}

function updateHoldStatement(sql: Sql, holdId: number, fromQuantity: number, toQuantity: number, expiresAtMs: number): Statement {
  return {
    sql: 'UPDATE stock_holds SET quantity = ?, expires_at_ms = ?, updated_at = ? WHERE id = ? AND quantity = ?',
    params: [toQuantity, expiresAtMs, sql.date(new Date()), holdId, fromQuantity],
  };
}

/** Holds that lapsed before `nowMs` (of one stock row, or of all), oldest rows first. */
async function findLapsedHolds(sql: Sql, options: { stockId?: number; nowMs: number; limit: number }): Promise<Pick<HoldRow, 'id' | 'stockId' | 'quantity'>[]> {
  const params: unknown[] = [options.nowMs];
  let query = 'SELECT id, stock_id, quantity FROM stock_holds WHERE expires_at_ms <= ?';
  if (options.stockId !== undefined) {
    query += ' AND stock_id = ?';
    params.push(options.stockId);
  }
  query += ` ORDER BY stock_id, id LIMIT ${Math.max(1, Math.min(options.limit, 5000))}`;
  return (await sql.all(query, params)).map((h) => ({ id: num(h.id), stockId: num(h.stock_id), quantity: num(h.quantity) }));
}

export interface HoldRelease extends LedgerNote {
  /** Units of the hold to give up (all of it when omitted); a part leaves the rest held until `keepUntilMs`. */
  quantity?: number;
  keepUntilMs?: number;
  /** Units of those that are sold (leave on hand) rather than returned: checkout. */
  sold?: number;
  /** Only if the hold lapsed by then (the sweeper). */
  lapsedBeforeMs?: number;
}

/**
 * The statements of one hold or stock change, to send in one round trip with others
 * (`runSteps`), and the check of what they matched: it throws when they did not apply
 * (RetryableConflict when a concurrent transaction got there first), and the unit rolls back.
 */
export interface Step {
  statements: Statement[];
  verify: (results: RunResult[]) => void;
}

/** Runs the steps in order in one round trip (Sql.batch) and checks each one's results. */
export async function runSteps(sql: Sql, steps: Step[]): Promise<void> {
  if (!steps.length) return;
  const results = (await sql.batch(steps.flatMap((s) => s.statements))).map(runOf);
  let at = 0;
  for (const step of steps) {
    step.verify(results.slice(at, at + step.statements.length));
    at += step.statements.length;
  }
}

/**
 * The one hold-release routine, as a step: takes (part of) a hold back by compare-and-set on the
 * hold, then moves the units out of `reserved` with one guarded stock write and its ledger row
 * (RELEASE, EXPIRY, or SALE when `sold`). A hold no longer as read (a concurrent transaction
 * changed or released it) fails its check as a RetryableConflict, with nothing written (the
 * stock write and the ledger row act only after the compare-and-set matched); the sweeper skips
 * such a hold instead.
 */
export function releaseStep(sql: Sql, hold: Pick<HoldRow, 'id' | 'stockId' | 'quantity'>, release: HoldRelease): Step {
  const quantity = release.quantity ?? hold.quantity;
  let take: Statement;
  if (quantity < hold.quantity) {
    take = updateHoldStatement(sql, hold.id, hold.quantity, hold.quantity - quantity, release.keepUntilMs ?? Date.now());
  } else {
    const params: unknown[] = [hold.id, hold.quantity];
    let statement = 'DELETE FROM stock_holds WHERE id = ? AND quantity = ?';
    if (release.lapsedBeforeMs !== undefined) {
      statement += ' AND expires_at_ms <= ?';
      params.push(release.lapsedBeforeMs);
    }
    take = { sql: statement, params };
  }
  // The hold taken by compare-and-set, the stock write only if it was (afterMatch), its ledger row only if that applied.
  const { kind, reason, orderId, actorId, unitPrice } = release;
  const change = { stockId: hold.stockId, onHandDelta: -(release.sold ?? 0), reservedDelta: -quantity, kind, reason, orderId, actorId, unitPrice };
  const update = guardedUpdate(sql, { ...change, soldDelta: soldDeltaOf(change), afterMatch: true });
  return {
    statements: [take, update, ledgerInsert(sql, hold.stockId, [{ ...change, onHandLater: 0 }])],
    verify: ([taken, written, ledger]) => {
      if (taken.affectedRows !== 1) throw new RetryableConflict(`hold ${hold.id} changed concurrently`);
      if (written.affectedRows !== 1) throw new RetryableConflict(`stock ${hold.stockId} changed concurrently`);
      if (ledger.affectedRows !== 1) throw new Error(`stock ${hold.stockId} vanished inside its own transaction`);
    },
  };
}

/** Compare-and-set on a hold's quantity and expiry, as a step: a hold someone else changed or removed is a RetryableConflict. */
export function updateHoldStep(sql: Sql, hold: Pick<HoldRow, 'id' | 'quantity'>, toQuantity: number, expiresAtMs: number): Step {
  return {
    statements: [updateHoldStatement(sql, hold.id, hold.quantity, toQuantity, expiresAtMs)],
    verify: ([updated]) => {
      if (updated.affectedRows !== 1) throw new RetryableConflict(`hold ${hold.id} changed concurrently`);
    },
  };
}

/** One change's guarded stock write and its ledger row, as a step (applyStockChange runs one alone): a failed guard is a RetryableConflict. */
export function stockChangeStep(sql: Sql, change: StockChange): Step {
  return {
    statements: [guardedUpdate(sql, { ...change, soldDelta: soldDeltaOf(change) }), ledgerInsert(sql, change.stockId, [{ ...change, onHandLater: 0 }])],
    verify: ([written, ledger]) => {
      if (written.affectedRows !== 1) throw new RetryableConflict(`stock ${change.stockId} changed concurrently`);
      if (ledger.affectedRows !== 1) throw new Error(`stock ${change.stockId} vanished inside its own transaction`);
    },
  };
}

/**
 * Releases lapsed holds (of one stock row, or of all rows when `stockId` is omitted), each with an
 * EXPIRY ledger row. A hold is deleted only if it is still lapsed and unchanged, so a concurrent
 * refresh or checkout of the same hold wins cleanly and nothing is released twice.
 * Returns the quantity released.
 */
export async function releaseLapsedHolds(sql: Sql, options: { stockId?: number; nowMs?: number; limit?: number } = {}): Promise<number> {
  const nowMs = options.nowMs ?? Date.now();
  const holds = await findLapsedHolds(sql, { stockId: options.stockId, nowMs, limit: options.limit ?? 500 });
  let released = 0;
  // Up to SWEEP_ROUND_TRIP holds per round trip: each release's stock write and ledger row act only
  // if its compare-and-set took the hold, so one that a concurrent transaction took first is skipped.
  for (let at = 0; at < holds.length; at += SWEEP_ROUND_TRIP) {
    const chunk = holds.slice(at, at + SWEEP_ROUND_TRIP);
    const steps = chunk.map((hold) => releaseStep(sql, hold, { kind: StockMovementKind.EXPIRY, reason: 'cart hold lapsed', lapsedBeforeMs: nowMs }));
    const results = (await sql.batch(steps.flatMap((step) => step.statements))).map(runOf);
    steps.forEach((step, i) => {
      const own = results.slice(i * step.statements.length, (i + 1) * step.statements.length);
      if (own[0].affectedRows !== 1) return;
      step.verify(own);
      released += chunk[i].quantity;
    });
  }
  return released;
}

/** Lapsed holds released per round trip (three statements each). */
const SWEEP_ROUND_TRIP = 100;

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

/** Units held (by holds that have not lapsed) in a warehouse's stock rows. */
export async function activeHeldInWarehouse(sql: Sql, warehouseId: number, nowMs = Date.now()): Promise<number> {
  const row = await sql.get(
    'SELECT COALESCE(SUM(h.quantity), 0) AS qty FROM stock_holds h JOIN stocks s ON s.id = h.stock_id WHERE s.warehouse_id = ? AND h.expires_at_ms > ?',
    [warehouseId, nowMs],
  );
  return num(row?.qty);
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

// ---- audit reads ----

export interface StockAuditRow {
  id: number;
  onHand: number;
  reserved: number;
  sold: number;
}

/** Ids per statement when an audit read is limited to some stock rows. */
const AUDIT_CHUNK = 1000;

/** Runs `read` over `ids` in chunks (all rows at once when `ids` is omitted). */
async function inChunks<T>(ids: number[] | undefined, read: (where: string, params: number[]) => Promise<T[]>): Promise<T[]> {
  if (!ids) return read('', []);
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += AUDIT_CHUNK) {
    const chunk = ids.slice(i, i + AUDIT_CHUNK);
    out.push(...(await read(`IN (${marks(chunk.length)})`, chunk)));
  }
  return out;
}

/** Stock rows (all, or the given ones) as the audit checks them, in id order. */
export async function readStockAuditRows(sql: Sql, stockIds?: number[]): Promise<StockAuditRow[]> {
  const rows = await inChunks(stockIds, (where, params) =>
    sql.all(`SELECT id, on_hand, reserved, sold FROM stocks${where ? ` WHERE id ${where}` : ''} ORDER BY id`, params),
  );
  return rows.map((r) => ({ id: num(r.id), onHand: num(r.on_hand), reserved: num(r.reserved), sold: num(r.sold) }));
}

/** Quantity in holds per stock row (all rows, or the given ones), lapsed-but-unswept holds included. */
export async function heldByStock(sql: Sql, stockIds?: number[]): Promise<Map<number, number>> {
  const rows = await inChunks(stockIds, (where, params) =>
    sql.all(`SELECT stock_id, SUM(quantity) AS qty FROM stock_holds${where ? ` WHERE stock_id ${where}` : ''} GROUP BY stock_id`, params),
  );
  return new Map(rows.map((r) => [num(r.stock_id), num(r.qty)]));
}

/**
 * Units per stock row in order lines of orders that are not cancelled (what `stocks.sold` must
 * hold), set-based. Over all rows, MySQL is told to read the lines in their own order and look
 * each order up by primary key (STRAIGHT_JOIN): its own choice, the orders first and each one's
 * lines by a secondary index, took twice as long on 2,000,000 lines.
 */
export async function orderedByStock(sql: Sql, stockIds?: number[]): Promise<Map<number, number>> {
  const join = sql.kind === 'mysql' && !stockIds ? 'STRAIGHT_JOIN' : 'JOIN';
  const rows = await inChunks(stockIds, (where, params) =>
    sql.all(
      `SELECT ol.stock_id, SUM(ol.quantity) AS qty FROM order_lines ol ${join} orders o ON o.id = ol.order_id WHERE o.status <> 'CANCELLED'${where ? ` AND ol.stock_id ${where}` : ''} GROUP BY ol.stock_id`,
      params,
    ),
  );
  return new Map(rows.map((r) => [num(r.stock_id), num(r.qty)]));
}

/** The after-values of each given stock row's last movement with id <= `maxId` (its state at a checkpoint). */
export async function chainStatesAt(sql: Sql, stockIds: number[], maxId: number): Promise<Map<number, { onHand: number; reserved: number }>> {
  const rows = await inChunks(stockIds, (where, params) =>
    sql.all(
      'SELECT m.stock_id, m.on_hand_after, m.reserved_after FROM stock_movements m JOIN ' +
        `(SELECT stock_id, MAX(id) AS id FROM stock_movements WHERE id <= ? AND stock_id ${where} GROUP BY stock_id) last ON last.id = m.id`,
      [maxId, ...params],
    ),
  );
  return new Map(rows.map((r) => [num(r.stock_id), { onHand: num(r.on_hand_after), reserved: num(r.reserved_after) }]));
}

/** The last movement id of the newest checkpoint a clean audit wrote, or null. */
export async function latestAuditCheckpoint(sql: Sql): Promise<number | null> {
  const row = await sql.get('SELECT last_movement_id FROM stock_audit_checkpoints ORDER BY id DESC LIMIT 1');
  return row ? num(row.last_movement_id) : null;
}

/** Records that the ledger up to `lastMovementId` was audited clean. */
export async function insertAuditCheckpoint(sql: Sql, checkpoint: { lastMovementId: number; stocksChecked: number; movementsChecked: number; full: boolean }): Promise<void> {
  const now = sql.date(new Date());
  await sql.run(
    'INSERT INTO stock_audit_checkpoints (last_movement_id, stocks_checked, movements_checked, full_audit, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    [checkpoint.lastMovementId, checkpoint.stocksChecked, checkpoint.movementsChecked, checkpoint.full ? 1 : 0, now, now],
  );
}

export interface MovementRow {
  id: number;
  stockId: number;
  onHandDelta: number;
  reservedDelta: number;
  onHandAfter: number;
  reservedAfter: number;
}

/** One page of the ledger in id order, after `afterId`. */
export async function readMovementPage(sql: Sql, afterId: number, limit: number): Promise<MovementRow[]> {
  const rows = await sql.all(
    `SELECT id, stock_id, on_hand_delta, reserved_delta, on_hand_after, reserved_after FROM stock_movements WHERE id > ? ORDER BY id LIMIT ${Math.max(1, Math.floor(limit))}`,
    [afterId],
  );
  return rows.map((m) => ({
    id: num(m.id),
    stockId: num(m.stock_id),
    onHandDelta: num(m.on_hand_delta),
    reservedDelta: num(m.reserved_delta),
    onHandAfter: num(m.on_hand_after),
    reservedAfter: num(m.reserved_after),
  }));
}
