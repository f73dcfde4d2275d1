import { BadUserInputError, NotFoundError, RetryableConflict, UnauthenticatedError } from '../common/errors';
import { addMoney, multiplyMoney, normalizeMoney } from '../common/money';
import { requireId, requireInt } from '../common/validate';
import { Product, StockMovementKind } from '../entities';
import type { RequestContext } from './context';
import {
  allocateStock,
  applyStockChangeOrRetry,
  deleteHold,
  findHolds,
  insertHold,
  releaseLapsedHolds,
  updateHold,
  type HoldRow,
} from '../repositories/stock.repository';
import { runUnitOfWork, type UnitContext } from '../db/unit-of-work';
import { requireViewer } from './viewer';
import { marks, num, sqlFor, type Sql } from '../db/sql';

/** Largest quantity one cart line (and one addToCart) may ask for. */
export const MAX_LINE_QUANTITY = 10_000;

export interface CartItemView {
  id: number;
  productId: number;
  product: Product;
  quantity: number;
  /** The product's current price: checkout charges this, not the price seen when the line was added. */
  unitPrice: string;
  subtotal: string;
  /** Latest expiry of the line's holds; null when none is left (they lapsed and were swept). */
  reservedUntil: Date | null;
}

export interface CartContents {
  items: CartItemView[];
  total: string;
  /** Earliest reservedUntil of the lines. */
  expiresAt: Date | null;
}

/** A cart as returned to GraphQL: its contents are read (once) only if a field asks for them. */
export interface CartView {
  id: number;
  contents?: Promise<CartContents>;
}

/**
 * One shopper may hold (a cart line) or buy (one buyNow) at most MAX_HOLD_PER_PRODUCT units of a
 * product, so that a single account cannot reserve a flash sale's whole stock.
 */
export function requireWithinHoldCap(ctx: RequestContext, quantity: number): void {
  const cap = ctx.config.maxHoldPerProduct;
  if (quantity > cap) throw new BadUserInputError('quantity', `You can hold or buy at most ${cap} units of one product`);
}


/**
 * Serialises every cart and checkout unit of one shopper. On MySQL it is a row lock on the user,
 * taken as the unit's FIRST statement: InnoDB (REPEATABLE READ) fixes a transaction's snapshot at
 * its first plain read, so everything read afterwards includes every earlier unit of this shopper
 * (no checkout can act on a cart line that a concurrent checkout already sold). SQLite runs one
 * write transaction at a time, so nothing is needed there. Other shoppers are never blocked.
 */
export async function lockShopper(tx: UnitContext, userId: number): Promise<void> {
  if (tx.sql.kind !== 'mysql') return;
  const row = await tx.sql.get('SELECT id FROM users WHERE id = ? FOR UPDATE', [userId]);
  if (!row) throw new UnauthenticatedError('Account not found: sign in again');
}

export interface ProductForSale {
  id: number;
  price: string;
}

/** A product that can be bought now (exists, not archived), or NOT_FOUND. */
export async function findProductForSale(sql: Sql, productId: number): Promise<ProductForSale> {
  const row = await sql.get('SELECT id, price, archived_at FROM products WHERE id = ?', [productId]);
  if (!row || row.archived_at) throw new NotFoundError('Product');
  return { id: num(row.id), price: normalizeMoney(row.price as string) };
}

async function findCartId(sql: Sql, userId: number): Promise<number | null> {
  const row = await sql.get('SELECT id FROM carts WHERE user_id = ?', [userId]);
  return row ? num(row.id) : null;
}

/** The shopper's cart id, inserting the cart if missing (a concurrent insert loses on the unique key and is retried). */
async function ensureCartId(sql: Sql, userId: number): Promise<number> {
  const existing = await findCartId(sql, userId);
  if (existing) return existing;
  const now = sql.date(new Date());
  return num((await sql.run('INSERT INTO carts (user_id, created_at, updated_at) VALUES (?, ?, ?)', [userId, now, now])).insertId);
}

interface OwnItem {
  id: number;
  cartId: number;
  productId: number;
  quantity: number;
}

async function findOwnItem(sql: Sql, userId: number, itemId: number): Promise<OwnItem> {
  const row = await sql.get(
    'SELECT ci.id, ci.cart_id, ci.product_id, ci.quantity FROM cart_items ci JOIN carts c ON c.id = ci.cart_id WHERE ci.id = ? AND c.user_id = ?',
    [itemId, userId],
  );
  // Another shopper's line is reported exactly like a missing one.
  if (!row) throw new NotFoundError('Cart item');
  return { id: num(row.id), cartId: num(row.cart_id), productId: num(row.product_id), quantity: num(row.quantity) };
}

