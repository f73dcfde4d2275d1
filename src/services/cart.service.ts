import { BadUserInputError, InsufficientStockError, NotFoundError } from '../common/errors';
import { MAX_LINE_QUANTITY } from '../common/limits';
import { addMoney, multiplyMoney, normalizeMoney } from '../common/money';
import type { DbContext } from '../db/context';
import { rowsOf, sqlFor, type Row, type Sql } from '../db/sql';
import type { UnitContext, UnitOfWork } from '../db/unit-of-work';
import { loadBatched } from '../db/request-batch';
import { StockMovementKind, type Order, type Product } from '../entities';
import {
  deferDeleteItems,
  deferInsertItem,
  ensureCartId,
  findCartId,
  findCartIdsByUser,
  cartLinesFrom,
  cartLinesStatement,
  findCartLines,
  findItemIds,
  deferSetItemQuantity,
  findLineForAdd,
  findLineForUpdate,
  insertItem,
  type CartLineRow,
  type LineForUpdate,
} from '../repositories/cart.repository';
import {
  findHolds,
  insertHoldForNewLineStatement,
  insertHoldStatement,
  lapsedHeldByStock,
  releaseLapsedHolds,
  releaseStep,
  runSteps,
  stockChangeStep,
  updateHoldStep,
  type HoldRow,
  type Step,
  type StockRow,
} from '../repositories/stock.repository';
import type { RequestContext } from './context';
import { releaseLineSaleHolds, settleLineSaleHold } from './flash-sale-units';
import type { ShopperMutation } from './shopper-mutation';
import { allocateStock, freeByStock, planTake, totalFree, type Allocation } from './stock-allocation';
import { requireViewer } from './viewer';

export interface CartLine {
  id: number;
  product: Product;
  quantity: number;
  /** The product's current price: checkout charges this, not the price seen when the line was added. */
  unitPrice: string;
  subtotal: string;
  /** Latest expiry of the line's holds; null when none is left (they lapsed and were swept). */
  reservedUntil: Date | null;
}

/** A cart as committed now: lines at current prices, the exact total, and the earliest hold expiry. */
export interface CartContents {
  lines: CartLine[];
  total: string;
  expiresAt: Date | null;
}

/** Which cart a mutation or query is about; its contents are read only if asked for (contentsOf). */
export interface CartRef {
  id: number;
}

/** What a cart mutation's answer needs. */
export interface CartAnswer {
  /**
   * The cart's contents are selected (items, total, expiresAt): the unit reads them with its
   * COMMIT. False when the answer asks only for the id. Default true.
   */
  contents?: boolean;
}

/**
 * Gives back held stock (RELEASE in the ledger), every hold in one round trip. A hold no longer as
 * read was swept by a concurrent transaction: retry the unit.
 */
async function releaseHoldsOrRetry(tx: UnitContext, holds: HoldRow[], actorId: number, reason: string): Promise<void> {
  // In ascending stock id (findHolds' and findLineForUpdate's order): the lock order.
  await runSteps(
    tx.sql,
    holds.map((hold) => releaseStep(tx.sql, hold, { kind: StockMovementKind.RELEASE, actorId, reason })),
  );
}

/**
 * INSUFFICIENT_STOCK before anything is written when the product's rows as read cannot give
 * `needed` more units and no hold on them has lapsed (only a lapsed hold, swept, could free
 * more): the same answer the hold would end in, one round trip sooner, and a unit that fails
 * having only read fails alone in a shared transaction (db/unit-group.ts).
 */
async function refuseIfShort(sql: Sql, productId: number, stocks: StockRow[], needed: number): Promise<void> {
  const free = freeByStock(stocks);
  if (planTake(stocks, free, needed)) return;
  const lapsed = await lapsedHeldByStock(
    sql,
    stocks.map((s) => s.id),
  );
  if (!lapsed.size) throw new InsufficientStockError(productId, totalFree(stocks, free));
}

const fetchCartIds = (ctx: DbContext, userIds: number[]) => findCartIdsByUser(sqlFor(ctx.em), userIds);

