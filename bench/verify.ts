import type { Orm } from '../src/config/database';
import type { Em } from '../src/services/context';
import { auditStock } from '../src/services/stock-audit.service';

/**
 * Correctness after every run. Each run owns its own stock rows, so its books can be closed on
 * their own: units sold (order lines) + units remaining = units stocked, nothing negative, nothing
 * left reserved or held, one order per successful response, and a clean ledger (the project's
 * `auditStock` plus an independent check here). The naive canary is expected to fail: its
 * oversell and lost updates are measured, not treated as an error.
 */

export type LedgerMode = 'full' | 'none' | 'canary';

export interface CheckInput {
  stockIds: number[];
  /** Units each stock row was created with. */
  initialEach: number;
  /** Successful orders counted by the client. */
  okOrders: number;
  /** 'none': a strategy that writes no orders and no ledger (L1); 'canary': the naive strategy. */
  ledger: LedgerMode;
  /** A run that only churns carts creates no orders. */
  expectOrders: boolean;
}

export interface CheckResult {
  ok: boolean;
  problems: string[];
  initial: number;
  sold: number;
  remaining: number;
  reserved: number;
  holds: number;
  ordersInDb: number;
  /** Orders recorded beyond the units that existed. */
  oversold: number;
  /** Sales whose decrement was overwritten by a concurrent stale write. */
  lostUpdates: number;
  audit: string;
}

type Row = Record<string, unknown>;
const num = (v: unknown): number => Number(v ?? 0);

export async function checkRun(orm: Orm, input: CheckInput): Promise<CheckResult> {
  const em = orm.em.fork() as Em;
  const ids = input.stockIds;
  const marks = ids.map(() => '?').join(',');
  const problems: string[] = [];

  const [stock] = await em.execute<Row[]>(
    `SELECT COALESCE(SUM(on_hand), 0) AS on_hand, COALESCE(SUM(reserved), 0) AS reserved, MIN(on_hand) AS min_on_hand, MIN(reserved) AS min_reserved FROM stocks WHERE id IN (${marks})`,
    ids,
  );
  const [lines] = await em.execute<Row[]>(
    `SELECT COALESCE(SUM(quantity), 0) AS sold, COUNT(DISTINCT order_id) AS orders FROM order_lines WHERE stock_id IN (${marks})`,
    ids,
  );
  const [held] = await em.execute<Row[]>(`SELECT COALESCE(SUM(quantity), 0) AS qty FROM stock_holds WHERE stock_id IN (${marks})`, ids);

  const initial = input.initialEach * ids.length;
  const remaining = num(stock.on_hand);
  const reserved = num(stock.reserved);
  const ordersInDb = num(lines.orders);
  const sold = input.ledger === 'none' ? input.okOrders : num(lines.sold);

  if (num(stock.min_on_hand) < 0) problems.push(`negative on_hand (${num(stock.min_on_hand)})`);
  if (num(stock.min_reserved) < 0) problems.push(`negative reserved (${num(stock.min_reserved)})`);
  if (reserved !== 0) problems.push(`reserved ${reserved} at the end (expected 0)`);
  if (num(held.qty) !== 0) problems.push(`${num(held.qty)} units still held by carts`);
  if (input.ledger !== 'none' && ordersInDb !== input.okOrders) {
    problems.push(`${ordersInDb} orders in the database for ${input.okOrders} successful responses`);
  }
  if (!input.expectOrders && ordersInDb !== 0) problems.push(`${ordersInDb} orders from a run that places none`);

  const oversold = Math.max(0, sold - initial);
  const lostUpdates = sold - (initial - remaining);
  if (input.ledger !== 'canary' && sold + remaining !== initial) {
    problems.push(`sold ${sold} + remaining ${remaining} = ${sold + remaining}, stocked ${initial}`);
  }

  let audit = 'n/a (writes no ledger by design)';
  if (input.ledger !== 'none') {
    // The ledger, independently of auditStock: row = sum of deltas, SALE rows = units sold.
    const ledger = await em.execute<Row[]>(
      `SELECT s.id, s.on_hand, s.reserved, COALESCE(SUM(m.on_hand_delta), 0) AS d_on, COALESCE(SUM(m.reserved_delta), 0) AS d_res, ` +
        `COALESCE(-SUM(CASE WHEN m.kind = 'SALE' THEN m.on_hand_delta ELSE 0 END), 0) AS sales ` +
        `FROM stocks s LEFT JOIN stock_movements m ON m.stock_id = s.id WHERE s.id IN (${marks}) GROUP BY s.id, s.on_hand, s.reserved`,
      ids,
    );
    let mismatched = 0;
    let ledgerSales = 0;
    for (const r of ledger) {
      if (num(r.d_on) !== num(r.on_hand) || num(r.d_res) !== num(r.reserved)) mismatched += 1;
      ledgerSales += num(r.sales);
    }
    const wanted = new Set(ids.map((id) => `stock ${id}:`));
    const report = await auditStock(em);
    const mine = report.problems.filter((p) => wanted.has(p.slice(0, p.indexOf(':') + 1)));
    audit = mine.length ? `${mine.length} problem(s), e.g. ${mine[0]}` : 'clean';
    if (input.ledger === 'full') {
      if (mismatched) problems.push(`${mismatched} stock row(s) differ from the sum of their ledger`);
      if (ledgerSales !== sold) problems.push(`ledger records ${ledgerSales} units sold, order lines ${sold}`);
      if (mine.length) problems.push(`auditStock: ${audit}`);
    }
  }
  return { ok: problems.length === 0, problems, initial, sold, remaining, reserved, holds: num(held.qty), ordersInDb, oversold, lostUpdates, audit };
}