async function setItemQuantity(sql: Sql, itemId: number, quantity: number, unitPrice: string): Promise<void> {
  await sql.run('UPDATE cart_items SET quantity = ?, unit_price = ?, version = version + 1, updated_at = ? WHERE id = ?', [
    quantity,
    unitPrice,
    sql.date(new Date()),
    itemId,
  ]);
}

/**
 * Gives back held stock (RELEASE in the ledger). Holds come in ascending stock id order (findHolds),
 * which is the lock order. A hold that is no longer as we read it was swept by a concurrent
 * transaction after our snapshot: retry the unit so it is re-read.
 */
async function releaseHolds(sql: Sql, holds: HoldRow[], actorId: number, reason: string): Promise<void> {
  for (const hold of holds) {
    if (!(await deleteHold(sql, hold.id, hold.quantity))) throw new RetryableConflict(`hold ${hold.id} changed concurrently`);
    await applyStockChangeOrRetry(sql, {
      stockId: hold.stockId,
      kind: StockMovementKind.RELEASE,
      onHandDelta: 0,
      reservedDelta: -hold.quantity,
      actorId,
      reason,
    });
  }
}

async function deleteItems(sql: Sql, itemIds: number[]): Promise<void> {
  if (!itemIds.length) return;
  // Their holds are gone already: the foreign key's cascade must never drop a hold without its RELEASE.
  await sql.run(`DELETE FROM cart_items WHERE id IN (${marks(itemIds.length)})`, itemIds);
}

/** The shopper's single cart with stock held for its lines until `reservedUntil`. */
export class CartService {
  /** The signed-in user's cart, created on first use (a concurrent first use is retried onto the same cart). */
  async getCart(ctx: RequestContext): Promise<CartView> {
    const viewer = requireViewer(ctx);
    const cartId = (await findCartId(sqlFor(ctx.em), viewer.id)) ?? (await runUnitOfWork(ctx, (tx) => ensureCartId(tx.sql, viewer.id)));
    return { id: cartId };
  }

  /**
   * Adds `quantity` of a product to the cart and holds that much stock for
   * `config.reservationTtlSeconds`, refreshing the line's other holds too (and re-reserving any of
   * its holds that lapsed and were swept). One unit of work: if the stock is not there the whole
   * change is rolled back (INSUFFICIENT_STOCK with the sellable quantity) and the cart is as before.
   * Every hold is a guarded write, so concurrent shoppers can never hold more than is on hand.
   */
  async addToCart(ctx: RequestContext, input: { productId: unknown; quantity: unknown }): Promise<CartView> {
    const viewer = requireViewer(ctx);
    await ctx.services.rateLimits.consumeWrite(ctx, viewer.id);
    const productId = requireId('productId', input.productId);
    const quantity = requireInt('quantity', input.quantity, { min: 1, max: MAX_LINE_QUANTITY });
    requireWithinHoldCap(ctx, quantity);
    const cartId = await runUnitOfWork(ctx, async (tx) => {
      await lockShopper(tx, viewer.id);
      // Product, cart and line in one statement: this is the flash-sale path.
      const found = await tx.sql.get(
        'SELECT p.price, p.archived_at, c.id AS cart_id, ci.id AS item_id, ci.quantity FROM products p ' +
          'LEFT JOIN carts c ON c.user_id = ? LEFT JOIN cart_items ci ON ci.cart_id = c.id AND ci.product_id = p.id WHERE p.id = ?',
        [viewer.id, productId],
      );
      if (!found || found.archived_at) throw new NotFoundError('Product');
      const price = normalizeMoney(found.price as string);
      const cartId = found.cart_id ? num(found.cart_id) : await ensureCartId(tx.sql, viewer.id);
      const existingId = found.item_id ? num(found.item_id) : null;
      const wanted = (existingId ? num(found.quantity) : 0) + quantity;
      if (wanted > MAX_LINE_QUANTITY) throw new BadUserInputError('quantity', `A cart line holds at most ${MAX_LINE_QUANTITY} units`);
      requireWithinHoldCap(tx, wanted);
      let itemId: number;
      if (existingId) {
        itemId = existingId;
        await setItemQuantity(tx.sql, itemId, wanted, price);
      } else {
        const now = tx.sql.date(new Date());
        const inserted = await tx.sql.run(
          'INSERT INTO cart_items (cart_id, product_id, quantity, unit_price, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)',
          [cartId, productId, wanted, price, now, now],
        );
        itemId = num(inserted.insertId);
      }
      await this.holdForLine(tx, { itemId, productId, wanted, actorId: viewer.id, isNew: !existingId });
      return cartId;
    });
    return { id: cartId };
  }

