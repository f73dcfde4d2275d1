import { PurchaseLimitReachedError, RetryableConflict, SaleNotStartedError, SaleQuotaExhaustedError } from '../common/errors';
import type { Sql } from '../db/sql';
import {
  addBought,
  deleteSaleHold,
  ensureBuyerRows,
  findCurrentSales,
  findLapsedSaleHolds,
  findOrderSaleUnits,
  findSaleHolds,
  insertSaleHold,
  readBought,
  readSale,
  returnQuota,
  subtractBought,
  takeQuota,
  updateSaleHold,
  type SaleHoldRow,
  type SaleRow,
} from '../repositories/flash-sale.repository';

/**
 * The flash-sale rules inside a unit of work, on its `tx.sql`, in the same transaction as the
 * stock write they go with. The shared pieces (the buyNow batch, cart holds, checkout, cancel, the
 * sweeper) call these functions and nothing else of the sale; each call is marked `// flash sale:`
 * there. Nothing here decides from a read: the quota and the per-buyer counters change by guarded
 * UPDATEs (flash-sale.repository.ts), the window is checked by the database clock.
 *
 * Rules: while a sale runs, a request's units are taken at the sale price only if ALL of them fit
 * the buyer's allowance (PURCHASE_LIMIT_REACHED otherwise) and the quota (otherwise
 * SALE_QUOTA_EXHAUSTED, or the regular price when the sale allows it). Before the start a
 * sale-only product answers SALE_NOT_STARTED; after the end (or a cancellation) the regular price
 * applies. Cart lines hold their sale units (counted in the quota and the allowance) until they
 * lapse like their stock holds; checkout turns them into sold units, cancel gives them back.
 *
 * Write order: the sale row, then buyer rows, then (the caller's) stock rows. The sale row goes
 * first because a new buyer row's foreign key takes a shared lock on it: taking that before the
 * quota's exclusive lock would let two transactions deadlock (S then X).
 */

/** The price a request's units are taken at: `saleId` null for the regular price. */
export interface SalePricing {
  saleId: number | null;
  unitPrice: string;
}

const REGULAR = (price: string): SalePricing => ({ saleId: null, unitPrice: price });

/** Releases lapsed sale holds (of one sale, or one buyer in it): counters first, hold by compare-and-set. Returns the units released. */
export async function releaseLapsedSaleHolds(sql: Sql, options: { saleId?: number; userId?: number; nowMs?: number; limit?: number } = {}): Promise<number> {
  const nowMs = options.nowMs ?? Date.now();
  const holds = await findLapsedSaleHolds(sql, { saleId: options.saleId, userId: options.userId, nowMs, limit: options.limit ?? 500 });
  let released = 0;
  for (const hold of holds) {
    if (!(await deleteSaleHold(sql, hold, nowMs))) continue;
    await giveBack(sql, hold.saleId, [{ userId: hold.userId, quantity: hold.quantity }]);
    released += hold.quantity;
  }
  return released;
}

/** Returns units to the buyers' counters and to the quota (a released hold, a cancelled order, a refused batch member). */
async function giveBack(sql: Sql, saleId: number, units: { userId: number; quantity: number }[]): Promise<void> {
  const sale = await readSale(sql, saleId);
  if (!sale) return;
  const total = units.reduce((sum, u) => sum + u.quantity, 0);
  if (sale.quota !== null && total > 0 && !(await returnQuota(sql, saleId, total))) throw new Error(`flash sale ${saleId}: the quota cannot take back ${total} units`);
  if (sale.perBuyerLimit !== null) {
    for (const u of [...units].sort((a, b) => a.userId - b.userId)) {
      if (!(await subtractBought(sql, saleId, u.userId, u.quantity))) throw new Error(`flash sale ${saleId}: buyer ${u.userId} does not have ${u.quantity} units to give back`);
    }
  }
}

