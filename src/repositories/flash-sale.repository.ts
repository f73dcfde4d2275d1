import { normalizeMoney } from '../common/money';
import { currentRead, dbNowMs, marks, num, type Row, type Sql } from '../db/sql';
import { deferredCount } from '../db/pagination';

/**
 * The only code that writes `flash_sales`, `flash_sale_buyers` and `flash_sale_holds`. The quota
 * and the per-buyer counters change only by guarded UPDATEs whose WHERE clause re-checks the rule
 * (quota left, window open by the DATABASE clock, allowance left) against the row as it is at that
 * instant: the affected-row count says whether the rule held. Callers run inside a unit of work,
 * on its `tx.sql`, in the stock write's transaction.
 *
 * Lock order (with the stock repository's): the sale row, then buyer rows, then stock rows.
 */

export interface SaleRow {
  id: number;
  productId: number;
  salePrice: string;
  startsAtMs: number;
  endsAtMs: number;
  quota: number | null;
  quotaRemaining: number | null;
  perBuyerLimit: number | null;
  regularPriceAllowed: boolean;
  cancelledAtMs: number | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
  /** The database clock when the row was read. */
  nowMs: number;
}

const SALE_COLUMNS =
  'f.id, f.product_id, f.sale_price, f.starts_at_ms, f.ends_at_ms, f.quota, f.quota_remaining, f.per_buyer_limit, f.regular_price_allowed, f.cancelled_at, f.created_at, f.updated_at, f.version';

const nullableNum = (value: unknown): number | null => (value === null || value === undefined ? null : num(value));
const toDate = (value: unknown): Date => (value instanceof Date ? value : new Date(typeof value === 'string' && !/^\d+$/.test(value) ? value : num(value)));

function toSaleRow(r: Row): SaleRow {
  return {
    id: num(r.id),
    productId: num(r.product_id),
    salePrice: normalizeMoney(r.sale_price as string),
    startsAtMs: num(r.starts_at_ms),
    endsAtMs: num(r.ends_at_ms),
    quota: nullableNum(r.quota),
    quotaRemaining: nullableNum(r.quota_remaining),
    perBuyerLimit: nullableNum(r.per_buyer_limit),
    regularPriceAllowed: Boolean(num(r.regular_price_allowed)),
    cancelledAtMs: r.cancelled_at === null || r.cancelled_at === undefined ? null : toDate(r.cancelled_at).getTime(),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    version: num(r.version),
    nowMs: num(r.now_ms),
  };
}

/** The database clock, epoch ms. */
export async function readDbNowMs(sql: Sql): Promise<number> {
  return num((await sql.get(`SELECT ${dbNowMs(sql)} AS now_ms`))?.now_ms);
}

/** One sale with the database clock, or null. With `forUpdate` (MySQL) the row is write-locked. */
export async function readSale(sql: Sql, saleId: number, options: { forUpdate?: boolean } = {}): Promise<SaleRow | null> {
  const row = await sql.get(`SELECT ${SALE_COLUMNS}, ${dbNowMs(sql)} AS now_ms FROM flash_sales f WHERE f.id = ?${options.forUpdate ? currentRead(sql) : ''}`, [saleId]);
  return row ? toSaleRow(row) : null;
}

/**
 * Per product, the sale that applies now or next: not cancelled, not ended (by the database
 * clock), the earliest start first. With `withLatest`, products that have none get their latest
 * sale instead (ended or cancelled), so that a watcher learns that it is over.
 */
export async function findCurrentSales(sql: Sql, productIds: number[], options: { withLatest?: boolean } = {}): Promise<Map<number, SaleRow>> {
  const out = new Map<number, SaleRow>();
  if (!productIds.length) return out;
  const now = dbNowMs(sql);
  let where = `f.cancelled_at IS NULL AND f.ends_at_ms > ${now}`;
  const params: unknown[] = [...productIds];
  if (options.withLatest) {
    where = `(${where}) OR f.id IN (SELECT MAX(g.id) FROM flash_sales g WHERE g.product_id IN (${marks(productIds.length)}) GROUP BY g.product_id)`;
    params.push(...productIds);
  }
  const rows = await sql.all(
    `SELECT ${SALE_COLUMNS}, ${now} AS now_ms FROM flash_sales f WHERE f.product_id IN (${marks(productIds.length)}) AND (${where}) ORDER BY f.starts_at_ms, f.id`,
    params,
  );
  for (const row of rows.map(toSaleRow)) {
    const seen = out.get(row.productId);
    const live = (s: SaleRow) => s.cancelledAtMs === null && s.endsAtMs > s.nowMs;
    if (!seen || (!live(seen) && live(row))) out.set(row.productId, row);
  }
  return out;
}