  /**
   * Sets a line's quantity: growing holds more stock (INSUFFICIENT_STOCK and no change when it is
   * not there), shrinking releases holds, 0 removes the line. The line's holds are refreshed.
   */
  async updateCartItem(ctx: RequestContext, input: { itemId: unknown; quantity: unknown }): Promise<CartView> {
    const viewer = requireViewer(ctx);
    await ctx.services.rateLimits.consumeWrite(ctx, viewer.id);
    const itemId = requireId('itemId', input.itemId);
    const quantity = requireInt('quantity', input.quantity, { min: 0, max: MAX_LINE_QUANTITY });
    requireWithinHoldCap(ctx, quantity);
    const cartId = await runUnitOfWork(ctx, async (tx) => {
      await lockShopper(tx, viewer.id);
      const item = await findOwnItem(tx.sql, viewer.id, itemId);
      if (quantity === 0) {
        await releaseHolds(tx.sql, await findHolds(tx.sql, [item.id]), viewer.id, 'removed from cart');
        await deleteItems(tx.sql, [item.id]);
      } else {
        const product = await findProductForSale(tx.sql, item.productId);
        await setItemQuantity(tx.sql, item.id, quantity, product.price);
        await this.holdForLine(tx, { itemId: item.id, productId: item.productId, wanted: quantity, actorId: viewer.id });
      }
      return item.cartId;
    });
    return { id: cartId };
  }

  /** Removes a line and releases its holds (RELEASE in the ledger), atomically. */
  async removeFromCart(ctx: RequestContext, itemIdInput: unknown): Promise<CartView> {
    const viewer = requireViewer(ctx);
    await ctx.services.rateLimits.consumeWrite(ctx, viewer.id);
    const itemId = requireId('itemId', itemIdInput);
    const cartId = await runUnitOfWork(ctx, async (tx) => {
      await lockShopper(tx, viewer.id);
      const item = await findOwnItem(tx.sql, viewer.id, itemId);
      await releaseHolds(tx.sql, await findHolds(tx.sql, [item.id]), viewer.id, 'removed from cart');
      await deleteItems(tx.sql, [item.id]);
      return item.cartId;
    });
    return { id: cartId };
  }

  /** Empties the cart and releases every hold, atomically. */
  async clearCart(ctx: RequestContext): Promise<CartView> {
    const viewer = requireViewer(ctx);
    await ctx.services.rateLimits.consumeWrite(ctx, viewer.id);
    const cartId = await runUnitOfWork(ctx, async (tx) => {
      await lockShopper(tx, viewer.id);
      const cartId = await ensureCartId(tx.sql, viewer.id);
      const rows = await tx.sql.all('SELECT id FROM cart_items WHERE cart_id = ?', [cartId]);
      const itemIds = rows.map((r) => num(r.id));
      await releaseHolds(tx.sql, await findHolds(tx.sql, itemIds), viewer.id, 'cart cleared');
      await deleteItems(tx.sql, itemIds);
      return cartId;
    });
    return { id: cartId };
  }

  /**
   * Releases holds that lapsed (EXPIRY in the ledger), in small batches, each its own transaction,
   * so the sweeper never holds many stock rows at once. Safe on any number of processes at the same
   * time: a hold is deleted only if it is still lapsed and unchanged. Correctness never depends on
   * it (a lapsed hold already stops counting): it only keeps `reserved` close to the live holds.
   * Returns the quantity released.
   */
  async releaseExpiredHolds(ctx: RequestContext, options: { batchSize?: number; maxBatches?: number } = {}): Promise<number> {
    const batchSize = options.batchSize ?? 100;
    const maxBatches = options.maxBatches ?? 20;
    let total = 0;
    for (let batch = 0; batch < maxBatches; batch += 1) {
      const released = await runUnitOfWork(ctx, (tx) => releaseLapsedHolds(tx.sql, { limit: batchSize }));
      total += released;
      if (released === 0) break;
    }
    return total;
  }

  async items(ctx: RequestContext, cart: CartView): Promise<CartItemView[]> {
    return (await this.contents(ctx, cart)).items;
  }

  async total(ctx: RequestContext, cart: CartView): Promise<string> {
    return (await this.contents(ctx, cart)).total;
  }

  async expiresAt(ctx: RequestContext, cart: CartView): Promise<Date | null> {
    return (await this.contents(ctx, cart)).expiresAt;
  }

  product(_ctx: RequestContext, item: CartItemView): Product {
    return item.product;
  }

