import type { Em } from '../db/context';
import { sqlFor } from '../db/sql';
import { readBuyerAuditRows, readSaleAuditRows, type BuyerAuditRow, type SaleAuditRow } from '../repositories/flash-sale.repository';
import { readMovementPage, readStockAuditRows } from '../repositories/stock.repository';

export interface StockAuditReport {
  ok: boolean;
  stocksChecked: number;
  problems: string[];
}


/** Past this many problems the rest are only counted, so a badly broken database cannot exhaust memory. */
const MAX_LISTED_PROBLEMS = 500;
const MOVEMENT_PAGE = 5000;

interface ChainState {
  onHand: number;
  reserved: number;
  broken: boolean;
}

/**
 * Checks every stock row against its invariants and its ledger:
 * - `on_hand >= 0`, `reserved >= 0`, `reserved <= on_hand`;
 * - the sums of `on_hand_delta` / `reserved_delta` over its movements equal the row;
 * - the movements, in id order, form a chain from zero: each `on_hand_after` / `reserved_after`
 *   is the previous value plus the delta;
 * - `reserved` equals the quantity in its `stock_holds` (lapsed-but-unswept holds included);
 * - every flash sale's quota counter and every per-buyer counter against the sale units held in
 *   carts plus sold in orders that are not cancelled (auditFlashSales).
 *
 * Reads run in one transaction, so on MySQL (REPEATABLE READ) the report is one consistent
 * snapshot even while the system is live; on SQLite the reads cannot interleave with writers.
 */
export async function auditStock(em: Em): Promise<StockAuditReport> {
  return em.transactional(async (tx) => {
    const sql = sqlFor(tx as Em);
    const problems: string[] = [];
    let omitted = 0;
    const report = (problem: string) => {
      if (problems.length < MAX_LISTED_PROBLEMS) problems.push(problem);
      else omitted += 1;
    };

    const stocks = await readStockAuditRows(sql);
    const rows = new Map<number, { onHand: number; reserved: number }>();
    for (const r of stocks) {
      const { id, onHand, reserved } = r;
      rows.set(id, { onHand, reserved });
      if (onHand < 0) report(`stock ${id}: on_hand ${onHand} is negative`);
      if (reserved < 0) report(`stock ${id}: reserved ${reserved} is negative`);
      if (reserved > onHand) report(`stock ${id}: reserved ${reserved} exceeds on_hand ${onHand}`);
      if (r.ledgerOnHand !== onHand) report(`stock ${id}: on_hand ${onHand} but ledger sums to ${r.ledgerOnHand}`);
      if (r.ledgerReserved !== reserved) report(`stock ${id}: reserved ${reserved} but ledger sums to ${r.ledgerReserved}`);
      if (r.held !== reserved) report(`stock ${id}: reserved ${reserved} but its holds total ${r.held}`);
    }

    // Walk the ledger in id order (a global id order is also each row's own order), page by page.
    const chains = new Map<number, ChainState>();
    let afterId = 0;
    for (;;) {
      const page = await readMovementPage(sql, afterId, MOVEMENT_PAGE);
      for (const m of page) {
        const { id, stockId } = m;
        const chain = chains.get(stockId) ?? { onHand: 0, reserved: 0, broken: false };
        chains.set(stockId, chain);
        const expectOnHand = chain.onHand + m.onHandDelta;
        const expectReserved = chain.reserved + m.reservedDelta;
        if (!chain.broken && (m.onHandAfter !== expectOnHand || m.reservedAfter !== expectReserved)) {
          // Report the first break of each chain only: every later row would repeat it.
          chain.broken = true;
          report(
            `stock ${stockId}: movement ${id} records on_hand_after ${m.onHandAfter}, reserved_after ${m.reservedAfter}; ` +
              `the chain gives ${expectOnHand}, ${expectReserved}`,
          );
        }
        chain.onHand = m.onHandAfter;
        chain.reserved = m.reservedAfter;
        afterId = id;
      }
      if (page.length < MOVEMENT_PAGE) break;
    }
    for (const [stockId, chain] of chains) {
      const row = rows.get(stockId);
      if (!row) {
        report(`stock ${stockId}: has movements but no stock row`);
      } else if (!chain.broken && (chain.onHand !== row.onHand || chain.reserved !== row.reserved)) {
        report(`stock ${stockId}: last movement ends at ${chain.onHand}/${chain.reserved}, the row holds ${row.onHand}/${row.reserved}`);
      }
    }

    auditFlashSales(await readSaleAuditRows(sql), await readBuyerAuditRows(sql), report);

    if (omitted) problems.push(`... and ${omitted} more problems`);
    return { ok: problems.length === 0, stocksChecked: stocks.length, problems };
  });
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
