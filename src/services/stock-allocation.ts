import { InsufficientStockError } from '../common/errors';
import type { Sql } from '../db/sql';
import { StockMovementKind } from '../entities';
import { applyStockChangeOrRetry, findSellableStocks, freeOf, lapsedHeldByStock, releaseLapsedHolds, type StockRow } from '../repositories/stock.repository';

/**
 * The one allocation planner: which stock rows a quantity of a product comes from. Rows are taken
 * in ascending id order (the lock order), splitting across warehouses when one has too little.
 * Cart holds (allocateStock) and the buyNow batch (one plan per request, in arrival order, over
 * the same `free` counts) both plan with it.
 */

export interface Allocation {
  stockId: number;
  warehouseId: number;
  quantity: number;
}

/** Free units per stock row, to plan against. */
export function freeByStock(rows: StockRow[]): Map<number, number> {
  return new Map(rows.map((r) => [r.id, freeOf(r)]));
}

/**
 * Takes `quantity` from `rows` (in their order) against the `free` counts, which it lowers by
 * what it takes. Null, with `free` untouched, when the rows do not have that much in total.
 */
export function planTake(rows: StockRow[], free: Map<number, number>, quantity: number): Allocation[] | null {
  const total = rows.reduce((sum, r) => sum + (free.get(r.id) ?? 0), 0);
  if (total < quantity) return null;
  const allocations: Allocation[] = [];
  let remaining = quantity;
  for (const row of rows) {
    if (remaining === 0) break;
    const take = Math.min(remaining, free.get(row.id) ?? 0);
    if (take === 0) continue;
    free.set(row.id, (free.get(row.id) ?? 0) - take);
    allocations.push({ stockId: row.id, warehouseId: row.warehouseId, quantity: take });
    remaining -= take;
  }
  return allocations;
}

/** Sum of the free counts of `rows`. */
export const totalFree = (rows: StockRow[], free: Map<number, number>): number => rows.reduce((sum, r) => sum + (free.get(r.id) ?? 0), 0);

/**
 * A plan came up short: releases the lapsed holds of the product's rows (EXPIRY in the ledger;
 * a lapsed hold stops counting at once) and returns the rows re-read, or null when there was no
 * lapsed hold to release (the shortage is real). The caller plans again on the rows it gets.
 */
export async function releaseLapsedForShortage(sql: Sql, productId: number, rows: StockRow[]): Promise<StockRow[] | null> {
  const lapsed = await lapsedHeldByStock(
    sql,
    rows.map((r) => r.id),
  );
  if (!lapsed.size) return null;
  for (const stockId of [...lapsed.keys()].sort((a, b) => a - b)) await releaseLapsedHolds(sql, { stockId });
  return findSellableStocks(sql, productId);
}

/**
 * Reserves (`mode: 'hold'`) or directly sells (`mode: 'sell'`) `quantity` of a product with one
 * guarded write per stock row used (RESERVATION or SALE in the ledger). When the live stock is
 * short it first releases lapsed holds on the product's rows. Throws InsufficientStockError with
 * the real sellable quantity when it is not there; a guarded write that loses a race asks for a
 * retry of the whole unit.
 *
 * The shortage sweep releases EVERY lapsed hold on those rows, the caller's own included: a caller
 * that means to keep its own lapsed holds must claim or refresh them before allocating. The plan
 * is made from a plain read (on MySQL the transaction's snapshot); the guarded writes make a stale
 * plan harmless, at the price of a retry. Hold expiry compares with this process's clock, so the
 * servers' clocks should be kept in sync (NTP); skew only shifts when a hold lapses.
 */
export async function allocateStock(
  sql: Sql,
  input: {
    productId: number;
    quantity: number;
    mode: 'hold' | 'sell';
    actorId: number | null;
    orderId?: number | null;
    reason?: string;
    unitPrice?: string;
    /** The product's sellable rows when the unit has read them already (findSellableStocks' rows, in this transaction). */
    stocks?: StockRow[];
  },
): Promise<Allocation[]> {
  let rows = input.stocks ?? (await findSellableStocks(sql, input.productId));
  let free = freeByStock(rows);
  let plan = planTake(rows, free, input.quantity);
  if (!plan) {
    const fresh = await releaseLapsedForShortage(sql, input.productId, rows);
    if (fresh) {
      rows = fresh;
      free = freeByStock(rows);
      plan = planTake(rows, free, input.quantity);
    }
  }
  if (!plan) throw new InsufficientStockError(input.productId, totalFree(rows, free));
  for (const allocation of plan) {
    await applyStockChangeOrRetry(sql, {
      stockId: allocation.stockId,
      kind: input.mode === 'hold' ? StockMovementKind.RESERVATION : StockMovementKind.SALE,
      onHandDelta: input.mode === 'hold' ? 0 : -allocation.quantity,
      reservedDelta: input.mode === 'hold' ? allocation.quantity : 0,
      actorId: input.actorId,
      orderId: input.orderId ?? null,
      reason: input.reason ?? null,
      unitPrice: input.mode === 'sell' ? (input.unitPrice ?? null) : null,
    });
  }
  return plan;
}
