import type { Em } from '../db/context';
import { sqlFor, type Sql } from '../db/sql';
import {
  chainStatesAt,
  heldByStock,
  insertAuditCheckpoint,
  latestAuditCheckpoint,
  orderedByStock,
  readMovementPage,
  readStockAuditRows,
} from '../repositories/stock.repository';
import { readBuyerAuditRows, readSaleAuditRows, type BuyerAuditRow, type SaleAuditRow } from '../repositories/flash-sale.repository';

export interface StockAuditReport {
  ok: boolean;
  /** 'incremental' only when a checkpoint existed; an incremental request without one runs in full. */
  mode: 'full' | 'incremental';
  stocksChecked: number;
  movementsChecked: number;
  /** The highest movement id the audit saw (0 when the ledger is empty). */
  lastMovementId: number;
  problems: string[];
}

export interface StockAuditOptions {
  /** 'incremental': only the movements after the newest checkpoint and the stock rows they touch. */
  mode?: 'full' | 'incremental';
  /** Write a checkpoint when the audit is clean (the CLI does; the test kit's audits do not). */
  checkpoint?: boolean;
}

/** Past this many problems the rest are only counted, so a badly broken database cannot exhaust memory. */
const MAX_LISTED_PROBLEMS = 500;
const MOVEMENT_PAGE = 20_000;

interface ChainState {
  onHand: number;
  reserved: number;
  broken: boolean;
}

/**
 * Checks stock rows against their invariants, their ledger, their holds and their order lines:
 * - `on_hand >= 0`, `reserved >= 0`, `reserved <= on_hand`;
 * - the movements, in id order, form a chain: each `on_hand_after` / `reserved_after` is the
 *   previous value plus the delta (from zero, or in incremental mode from the row's state at the
 *   checkpoint), and the chain ends at the row (so the deltas sum to the row);
 * - `reserved` equals the quantity in its `stock_holds` (lapsed-but-unswept holds included);
 * - `sold` equals the units of its order lines in orders that are not cancelled;
 * - every flash sale's quota counter and every per-buyer counter against the sale units held in
 *   carts plus sold in orders that are not cancelled (auditFlashSales, in both modes: those tables are small).
 *
 * Full mode reads each table once: the ledger as one walk in primary-key order (a global id
 * order is also each row's own order) with one small state per stock row, the rest as grouped
 * sums. Incremental mode starts from the newest checkpoint (written by a clean run with
 * `checkpoint: true`) and checks only the movements after it and the stock rows they touch: a
 * change that bypassed the ledger entirely, or a movement that committed after the checkpoint with
 * an id below it (a transaction in flight while the checkpoint was taken), is seen by the next full
 * run only.
 *
 * Reads run in one transaction, so on MySQL (REPEATABLE READ) the report is one consistent
 * snapshot even while the system is live; on SQLite the reads cannot interleave with writers.
 */
export async function auditStock(em: Em, options: StockAuditOptions = {}): Promise<StockAuditReport> {
  const report = await em.transactional(async (tx) => {
    const sql = sqlFor(tx as Em);
    const checkpoint = options.mode === 'incremental' ? await latestAuditCheckpoint(sql) : null;
    return checkpoint === null ? auditFull(sql) : auditSince(sql, checkpoint);
  });
  if (report.ok && options.checkpoint) {
    await insertAuditCheckpoint(sqlFor(em), { ...report, full: report.mode === 'full' });
  }
  return report;
}

class Findings {
  readonly problems: string[] = [];
  private omitted = 0;

  report(problem: string): void {
    if (this.problems.length < MAX_LISTED_PROBLEMS) this.problems.push(problem);
    else this.omitted += 1;
  }

  list(): string[] {
    return this.omitted ? [...this.problems, `... and ${this.omitted} more problems`] : this.problems;
  }
}

/** Walks the movements with id > afterId in id order, extending (or starting) each stock row's chain. */
async function walkLedger(sql: Sql, afterId: number, chains: Map<number, ChainState & { sumOnHand: number; sumReserved: number }>, findings: Findings, baseOf: (stockId: number) => { onHand: number; reserved: number }) {
  let lastId = afterId;
  let walked = 0;
  for (;;) {
    const page = await readMovementPage(sql, lastId, MOVEMENT_PAGE);
    for (const m of page) {
      let chain = chains.get(m.stockId);
      if (!chain) {
        const base = baseOf(m.stockId);
        chain = { ...base, broken: false, sumOnHand: base.onHand, sumReserved: base.reserved };
        chains.set(m.stockId, chain);
      }
      const expectOnHand = chain.onHand + m.onHandDelta;
      const expectReserved = chain.reserved + m.reservedDelta;
      if (!chain.broken && (m.onHandAfter !== expectOnHand || m.reservedAfter !== expectReserved)) {
        // Report the first break of each chain only: every later row would repeat it.
        chain.broken = true;
        findings.report(
          `stock ${m.stockId}: movement ${m.id} records on_hand_after ${m.onHandAfter}, reserved_after ${m.reservedAfter}; ` +
            `the chain gives ${expectOnHand}, ${expectReserved}`,
        );
      }
      chain.onHand = m.onHandAfter;
      chain.reserved = m.reservedAfter;
      chain.sumOnHand += m.onHandDelta;
      chain.sumReserved += m.reservedDelta;
      lastId = m.id;
    }
    walked += page.length;
    if (page.length < MOVEMENT_PAGE) break;
  }
  return { lastId, walked };
}