/** The shopper's single cart with stock held for its lines until `reservedUntil`. */
export class CartService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly shopper: ShopperMutation,
    private readonly reservationTtlSeconds: number,
  ) {}

  /** The signed-in user's cart, created on first use (a concurrent first use is retried onto the same cart). */
  async getCart(ctx: RequestContext): Promise<CartRef> {
    const viewer = requireViewer(ctx);
    const cartId = (await findCartId(sqlFor(ctx.em), viewer.id)) ?? (await this.uow.run(ctx, (tx) => ensureCartId(tx.sql, viewer.id)));
    return { id: cartId };
  }

  /**
   * The buyer's cart as committed now, for the buyer only: null for anyone else (an admin too)
   * and when the buyer has no cart. Read after the order's unit of work, so after checkout it is
   * the emptied cart; one query for all orders of a request.
   */
  async buyerCartOf(ctx: RequestContext, order: Order): Promise<CartRef | null> {
    if (!ctx.viewer || ctx.authError || order.user.id !== ctx.viewer.id) return null;
    const cartId = await loadBatched(ctx, fetchCartIds, ctx.viewer.id);
    return cartId ? { id: cartId } : null;
  }

  /**
   * Adds `quantity` of a product to the cart and holds that much stock for
   * `RESERVATION_TTL_SECONDS`, refreshing the line's other holds too (and re-reserving any of
   * its holds that lapsed and were swept). One unit of work: if the stock is not there the whole
   * change is rolled back (INSUFFICIENT_STOCK with the sellable quantity) and the cart is as before.
   * Every hold is a guarded write, so concurrent shoppers can never hold more than is on hand.
   */
  async addToCart(ctx: RequestContext, input: { productId: number; quantity: number }, answer: CartAnswer = {}): Promise<CartRef> {
    const { productId, quantity } = input;
    return this.shopper.run(ctx, { quantity }, async (tx, viewer) => {
      const found = await findLineForAdd(tx.sql, viewer.id, productId);
      if (!found || found.archived) throw new NotFoundError('Product');
      const price = normalizeMoney(found.price);
      const wanted = found.quantity + quantity;
      if (wanted > MAX_LINE_QUANTITY) throw new BadUserInputError('quantity', `A cart line holds at most ${MAX_LINE_QUANTITY} units`);
      this.shopper.requireWithinHoldCap(wanted);
      if (!found.inSale) await refuseIfShort(tx.sql, productId, found.stocks, quantity);
      const cartId = found.cartId ?? (await ensureCartId(tx.sql, viewer.id));
      let itemId: number | null;
      if (found.itemId) {
        itemId = found.itemId;
        // Nothing reads its answer: it goes with the hold's round trip (as updateCartItem's does).
        deferSetItemQuantity(tx.sql, itemId, wanted, price);
      } else if (!found.inSale) {
        // Outside a flash sale only the holds need the new line, and they find it by its unique key:
        // the insert goes with the hold's stock write, in one round trip.
        deferInsertItem(tx.sql, { cartId, productId, quantity: wanted, unitPrice: price });
        itemId = null;
      } else {
        itemId = await insertItem(tx.sql, { cartId, productId, quantity: wanted, unitPrice: price });
      }
      await this.holdForLine(tx, { itemId, cartId, productId, wanted, actorId: viewer.id, isNew: !found.itemId, regularPrice: price, inSale: found.inSale, stocks: found.stocks });
      return this.answer(tx.sql, cartId, answer);
    });
  }

  /**
   * Sets a line's quantity: growing holds more stock (INSUFFICIENT_STOCK and no change when it is
   * not there), shrinking releases holds, 0 removes the line. The line's holds are refreshed.
   */
  async updateCartItem(ctx: RequestContext, input: { itemId: number; quantity: number }, answer: CartAnswer = {}): Promise<CartRef> {
    const { itemId, quantity } = input;
    return this.shopper.run(ctx, { quantity }, async (tx, viewer) => {
      // The line, its product, its holds and the product's stock rows in one read.
      const line = await findLineForUpdate(tx.sql, viewer.id, itemId);
      if (quantity === 0) {
        await this.removeLine(tx, line, viewer.id);
      } else {
        if (line.archived) throw new NotFoundError('Product');
        const held = line.holds.reduce((sum, h) => sum + h.quantity, 0);
        if (!line.inSale && !line.hasSaleHold && quantity > held) await refuseIfShort(tx.sql, line.productId, line.stocks, quantity - held);
        deferSetItemQuantity(tx.sql, line.id, quantity, line.price);
        await this.holdForLine(tx, {
          itemId: line.id,
          cartId: line.cartId,
          productId: line.productId,
          wanted: quantity,
          actorId: viewer.id,
          regularPrice: line.price,
          inSale: line.inSale,
          hasSaleHold: line.hasSaleHold,
          stocks: line.stocks,
          holds: line.holds,
        });
      }
      return this.answer(tx.sql, line.cartId, answer);
    });
  }

  /** Removes a line and releases its holds (RELEASE in the ledger), atomically. */
  async removeFromCart(ctx: RequestContext, itemId: number, answer: CartAnswer = {}): Promise<CartRef> {
    return this.shopper.run(ctx, {}, async (tx, viewer) => {
      const line = await findLineForUpdate(tx.sql, viewer.id, itemId);
      await this.removeLine(tx, line, viewer.id);
      return this.answer(tx.sql, line.cartId, answer);
    });
  }

  /** A line goes: its sale units come back, its holds are released (one round trip), and it is deleted with the COMMIT. */
  private async removeLine(tx: UnitContext, line: LineForUpdate, actorId: number): Promise<void> {
    if (line.hasSaleHold) await releaseLineSaleHolds(tx.sql, [line.id]); // flash sale: the line's sale units come back
    await releaseHoldsOrRetry(tx, line.holds, actorId, 'removed from cart');
    deferDeleteItems(tx.sql, [line.id]);
  }

  /** Empties the cart and releases every hold, atomically. */
  async clearCart(ctx: RequestContext, answer: CartAnswer = {}): Promise<CartRef> {
    return this.shopper.run(ctx, {}, async (tx, viewer) => {
      const cartId = await ensureCartId(tx.sql, viewer.id);
      const itemIds = await findItemIds(tx.sql, cartId);
      await releaseLineSaleHolds(tx.sql, itemIds); // flash sale: the lines' sale units come back
      await releaseHoldsOrRetry(tx, await findHolds(tx.sql, itemIds), viewer.id, 'cart cleared');
      deferDeleteItems(tx.sql, itemIds);
      return this.answer(tx.sql, cartId, answer);
    });
  }

  /**
   * Releases holds that lapsed (EXPIRY in the ledger), in small batches, each its own transaction,
   * so the sweeper never holds many stock rows at once. Safe on any number of processes at the same
   * time: a hold is deleted only if it is still lapsed and unchanged. Correctness never depends on
   * it (a lapsed hold already stops counting): it only keeps `reserved` close to the live holds.
   * Runs on a system context (the hold-sweeper job). Returns the quantity released.
   */
  async releaseExpiredHolds(ctx: DbContext, options: { batchSize?: number; maxBatches?: number } = {}): Promise<number> {
    const batchSize = options.batchSize ?? 100;
    const maxBatches = options.maxBatches ?? 20;
    let total = 0;
    for (let batch = 0; batch < maxBatches; batch += 1) {
      const released = await this.uow.run(ctx, (tx) => releaseLapsedHolds(tx.sql, { limit: batchSize }));
      total += released;
      if (released === 0) break;
    }
    return total;
  }

  /**
   * The cart's contents, read in one statement, once per CartRef: the fields of one answer (items,
   * total, expiresAt) share the read, and every mutation returns a new CartRef, so a later
   * mutation in the same request reads afresh. A mutation's CartRef has them from its COMMIT's
   * round trip (`answer`): the cart as the mutation committed it. Any other is read now, as
   * committed.
   */
  contentsOf(ctx: RequestContext, cart: CartRef): Promise<CartContents> {
    let contents = this.contentsByRef.get(cart);
    if (!contents) {
      contents = this.readContents(ctx, cart.id);
      this.contentsByRef.set(cart, contents);
    }
    return contents;
  }

  private readonly contentsByRef = new WeakMap<CartRef, Promise<CartContents>>();

  /**
   * Makes the line's holds add up to `wanted`, all expiring at now + TTL. Order of writes: the
   * line's holds (refresh), then stock rows in ascending id (allocate or release) — the same order
   * as checkout and the sweeper (hold, then its stock). Refreshing first also keeps our own lapsed
   * holds out of the sweep that allocateStock runs when stock is short.
   */
  private async holdForLine(
    tx: UnitContext,
    /**
     * `itemId` null: a new line outside a flash sale, inserted by deferInsertItem, found by (cartId, productId).
     * `holds`: the line's holds as this unit read them (findLineForUpdate); read here when omitted.
     */
    line: {
      itemId: number | null;
      cartId: number;
      productId: number;
      wanted: number;
      actorId: number;
      isNew?: boolean;
      regularPrice: string;
      inSale?: boolean;
      hasSaleHold?: boolean;
      stocks?: StockRow[];
      holds?: HoldRow[];
    },
  ): Promise<void> {
    const sql = tx.sql;
    const expiresAtMs = Date.now() + this.reservationTtlSeconds * 1000;
    // flash sale: the line's sale units (buyer allowance, then quota) before its stock rows; lapse with its holds.
    // (A line without its id yet is new and outside any sale: nothing to settle.)
    if (line.itemId !== null) {
      await settleLineSaleHold(sql, {
        itemId: line.itemId,
        productId: line.productId,
        userId: line.actorId,
        wanted: line.wanted,
        expiresAtMs,
        regularPrice: line.regularPrice,
        isNew: line.isNew,
        inSale: line.inSale,
        hasSaleHold: line.hasSaleHold,
      });
    }
    const holds = line.isNew || line.itemId === null ? [] : (line.holds ?? (await findHolds(sql, [line.itemId])));
    const held = holds.reduce((sum, h) => sum + h.quantity, 0);
    // One round trip when the rows as read cover the change: the holds set to their new quantity
    // and expiry (compare-and-set), then the guarded stock writes with their ledger rows, in lock
    // order (holds, then stock rows by id); any write that does not match rolls the unit back.
    if (line.wanted < held) {
      await runSteps(sql, this.shrinkSteps(sql, holds, line.wanted, expiresAtMs, line.actorId));
      return;
    }
    const plan = line.wanted > held && line.stocks ? planTake(line.stocks, freeByStock(line.stocks), line.wanted - held) : null;
    if (line.wanted === held || plan) {
      const adding = new Map((plan ?? []).map((a) => [a.stockId, a.quantity]));
      await runSteps(sql, [
        ...holds.map((hold) => updateHoldStep(sql, hold, hold.quantity + (adding.get(hold.stockId) ?? 0), expiresAtMs)),
        ...(plan ?? []).map((a) => stockChangeStep(sql, { stockId: a.stockId, kind: StockMovementKind.RESERVATION, onHandDelta: 0, reservedDelta: a.quantity, actorId: line.actorId, reason: 'cart hold' })),
      ]);
      for (const allocation of plan ?? []) {
        if (!holds.some((h) => h.stockId === allocation.stockId)) this.deferNewHold(sql, line, allocation, expiresAtMs);
      }
      return;
    }
    // Short as read (or the rows not read): refresh first, which keeps our own lapsed holds out of
    // the sweep that allocateStock runs when stock is short, then allocate.
    await runSteps(
      sql,
      holds.map((hold) => updateHoldStep(sql, hold, hold.quantity, expiresAtMs)),
    );
    // Includes re-reserving holds of this line that lapsed and were swept.
    const allocations = await allocateStock(sql, {
      productId: line.productId,
      quantity: line.wanted - held,
      mode: 'hold',
      actorId: line.actorId,
      reason: 'cart hold',
      stocks: line.stocks,
    });
    const growth: Step[] = [];
    for (const allocation of allocations) {
      const hold = holds.find((h) => h.stockId === allocation.stockId);
      if (!hold) this.deferNewHold(sql, line, allocation, expiresAtMs);
      else growth.push(updateHoldStep(sql, hold, hold.quantity + allocation.quantity, expiresAtMs));
    }
    await runSteps(sql, growth);
  }

  /** A new hold row: nothing reads its answer, so it goes with the unit's next round trip (the COMMIT's for a new line). */
  private deferNewHold(sql: Sql, line: { itemId: number | null; cartId: number; productId: number }, allocation: Allocation, expiresAtMs: number): void {
    sql.defer(
      line.itemId === null
        ? insertHoldForNewLineStatement(sql, { cartId: line.cartId, productId: line.productId, stockId: allocation.stockId, quantity: allocation.quantity, expiresAtMs })
        : insertHoldStatement(sql, { cartItemId: line.itemId, stockId: allocation.stockId, quantity: allocation.quantity, expiresAtMs }),
    );
  }

  /**
   * The line's holds cut down to `wanted`: given back from the highest stock id down, written in
   * ascending id (the lock order); the holds kept are refreshed.
   */
  private shrinkSteps(sql: Sql, holds: HoldRow[], wanted: number, expiresAtMs: number, actorId: number): Step[] {
    let excess = holds.reduce((sum, h) => sum + h.quantity, 0) - wanted;
    const cuts = new Map<number, number>();
    for (const hold of [...holds].reverse()) {
      if (excess === 0) break;
      const cut = Math.min(excess, hold.quantity);
      cuts.set(hold.id, cut);
      excess -= cut;
    }
    return holds.map((hold) => {
      const cut = cuts.get(hold.id);
      if (!cut) return updateHoldStep(sql, hold, hold.quantity, expiresAtMs);
      return releaseStep(sql, hold, { quantity: cut, keepUntilMs: expiresAtMs, kind: StockMovementKind.RELEASE, actorId, reason: 'cart quantity reduced' });
    });
  }

  /**
   * The answer of a cart mutation: its cart, whose contents (when the answer selects them) the
   * unit reads as its last statement, in its COMMIT's round trip (`Sql.defer`), instead of in a
   * round trip of its own after the COMMIT. The read comes after every write of the unit, so it
   * sees the cart as the unit commits it. Each attempt of a retried unit reads its own; the
   * mutation answers with the committed attempt's CartRef.
   */
  private answer(sql: Sql, cartId: number, answer: CartAnswer): CartRef {
    const cart: CartRef = { id: cartId };
    if (answer.contents === false) return cart;
    const rows = new Promise<Row[]>((resolve) => sql.defer(cartLinesStatement(cartId), (result) => resolve(rowsOf(result))));
    this.contentsByRef.set(
      cart,
      rows.then((r) => this.contentsFrom(cartLinesFrom(r))),
    );
    return cart;
  }

  private async readContents(ctx: DbContext, cartId: number): Promise<CartContents> {
    return this.contentsFrom(await findCartLines(sqlFor(ctx.em), cartId));
  }

  private contentsFrom(rows: CartLineRow[]): CartContents {
    const lines: CartLine[] = rows.map((row) => {
      const product = row.product;
      // flash sale: a line holding sale units is at the sale price.
      const unitPrice = row.salePrice ?? product.price;
      return {
        id: row.itemId,
        product,
        quantity: row.quantity,
        unitPrice,
        subtotal: multiplyMoney(unitPrice, row.quantity),
        reservedUntil: row.reservedUntilMs === null ? null : new Date(row.reservedUntilMs),
      };
    });
    const expiries = lines.map((l) => l.reservedUntil?.getTime()).filter((t): t is number => t !== undefined);
    return {
      lines,
      total: lines.length ? addMoney(...lines.map((l) => l.subtotal)) : '0.00',
      expiresAt: expiries.length ? new Date(Math.min(...expiries)) : null,
    };
  }
}