/** The buyer's guarded increment, with one lazy release of the buyer's own lapsed sale holds. */
async function takeAllowance(sql: Sql, sale: SaleRow, userId: number, units: number): Promise<PurchaseLimitReachedError | null> {
  const limit = sale.perBuyerLimit;
  if (limit === null) return null;
  if (await addBought(sql, sale.id, userId, units, limit)) return null;
  if ((await releaseLapsedSaleHolds(sql, { saleId: sale.id, userId })) > 0 && (await addBought(sql, sale.id, userId, units, limit))) return null;
  return new PurchaseLimitReachedError(sale.productId, limit, await readBought(sql, sale.id, userId));
}

/**
 * The quota's guarded decrement, with one lazy release of the sale's lapsed holds. False when the
 * quota does not have `units`; a sale that closed meanwhile asks for a retry (which then prices
 * regularly).
 */
async function takeFromQuota(sql: Sql, sale: SaleRow, units: number): Promise<boolean> {
  if (sale.quota === null || units === 0) return true;
  if (await takeQuota(sql, sale.id, units)) return true;
  if ((await releaseLapsedSaleHolds(sql, { saleId: sale.id })) > 0 && (await takeQuota(sql, sale.id, units))) return true;
  await requireStillRunning(sql, sale.id);
  return false;
}

async function requireStillRunning(sql: Sql, saleId: number): Promise<SaleRow> {
  const now = await readSale(sql, saleId, { forUpdate: true });
  if (!now || !isRunning(now)) throw new RetryableConflict(`flash sale ${saleId} closed concurrently`);
  return now;
}

export const isRunning = (sale: SaleRow): boolean => sale.cancelledAtMs === null && sale.startsAtMs <= sale.nowMs && sale.endsAtMs > sale.nowMs;

/** The product's sale that applies now or next, or null. */
async function saleOf(sql: Sql, productId: number): Promise<SaleRow | null> {
  return (await findCurrentSales(sql, [productId])).get(productId) ?? null;
}

/** Regular price or SALE_NOT_STARTED, for a product whose sale (if any) is not running. */
function outsideSale(productId: number, sale: SaleRow | null, regularPrice: string): SalePricing {
  if (sale && !sale.regularPriceAllowed && sale.startsAtMs > sale.nowMs) throw new SaleNotStartedError(productId, new Date(sale.startsAtMs));
  return REGULAR(regularPrice);
}

/** Takes `units` of a running sale for one buyer: quota, then allowance; a refusal leaves both as they were. */
async function takeSaleUnits(sql: Sql, sale: SaleRow, userId: number, units: number, regularPrice: string): Promise<SalePricing> {
  if (!(await takeFromQuota(sql, sale, units))) {
    if (sale.regularPriceAllowed) return REGULAR(regularPrice);
    throw new SaleQuotaExhaustedError(sale.productId);
  }
  if (sale.perBuyerLimit !== null) await ensureBuyerRows(sql, sale.id, [userId]);
  const refused = await takeAllowance(sql, sale, userId, units);
  if (refused) {
    if (sale.quota !== null && !(await returnQuota(sql, sale.id, units))) throw new RetryableConflict('quota changed');
    throw refused;
  }
  return { saleId: sale.id, unitPrice: sale.salePrice };
}

/**
 * The buyNow batch: one result per request (in arrival order), each its pricing or its refusal.
 * The quota by ONE guarded decrement for the batch's sale units (what buyers over their limit
 * asked for is given back in one more); allowances buyer by buyer (a buyer over the limit fails
 * alone). When the quota has less than the batch asks, the sale row is locked, and the requests
 * within their allowance get what is left in arrival order (the rest: SALE_QUOTA_EXHAUSTED, their
 * allowance given back).
 */