/** Cart lines left anywhere after a run: the bench never deletes them behind the API's back, so any left is a finding. */
export async function leftoverCartItems(orm: Orm): Promise<number> {
  const [row] = await orm.em.fork().execute<Row[]>('SELECT COUNT(*) AS n FROM cart_items');
  return num(row.n);
}

export interface SaleCheck {
  problems: string[];
  /** Units sold under the sale (orders not cancelled). */
  sold: number;
  /** Most units any one buyer got. */
  maxPerBuyer: number;
  buyers: number;
}

/**
 * A-sale: no buyer got more than the limit, the quota was never exceeded, every sale line is at
 * the sale price, and the quota counter agrees with the lines.
 */
export async function checkFlashSale(orm: Orm, sale: { saleId: number; quota: number; perBuyerLimit: number; salePrice: string }): Promise<SaleCheck> {
  const em = orm.em.fork() as Em;
  const problems: string[] = [];
  const perBuyer = await em.execute<Row[]>(
    "SELECT o.user_id, SUM(l.quantity) AS units, MIN(l.unit_price) AS lo, MAX(l.unit_price) AS hi FROM order_lines l JOIN orders o ON o.id = l.order_id " +
      "WHERE l.flash_sale_id = ? AND o.status <> 'CANCELLED' GROUP BY o.user_id",
    [sale.saleId],
  );
  const [row] = await em.execute<Row[]>('SELECT quota, quota_remaining FROM flash_sales WHERE id = ?', [sale.saleId]);
  const sold = perBuyer.reduce((sum, r) => sum + num(r.units), 0);
  const maxPerBuyer = Math.max(0, ...perBuyer.map((r) => num(r.units)));
  if (maxPerBuyer > sale.perBuyerLimit) problems.push(`a buyer got ${maxPerBuyer} units (limit ${sale.perBuyerLimit})`);
  if (sold > sale.quota) problems.push(`${sold} units sold at the sale price (quota ${sale.quota})`);
  if (perBuyer.some((r) => Number(r.lo).toFixed(2) !== sale.salePrice || Number(r.hi).toFixed(2) !== sale.salePrice)) problems.push('a sale line is not at the sale price');
  if (num(row?.quota) - num(row?.quota_remaining) !== sold) problems.push(`quota counter says ${num(row?.quota) - num(row?.quota_remaining)} taken, lines ${sold}`);
  return { problems, sold, maxPerBuyer, buyers: perBuyer.length };
}