/** Sales of a product, newest start first (at most `limit`). */
export async function findSalesOfProduct(sql: Sql, productId: number, limit: number): Promise<SaleRow[]> {
  const rows = await sql.all(
    `SELECT ${SALE_COLUMNS}, ${dbNowMs(sql)} AS now_ms FROM flash_sales f WHERE f.product_id = ? ORDER BY f.starts_at_ms DESC, f.id DESC LIMIT ${Math.max(1, Math.floor(limit))}`,
    [productId],
  );
  return rows.map(toSaleRow);
}

/** A page of sales by ascending id after `afterId` (`activeAtMs`: only those running then, not cancelled), and the filtered count. */
export async function listSales(sql: Sql, options: { afterId: number; first: number; activeAtMs?: number }): Promise<{ rows: SaleRow[]; countTotal: () => Promise<number> }> {
  const filter = options.activeAtMs === undefined ? '1 = 1' : 'f.cancelled_at IS NULL AND f.starts_at_ms <= ? AND f.ends_at_ms > ?';
  const filterParams = options.activeAtMs === undefined ? [] : [options.activeAtMs, options.activeAtMs];
  const rows = await sql.all(
    `SELECT ${SALE_COLUMNS}, ${dbNowMs(sql)} AS now_ms FROM flash_sales f WHERE ${filter} AND f.id > ? ORDER BY f.id LIMIT ${Math.floor(options.first) + 1}`,
    [...filterParams, options.afterId],
  );
  const countTotal = deferredCount(async () => num((await sql.get(`SELECT COUNT(*) AS n FROM flash_sales f WHERE ${filter}`, filterParams))?.n));
  return { rows: rows.map(toSaleRow), countTotal };
}

/** Ids of the product's sales (other than `exceptId`) that are not cancelled and overlap [startsAtMs, endsAtMs). */
export async function findOverlappingSales(sql: Sql, productId: number, startsAtMs: number, endsAtMs: number, exceptId = 0): Promise<number[]> {
  const rows = await sql.all(
    'SELECT id FROM flash_sales WHERE product_id = ? AND id <> ? AND cancelled_at IS NULL AND starts_at_ms < ? AND ends_at_ms > ?',
    [productId, exceptId, endsAtMs, startsAtMs],
  );
  return rows.map((r) => num(r.id));
}

export interface SaleDraft {
  productId: number;
  salePrice: string;
  startsAtMs: number;
  endsAtMs: number;
  quota: number | null;
  perBuyerLimit: number | null;
  regularPriceAllowed: boolean;
}

export async function insertSale(sql: Sql, draft: SaleDraft): Promise<number> {
  const now = sql.date(new Date());
  const result = await sql.run(
    'INSERT INTO flash_sales (product_id, sale_price, starts_at_ms, ends_at_ms, quota, quota_remaining, per_buyer_limit, regular_price_allowed, cancelled_at, version, created_at, updated_at) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, 1, ?, ?)',
    [draft.productId, draft.salePrice, draft.startsAtMs, draft.endsAtMs, draft.quota, draft.quota, draft.perBuyerLimit, draft.regularPriceAllowed, now, now],
  );
  return num(result.insertId);
}

/**
 * Compare-and-set of a sale's terms on `version`. A new quota moves `quota_remaining` by the same
 * difference, guarded so that it never drops below zero (units already taken stay taken).
 */