export async function takeBatchSaleUnits(
  sql: Sql,
  productId: number,
  requests: ({ userId: number; quantity: number } | null)[],
  regularPrice: string,
): Promise<(SalePricing | Error | null)[]> {
  const sale = await saleOf(sql, productId);
  if (!sale || !isRunning(sale)) {
    return requests.map((r) => {
      if (!r) return null;
      try {
        return outsideSale(productId, sale, regularPrice);
      } catch (error) {
        return error as Error;
      }
    });
  }
  const results: (SalePricing | Error | null)[] = requests.map(() => null);
  const units = (list: number[]) => list.reduce((sum, i) => sum + requests[i]!.quantity, 0);
  const asked = requests.flatMap((r, i) => (r ? [i] : []));
  // The sale row first (see the write order above): the whole batch's units, or, failing that, its lock.
  const quotaTaken = await takeFromQuota(sql, sale, units(asked));
  if (sale.perBuyerLimit !== null) await ensureBuyerRows(sql, sale.id, asked.map((i) => requests[i]!.userId));
  const taken: number[] = [];
  for (const i of asked) {
    const refused = await takeAllowance(sql, sale, requests[i]!.userId, requests[i]!.quantity);
    if (refused) results[i] = refused;
    else taken.push(i);
  }
  let admitted = taken;
  if (quotaTaken) {
    const over = units(asked) - units(taken);
    if (sale.quota !== null && over > 0 && !(await returnQuota(sql, sale.id, over))) throw new RetryableConflict(`flash sale ${sale.id} quota changed concurrently`);
  } else {
    const fresh = await requireStillRunning(sql, sale.id);
    let left = fresh.quotaRemaining ?? 0;
    admitted = taken.filter((i) => {
      const fits = requests[i]!.quantity <= left;
      if (fits) left -= requests[i]!.quantity;
      return fits;
    });
    const admittedUnits = units(admitted);
    if (admittedUnits > 0 && !(await takeQuota(sql, sale.id, admittedUnits))) throw new RetryableConflict(`flash sale ${sale.id} quota changed concurrently`);
    const refused = taken.filter((i) => !admitted.includes(i));
    if (sale.perBuyerLimit !== null) {
      for (const i of refused) {
        if (!(await subtractBought(sql, sale.id, requests[i]!.userId, requests[i]!.quantity))) throw new RetryableConflict('buyer counter changed');
      }
    }
    for (const i of refused) results[i] = sale.regularPriceAllowed ? REGULAR(regularPrice) : new SaleQuotaExhaustedError(productId);
  }
  for (const i of admitted) results[i] = { saleId: sale.id, unitPrice: sale.salePrice };
  return results;
}

/** Gives back sale units taken in this transaction that will not be sold after all (the stock was short). */
export async function returnSaleUnits(sql: Sql, saleId: number, units: { userId: number; quantity: number }[]): Promise<void> {
  if (units.length) await giveBack(sql, saleId, units);
}

/**
 * A cart line now wants `wanted` units: while its product's sale runs, the line's sale hold is
 * made to cover all of them (growing takes allowance and quota, shrinking gives back), expiring at
 * `expiresAtMs` with the line's stock holds. Outside a sale the line's sale hold (of a sale that is
 * over) is released and the line is at the regular price, or SALE_NOT_STARTED for a sale-only
 * product. `wanted` 0: the line goes away, its sale units come back. Returns the line's price.
 */
export async function settleLineSaleHold(
  sql: Sql,
  line: { itemId: number; productId: number; userId: number; wanted: number; expiresAtMs: number; regularPrice: string; isNew?: boolean; inSale?: boolean; hasSaleHold?: boolean },
): Promise<SalePricing> {
  // A line inserted by this transaction has no sale hold yet (nor has one the caller read without);
  // with the caller's word that the product has no sale that is not over (read in the same
  // statement), nothing is left to read.
  const noSaleHold = line.isNew || line.hasSaleHold === false;
  if (noSaleHold && line.inSale === false) return REGULAR(line.regularPrice);
  const [hold] = noSaleHold ? [] : await findSaleHolds(sql, [line.itemId]);
  const sale = line.wanted > 0 ? await saleOf(sql, line.productId) : null;
  const running = sale && isRunning(sale) ? sale : null;
  if (hold && (!running || hold.saleId !== running.id || line.wanted === 0)) {
    await releaseSaleHold(sql, hold);
    if (line.wanted === 0) return REGULAR(line.regularPrice);
    return settleLineSaleHold(sql, { ...line, isNew: true });
  }
  if (!running) return line.wanted === 0 ? REGULAR(line.regularPrice) : outsideSale(line.productId, sale, line.regularPrice);
  const held = hold?.quantity ?? 0;
  if (line.wanted > held) {
    const pricing = await takeSaleUnits(sql, running, line.userId, line.wanted - held, line.regularPrice);
    if (pricing.saleId === null) {
      // The quota cannot cover the growth and the sale allows the regular price: the whole line goes regular.
      if (hold) await releaseSaleHold(sql, hold);
      return pricing;
    }
  } else if (line.wanted < held) {
    await giveBack(sql, running.id, [{ userId: line.userId, quantity: held - line.wanted }]);
  }
  if (!hold) await insertSaleHold(sql, { cartItemId: line.itemId, saleId: running.id, userId: line.userId, quantity: line.wanted, expiresAtMs: line.expiresAtMs });
  else if (!(await updateSaleHold(sql, hold.id, hold.quantity, line.wanted, line.expiresAtMs))) throw new RetryableConflict(`sale hold ${hold.id} changed concurrently`);
  return { saleId: running.id, unitPrice: running.salePrice };
}

