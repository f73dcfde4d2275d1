import type { Em } from './context';
import { num, type Row } from '../db/sql';

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
 * - `reserved` equals the quantity in its `stock_holds` (lapsed-but-unswept holds included).
 *
 * Reads run in one transaction, so on MySQL (REPEATABLE READ) the report is one consistent
 * snapshot even while the system is live; on SQLite the reads cannot interleave with writers.
 */
export async function auditStock(em: Em): Promise<StockAuditReport> {
  return em.transactional(async (tx) => {
    const db = tx as Em;
    const problems: string[] = [];
    let omitted = 0;
    const report = (problem: string) => {
      if (problems.length < MAX_LISTED_PROBLEMS) problems.push(problem);
      else omitted += 1;
    };

    const stocks = await db.execute<Row[]>(
      'SELECT s.id, s.on_hand, s.reserved, ' +
        'COALESCE((SELECT SUM(m.on_hand_delta) FROM stock_movements m WHERE m.stock_id = s.id), 0) AS ledger_on_hand, ' +
        'COALESCE((SELECT SUM(m.reserved_delta) FROM stock_movements m WHERE m.stock_id = s.id), 0) AS ledger_reserved, ' +
        'COALESCE((SELECT SUM(h.quantity) FROM stock_holds h WHERE h.stock_id = s.id), 0) AS held ' +
        'FROM stocks s ORDER BY s.id',
    );
    const rows = new Map<number, { onHand: number; reserved: number }>();
    for (const r of stocks) {
      const id = num(r.id);
      const onHand = num(r.on_hand);
      const reserved = num(r.reserved);
      rows.set(id, { onHand, reserved });
      if (onHand < 0) report(`stock ${id}: on_hand ${onHand} is negative`);
      if (reserved < 0) report(`stock ${id}: reserved ${reserved} is negative`);
      if (reserved > onHand) report(`stock ${id}: reserved ${reserved} exceeds on_hand ${onHand}`);
      if (num(r.ledger_on_hand) !== onHand) report(`stock ${id}: on_hand ${onHand} but ledger sums to ${num(r.ledger_on_hand)}`);
      if (num(r.ledger_reserved) !== reserved) report(`stock ${id}: reserved ${reserved} but ledger sums to ${num(r.ledger_reserved)}`);
      if (num(r.held) !== reserved) report(`stock ${id}: reserved ${reserved} but its holds total ${num(r.held)}`);
    }

    // Walk the ledger in id order (a global id order is also each row's own order), page by page.
    const chains = new Map<number, ChainState>();
    let afterId = 0;
    for (;;) {
      const page = await db.execute<Row[]>(
        `SELECT id, stock_id, on_hand_delta, reserved_delta, on_hand_after, reserved_after FROM stock_movements WHERE id > ? ORDER BY id LIMIT ${MOVEMENT_PAGE}`,
        [afterId],
      );
      for (const m of page) {
        const id = num(m.id);
        const stockId = num(m.stock_id);
        const chain = chains.get(stockId) ?? { onHand: 0, reserved: 0, broken: false };
        chains.set(stockId, chain);
        const expectOnHand = chain.onHand + num(m.on_hand_delta);
        const expectReserved = chain.reserved + num(m.reserved_delta);
        if (!chain.broken && (num(m.on_hand_after) !== expectOnHand || num(m.reserved_after) !== expectReserved)) {
          // Report the first break of each chain only: every later row would repeat it.
          chain.broken = true;
          report(
            `stock ${stockId}: movement ${id} records on_hand_after ${num(m.on_hand_after)}, reserved_after ${num(m.reserved_after)}; ` +
              `the chain gives ${expectOnHand}, ${expectReserved}`,
          );
        }
        chain.onHand = num(m.on_hand_after);
        chain.reserved = num(m.reserved_after);
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

    if (omitted) problems.push(`... and ${omitted} more problems`);
    return { ok: problems.length === 0, stocksChecked: stocks.length, problems };
  });
}