export async function updateSaleTerms(sql: Sql, saleId: number, version: number, terms: Omit<SaleDraft, 'productId'>): Promise<boolean> {
  const result = await sql.run(
    'UPDATE flash_sales SET sale_price = ?, starts_at_ms = ?, ends_at_ms = ?, per_buyer_limit = ?, regular_price_allowed = ?, ' +
      'quota_remaining = CASE WHEN ? IS NULL THEN NULL WHEN quota IS NULL THEN ? ELSE quota_remaining + (? - quota) END, quota = ?, version = version + 1, updated_at = ? ' +
      'WHERE id = ? AND version = ? AND cancelled_at IS NULL AND (? IS NULL OR quota IS NULL OR quota_remaining + (? - quota) >= 0)',
    [
      terms.salePrice,
      terms.startsAtMs,
      terms.endsAtMs,
      terms.perBuyerLimit,
      terms.regularPriceAllowed,
      terms.quota,
      terms.quota,
      terms.quota,
      terms.quota,
      sql.date(new Date()),
      saleId,
      version,
      terms.quota,
      terms.quota,
    ],
  );
  return result.affectedRows === 1;
}

/** Marks a sale cancelled (once). */
export async function cancelSaleRow(sql: Sql, saleId: number): Promise<boolean> {
  const now = sql.date(new Date());
  return (await sql.run('UPDATE flash_sales SET cancelled_at = ?, version = version + 1, updated_at = ? WHERE id = ? AND cancelled_at IS NULL', [now, now, saleId])).affectedRows === 1;
}

/**
 * The quota's guarded decrement: takes `units` only while that many are left and the sale is
 * open by the database clock (started, not ended, not cancelled). False when the rule failed.
 */
export async function takeQuota(sql: Sql, saleId: number, units: number): Promise<boolean> {
  const now = dbNowMs(sql);
  const result = await sql.run(
    `UPDATE flash_sales SET quota_remaining = quota_remaining - ?, updated_at = ? WHERE id = ? AND quota_remaining >= ? ` +
      `AND starts_at_ms <= ${now} AND ends_at_ms > ${now} AND cancelled_at IS NULL`,
    [units, sql.date(new Date()), saleId, units],
  );
  return result.affectedRows === 1;
}

/** Gives units back to the quota (a released hold, a cancelled order), never above the quota itself. */
export async function returnQuota(sql: Sql, saleId: number, units: number): Promise<boolean> {
  const result = await sql.run(
    'UPDATE flash_sales SET quota_remaining = quota_remaining + ?, updated_at = ? WHERE id = ? AND quota_remaining IS NOT NULL AND quota_remaining + ? <= quota',
    [units, sql.date(new Date()), saleId, units],
  );
  return result.affectedRows === 1;
}

/**
 * Inserts the per-buyer counter rows that are missing (a concurrent insert of the same row is not
 * an error). Rows that exist are not touched: an insert into the unique index takes gap locks, so
 * a buyer's later attempts only read here.
 */
export async function ensureBuyerRows(sql: Sql, saleId: number, userIds: number[]): Promise<void> {
  const wanted = [...new Set(userIds)];
  if (!wanted.length) return;
  const existing = new Set(
    (await sql.all(`SELECT user_id FROM flash_sale_buyers WHERE flash_sale_id = ? AND user_id IN (${marks(wanted.length)})`, [saleId, ...wanted])).map((r) => num(r.user_id)),
  );
  const unique = wanted.filter((id) => !existing.has(id)).sort((a, b) => a - b);
  if (!unique.length) return;
  const now = sql.date(new Date());
  const values = unique.map(() => '(?, ?, 0, ?, ?)').join(', ');
  const conflict = sql.kind === 'mysql' ? ' ON DUPLICATE KEY UPDATE bought = bought' : ' ON CONFLICT (flash_sale_id, user_id) DO NOTHING';
  await sql.run(
    `INSERT INTO flash_sale_buyers (flash_sale_id, user_id, bought, created_at, updated_at) VALUES ${values}${conflict}`,
    unique.flatMap((userId) => [saleId, userId, now, now]),
  );
}

/** The per-buyer guarded increment: adds `units` only while the buyer stays within `limit`. */
export async function addBought(sql: Sql, saleId: number, userId: number, units: number, limit: number): Promise<boolean> {
  const result = await sql.run('UPDATE flash_sale_buyers SET bought = bought + ?, updated_at = ? WHERE flash_sale_id = ? AND user_id = ? AND bought + ? <= ?', [
    units,
    sql.date(new Date()),
    saleId,
    userId,
    units,
    limit,
  ]);
  return result.affectedRows === 1;
}