/** Releases the sale holds of cart lines that are about to be deleted (removeFromCart, clearCart, updateCartItem to 0). */
export async function releaseLineSaleHolds(sql: Sql, itemIds: number[]): Promise<void> {
  for (const hold of await findSaleHolds(sql, itemIds)) await releaseSaleHold(sql, hold);
}

async function releaseSaleHold(sql: Sql, hold: SaleHoldRow): Promise<void> {
  if (!(await deleteSaleHold(sql, hold))) throw new RetryableConflict(`sale hold ${hold.id} changed concurrently`);
  await giveBack(sql, hold.saleId, [{ userId: hold.userId, quantity: hold.quantity }]);
}

/**
 * Checkout: the price of each cart line, before any stock is written. A line whose sale hold
 * covers it while the sale runs is sold at the sale price (the hold becomes sold units: the
 * counters already count them); a line without one (it lapsed and was swept, or the line was
 * regular) takes its units now by the same rules as addToCart; outside a sale the regular price
 * (or SALE_NOT_STARTED). A lapsed sale hold that was not swept is still the buyer's.
 */
export async function priceCheckoutLines(
  sql: Sql,
  userId: number,
  all: { itemId: number; productId: number; quantity: number; price: string; inSale?: boolean }[],
): Promise<Map<number, SalePricing>> {
  const out = new Map<number, SalePricing>();
  // Lines the caller read as outside any sale (no sale that is not over, no sale hold): the regular price, no reads.
  for (const line of all) if (line.inSale === false) out.set(line.itemId, REGULAR(line.price));
  const lines = all.filter((l) => l.inSale !== false);
  if (!lines.length) return out;
  const holds = new Map((await findSaleHolds(sql, lines.map((l) => l.itemId))).map((h) => [h.cartItemId, h]));
  const sales = await findCurrentSales(sql, [...new Set(lines.map((l) => l.productId))]);
  // The sale rows first (write order): a sale order line's foreign key would otherwise take a
  // shared lock on its sale row after the stock rows, behind a buyNow batch that holds the sale
  // row and waits for those stock rows.
  for (const saleId of [...sales.values()].filter(isRunning).map((s) => s.id).sort((a, b) => a - b)) await readSale(sql, saleId, { forUpdate: true });
  for (const line of lines) {
    const sale = sales.get(line.productId) ?? null;
    let hold = holds.get(line.itemId);
    if (hold && (!sale || !isRunning(sale) || hold.saleId !== sale.id || hold.quantity !== line.quantity)) {
      await releaseSaleHold(sql, hold);
      hold = undefined;
    }
    if (!sale || !isRunning(sale)) {
      out.set(line.itemId, outsideSale(line.productId, sale, line.price));
    } else if (hold) {
      if (!(await deleteSaleHold(sql, hold))) throw new RetryableConflict(`sale hold ${hold.id} changed concurrently`);
      out.set(line.itemId, { saleId: sale.id, unitPrice: sale.salePrice });
    } else {
      out.set(line.itemId, await takeSaleUnits(sql, sale, userId, line.quantity, line.price));
    }
  }
  return out;
}

/** Cancel: the order's sale units go back to their buyer's allowance and to the quota (before the stock is returned). */
export async function returnOrderSaleUnits(sql: Sql, orderId: number): Promise<void> {
  for (const units of await findOrderSaleUnits(sql, orderId)) await giveBack(sql, units.saleId, [units]);
}