/** Compares each stock row with its chain (none: no movements since the base), holds and order lines. */
async function checkRows(
  sql: Sql,
  stockIds: number[] | undefined,
  chains: Map<number, ChainState & { sumOnHand: number; sumReserved: number }>,
  findings: Findings,
  base: (stockId: number) => { onHand: number; reserved: number },
): Promise<number> {
  const stocks = await readStockAuditRows(sql, stockIds);
  const held = await heldByStock(sql, stockIds);
  const ordered = await orderedByStock(sql, stockIds);
  const seen = new Set<number>();
  for (const { id, onHand, reserved, sold } of stocks) {
    seen.add(id);
    if (onHand < 0) findings.report(`stock ${id}: on_hand ${onHand} is negative`);
    if (reserved < 0) findings.report(`stock ${id}: reserved ${reserved} is negative`);
    if (reserved > onHand) findings.report(`stock ${id}: reserved ${reserved} exceeds on_hand ${onHand}`);
    const chain = chains.get(id);
    const start = chain ? null : base(id);
    const sumOnHand = chain?.sumOnHand ?? start!.onHand;
    const sumReserved = chain?.sumReserved ?? start!.reserved;
    if (sumOnHand !== onHand) findings.report(`stock ${id}: on_hand ${onHand} but ledger sums to ${sumOnHand}`);
    if (sumReserved !== reserved) findings.report(`stock ${id}: reserved ${reserved} but ledger sums to ${sumReserved}`);
    if ((held.get(id) ?? 0) !== reserved) findings.report(`stock ${id}: reserved ${reserved} but its holds total ${held.get(id) ?? 0}`);
    if ((ordered.get(id) ?? 0) !== sold) findings.report(`stock ${id}: sold ${sold} but its order lines (not cancelled) total ${ordered.get(id) ?? 0}`);
    if (chain && !chain.broken && (chain.onHand !== onHand || chain.reserved !== reserved)) {
      findings.report(`stock ${id}: last movement ends at ${chain.onHand}/${chain.reserved}, the row holds ${onHand}/${reserved}`);
    }
  }
  for (const stockId of chains.keys()) if (!seen.has(stockId)) findings.report(`stock ${stockId}: has movements but no stock row`);
  return stocks.length;
}

async function auditFull(sql: Sql): Promise<StockAuditReport> {
  const findings = new Findings();
  const chains = new Map<number, ChainState & { sumOnHand: number; sumReserved: number }>();
  const zero = () => ({ onHand: 0, reserved: 0 });
  const { lastId, walked } = await walkLedger(sql, 0, chains, findings, zero);
  const stocksChecked = await checkRows(sql, undefined, chains, findings, zero);
  auditFlashSales(await readSaleAuditRows(sql), await readBuyerAuditRows(sql), (problem) => findings.report(problem));
  const problems = findings.list();
  return { ok: problems.length === 0, mode: 'full', stocksChecked, movementsChecked: walked, lastMovementId: lastId, problems };
}

async function auditSince(sql: Sql, checkpoint: number): Promise<StockAuditReport> {
  const findings = new Findings();
  const chains = new Map<number, ChainState & { sumOnHand: number; sumReserved: number }>();
  // First pass: which rows moved since the checkpoint; then their state at it, then the walk.
  const touched = new Set<number>();
  let lastId = checkpoint;
  for (;;) {
    const page = await readMovementPage(sql, lastId, MOVEMENT_PAGE);
    for (const m of page) touched.add(m.stockId);
    if (page.length) lastId = page[page.length - 1].id;
    if (page.length < MOVEMENT_PAGE) break;
  }
  const stockIds = [...touched].sort((a, b) => a - b);
  const states = await chainStatesAt(sql, stockIds, checkpoint);
  const base = (stockId: number) => states.get(stockId) ?? { onHand: 0, reserved: 0 };
  const { lastId: walkedTo, walked } = await walkLedger(sql, checkpoint, chains, findings, base);
  const stocksChecked = stockIds.length ? await checkRows(sql, stockIds, chains, findings, base) : 0;
  auditFlashSales(await readSaleAuditRows(sql), await readBuyerAuditRows(sql), (problem) => findings.report(problem));
  const problems = findings.list();
  return { ok: problems.length === 0, mode: 'incremental', stocksChecked, movementsChecked: walked, lastMovementId: Math.max(walkedTo, checkpoint), problems };
}

/**
 * Flash sales: `quota - quota_remaining` equals the sale units held plus sold (orders not
 * cancelled), and each buyer's `bought` equals their held plus sold units (a sale with a limit
 * has a counter row for every buyer who took units).
 */
function auditFlashSales(sales: SaleAuditRow[], buyers: BuyerAuditRow[], report: (problem: string) => void): void {
  for (const s of sales) {
    if (s.quota === null) continue;
    const taken = s.quota - (s.quotaRemaining ?? 0);
    if (taken !== s.held + s.sold) report(`flash sale ${s.id}: quota ${s.quota}, ${s.quotaRemaining} remaining, but ${s.held} held + ${s.sold} sold`);
  }
  for (const b of buyers) {
    if (b.limit === null) continue;
    const label = `flash sale ${b.saleId} buyer ${b.userId}`;
    if (b.bought === null) report(`${label}: ${b.held} held + ${b.sold} sold but no counter row`);
    else if (b.bought !== b.held + b.sold) report(`${label}: counter ${b.bought}, but ${b.held} held + ${b.sold} sold`);
  }
}