/** Gives a buyer's units back (never below zero). False when the counter does not have them. */
export async function subtractBought(sql: Sql, saleId: number, userId: number, units: number): Promise<boolean> {
  const result = await sql.run('UPDATE flash_sale_buyers SET bought = bought - ?, updated_at = ? WHERE flash_sale_id = ? AND user_id = ? AND bought >= ?', [
    units,
    sql.date(new Date()),
    saleId,
    userId,
    units,
  ]);
  return result.affectedRows === 1;
}

/** What a buyer has taken of a sale (0 without a row). */
export async function readBought(sql: Sql, saleId: number, userId: number): Promise<number> {
  return num((await sql.get('SELECT bought FROM flash_sale_buyers WHERE flash_sale_id = ? AND user_id = ?', [saleId, userId]))?.bought);
}

// ---- sale units held by cart lines ----

export interface SaleHoldRow {
  id: number;
  cartItemId: number;
  saleId: number;
  userId: number;
  quantity: number;
  expiresAtMs: number;
}

const toHold = (r: Row): SaleHoldRow => ({
  id: num(r.id),
  cartItemId: num(r.cart_item_id),
  saleId: num(r.flash_sale_id),
  userId: num(r.user_id),
  quantity: num(r.quantity),
  expiresAtMs: num(r.expires_at_ms),
});

const HOLD_COLUMNS = 'id, cart_item_id, flash_sale_id, user_id, quantity, expires_at_ms';

export async function findSaleHolds(sql: Sql, cartItemIds: number[]): Promise<SaleHoldRow[]> {
  if (!cartItemIds.length) return [];
  return (await sql.all(`SELECT ${HOLD_COLUMNS} FROM flash_sale_holds WHERE cart_item_id IN (${marks(cartItemIds.length)}) ORDER BY id`, cartItemIds)).map(toHold);
}

export async function insertSaleHold(sql: Sql, hold: Omit<SaleHoldRow, 'id'>): Promise<void> {
  const now = sql.date(new Date());
  await sql.run('INSERT INTO flash_sale_holds (cart_item_id, flash_sale_id, user_id, quantity, expires_at_ms, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    hold.cartItemId,
    hold.saleId,
    hold.userId,
    hold.quantity,
    hold.expiresAtMs,
    now,
    now,
  ]);
}

/** Compare-and-set on a sale hold's quantity. */
export async function updateSaleHold(sql: Sql, holdId: number, fromQuantity: number, toQuantity: number, expiresAtMs: number): Promise<boolean> {
  const result = await sql.run('UPDATE flash_sale_holds SET quantity = ?, expires_at_ms = ?, updated_at = ? WHERE id = ? AND quantity = ?', [
    toQuantity,
    expiresAtMs,
    sql.date(new Date()),
    holdId,
    fromQuantity,
  ]);
  return result.affectedRows === 1;
}

/** Deletes a sale hold if it is still as read (and, with `lapsedBeforeMs`, still lapsed). */
export async function deleteSaleHold(sql: Sql, hold: Pick<SaleHoldRow, 'id' | 'quantity'>, lapsedBeforeMs?: number): Promise<boolean> {
  const params: unknown[] = [hold.id, hold.quantity];
  let statement = 'DELETE FROM flash_sale_holds WHERE id = ? AND quantity = ?';
  if (lapsedBeforeMs !== undefined) {
    statement += ' AND expires_at_ms <= ?';
    params.push(lapsedBeforeMs);
  }
  return (await sql.run(statement, params)).affectedRows === 1;
}

/** Sale holds that lapsed before `nowMs` (of one sale, of one buyer in it, or of all), oldest first. */
export async function findLapsedSaleHolds(sql: Sql, options: { saleId?: number; userId?: number; nowMs: number; limit: number }): Promise<SaleHoldRow[]> {
  const params: unknown[] = [options.nowMs];
  let query = `SELECT ${HOLD_COLUMNS} FROM flash_sale_holds WHERE expires_at_ms <= ?`;
  if (options.saleId !== undefined) {
    query += ' AND flash_sale_id = ?';
    params.push(options.saleId);
  }
  if (options.userId !== undefined) {
    query += ' AND user_id = ?';
    params.push(options.userId);
  }
  query += ` ORDER BY flash_sale_id, id LIMIT ${Math.max(1, Math.min(options.limit, 5000))}`;
  return (await sql.all(query, params)).map(toHold);
}