  /**
   * Makes the line's holds add up to `wanted`, all expiring at now + TTL. Order of writes: the
   * line's holds (refresh), then stock rows in ascending id (allocate or release) — the same order
   * as checkout and the sweeper (hold, then its stock). Refreshing first also keeps our own lapsed
   * holds out of the sweep that allocateStock runs when stock is short.
   */
  private async holdForLine(
    tx: UnitContext,
    line: { itemId: number; productId: number; wanted: number; actorId: number; isNew?: boolean },
  ): Promise<void> {
    const sql = tx.sql;
    const expiresAtMs = Date.now() + tx.config.reservationTtlSeconds * 1000;
    const holds = line.isNew ? [] : await findHolds(sql, [line.itemId]);
    for (const hold of holds) {
      if (!(await updateHold(sql, hold.id, hold.quantity, hold.quantity, expiresAtMs))) {
        throw new RetryableConflict(`hold ${hold.id} changed concurrently`);
      }
    }
    const held = holds.reduce((sum, h) => sum + h.quantity, 0);
    if (line.wanted > held) {
      // Includes re-reserving holds of this line that lapsed and were swept.
      const allocations = await allocateStock(sql, {
        productId: line.productId,
        quantity: line.wanted - held,
        mode: 'hold',
        actorId: line.actorId,
        reason: 'cart hold',
      });
      for (const allocation of allocations) {
        const hold = holds.find((h) => h.stockId === allocation.stockId);
        if (!hold) {
          await insertHold(sql, { cartItemId: line.itemId, stockId: allocation.stockId, quantity: allocation.quantity, expiresAtMs });
        } else if (!(await updateHold(sql, hold.id, hold.quantity, hold.quantity + allocation.quantity, expiresAtMs))) {
          throw new RetryableConflict(`hold ${hold.id} changed concurrently`);
        }
      }
    } else if (line.wanted < held) {
      // Give back from the highest stock id down; write in ascending id order (the lock order).
      let excess = held - line.wanted;
      const cuts = new Map<number, number>();
      for (const hold of [...holds].reverse()) {
        if (excess === 0) break;
        const cut = Math.min(excess, hold.quantity);
        cuts.set(hold.id, cut);
        excess -= cut;
      }
      for (const hold of holds) {
        const cut = cuts.get(hold.id);
        if (!cut) continue;
        const ok =
          cut === hold.quantity
            ? await deleteHold(sql, hold.id, hold.quantity)
            : await updateHold(sql, hold.id, hold.quantity, hold.quantity - cut, expiresAtMs);
        if (!ok) throw new RetryableConflict(`hold ${hold.id} changed concurrently`);
        await applyStockChangeOrRetry(sql, {
          stockId: hold.stockId,
          kind: StockMovementKind.RELEASE,
          onHandDelta: 0,
          reservedDelta: -cut,
          actorId: line.actorId,
          reason: 'cart quantity reduced',
        });
      }
    }
  }

  private contents(ctx: RequestContext, cart: CartView): Promise<CartContents> {
    cart.contents ??= this.loadContents(ctx, cart.id);
    return cart.contents;
  }

  /**
   * The cart as committed now: lines with current prices, exact totals and hold expiries, in one
   * statement (lines, their products as entities, and each line's latest hold expiry).
   */
  private async loadContents(ctx: RequestContext, cartId: number): Promise<CartContents> {
    const rows = await sqlFor(ctx.em).all(
      'SELECT ci.id AS cart_item_id, ci.quantity AS cart_item_quantity, ' +
        '(SELECT MAX(h.expires_at_ms) FROM stock_holds h WHERE h.cart_item_id = ci.id) AS cart_item_until, p.* ' +
        'FROM cart_items ci JOIN products p ON p.id = ci.product_id WHERE ci.cart_id = ? ORDER BY ci.id',
      [cartId],
    );
    if (!rows.length) return { items: [], total: '0.00', expiresAt: null };
    const items: CartItemView[] = rows.map(({ cart_item_id: itemId, cart_item_quantity: itemQuantity, cart_item_until: until, ...productRow }) => {
      const product = ctx.em.map(Product, productRow);
      const quantity = num(itemQuantity);
      return {
        id: num(itemId),
        productId: product.id,
        product,
        quantity,
        unitPrice: product.price,
        subtotal: multiplyMoney(product.price, quantity),
        reservedUntil: until === null || until === undefined ? null : new Date(num(until)),
      };
    });
    const expiries = items.map((i) => i.reservedUntil?.getTime()).filter((t): t is number => t !== undefined);
    return {
      items,
      total: addMoney(...items.map((i) => i.subtotal)),
      expiresAt: expiries.length ? new Date(Math.min(...expiries)) : null,
    };
  }
}