/** Units of an order sold under a sale, per sale (with the order's buyer). */
export async function findOrderSaleUnits(sql: Sql, orderId: number): Promise<{ saleId: number; userId: number; quantity: number }[]> {
  const rows = await sql.all(
    'SELECT l.flash_sale_id, o.user_id, SUM(l.quantity) AS quantity FROM order_lines l JOIN orders o ON o.id = l.order_id ' +
      'WHERE l.order_id = ? AND l.flash_sale_id IS NOT NULL GROUP BY l.flash_sale_id, o.user_id ORDER BY l.flash_sale_id',
    [orderId],
  );
  return rows.map((r) => ({ saleId: num(r.flash_sale_id), userId: num(r.user_id), quantity: num(r.quantity) }));
}

// ---- audit reads ----

export interface SaleAuditRow {
  id: number;
  quota: number | null;
  quotaRemaining: number | null;
  held: number;
  sold: number;
}

/** Every sale with its units held in carts and sold in orders that are not cancelled. */
export async function readSaleAuditRows(sql: Sql): Promise<SaleAuditRow[]> {
  const rows = await sql.all(
    'SELECT f.id, f.quota, f.quota_remaining, ' +
      'COALESCE((SELECT SUM(h.quantity) FROM flash_sale_holds h WHERE h.flash_sale_id = f.id), 0) AS held, ' +
      "COALESCE((SELECT SUM(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.flash_sale_id = f.id AND o.status <> 'CANCELLED'), 0) AS sold " +
      'FROM flash_sales f ORDER BY f.id',
  );
  return rows.map((r) => ({ id: num(r.id), quota: nullableNum(r.quota), quotaRemaining: nullableNum(r.quota_remaining), held: num(r.held), sold: num(r.sold) }));
}

export interface BuyerAuditRow {
  saleId: number;
  userId: number;
  limit: number | null;
  bought: number | null;
  held: number;
  sold: number;
}

/**
 * Every (sale, buyer) that has a counter, a sale hold or a sale order line, with the three numbers:
 * three grouped reads merged here (one pass each, instead of a subquery per buyer).
 */
export async function readBuyerAuditRows(sql: Sql): Promise<BuyerAuditRow[]> {
  const limits = new Map((await sql.all('SELECT id, per_buyer_limit FROM flash_sales')).map((r) => [num(r.id), nullableNum(r.per_buyer_limit)]));
  const out = new Map<string, BuyerAuditRow>();
  const at = (saleId: unknown, userId: unknown): BuyerAuditRow => {
    const key = `${num(saleId)}:${num(userId)}`;
    let row = out.get(key);
    if (!row) {
      row = { saleId: num(saleId), userId: num(userId), limit: limits.get(num(saleId)) ?? null, bought: null, held: 0, sold: 0 };
      out.set(key, row);
    }
    return row;
  };
  for (const r of await sql.all('SELECT flash_sale_id, user_id, bought FROM flash_sale_buyers')) at(r.flash_sale_id, r.user_id).bought = num(r.bought);
  for (const r of await sql.all('SELECT flash_sale_id, user_id, SUM(quantity) AS qty FROM flash_sale_holds GROUP BY flash_sale_id, user_id')) {
    at(r.flash_sale_id, r.user_id).held = num(r.qty);
  }
  const sold = await sql.all(
    'SELECT l.flash_sale_id, o.user_id, SUM(l.quantity) AS qty FROM order_lines l JOIN orders o ON o.id = l.order_id ' +
      "WHERE l.flash_sale_id IS NOT NULL AND o.status <> 'CANCELLED' GROUP BY l.flash_sale_id, o.user_id",
  );
  for (const r of sold) at(r.flash_sale_id, r.user_id).sold = num(r.qty);
  return [...out.values()].sort((a, b) => a.saleId - b.saleId || a.userId - b.userId);
}
