import { createHash } from 'node:crypto';
import {
  BadUserInputError,
  IdempotencyKeyReusedError,
  InsufficientStockError,
  InvalidStatusTransitionError,
  NotFoundError,
  RetryableConflict,
  ReservationExpiredError,
} from '../common/errors';
import { addMoney, multiplyMoney, normalizeMoney } from '../common/money';
import { requireId, requireIdempotencyKey, requireInt, requireMoney } from '../common/validate';
import { Order, OrderLine, OrderStatus, Product, StockMovementKind, User, Warehouse } from '../entities';
import { lockShopper, MAX_LINE_QUANTITY, requireWithinHoldCap } from './cart.service';
import type { RequestContext, Viewer } from './context';
import { paginate, type Page } from '../db/pagination';
import { loadBatched, loadById } from '../db/request-batch';
import { allocateStock, applyStockChangeOrRetry, deleteHold, type Allocation } from '../repositories/stock.repository';
import { BuyNowBatcher } from './buy-now-batcher';
import { insertLines, insertOrders, requireStorableTotal, type LineDraft, type OrderDraft } from '../repositories/order.repository';
import { runUnitOfWork, type UnitContext } from '../db/unit-of-work';
import { isAdmin, requireAdmin, requireViewer } from './viewer';
import { currentRead, marks, num } from '../db/sql';


/** The status an order must have for an admin to move it to the key's status (cancellation aside). */
const FORWARD_FROM: Partial<Record<OrderStatus, OrderStatus>> = {
  [OrderStatus.PROCESSED]: OrderStatus.PENDING,
  [OrderStatus.SHIPPED]: OrderStatus.PROCESSED,
  [OrderStatus.DELIVERED]: OrderStatus.SHIPPED,
};

/** SHA-256 of a canonical JSON (sorted keys) of what was asked: a replay must ask the same. */
export function requestHash(payload: Record<string, string | number>): string {
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(payload).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  return createHash('sha256').update(canonical).digest('hex');
}

async function fetchLines(ctx: RequestContext, orderIds: number[]): Promise<Map<number, OrderLine[]>> {
  const lines = await ctx.em.find(OrderLine, { order: { $in: orderIds } }, { orderBy: { id: 'asc' } });
  const out = new Map<number, OrderLine[]>(orderIds.map((id) => [id, []]));
  for (const line of lines) out.get(line.order.id)?.push(line);
  return out;
}

/** How long a product this process saw short of stock keeps buyNow on the sold-out fast path. */
const SHORT_HINT_MS = 5_000;
const SHORT_HINT_MAX_PRODUCTS = 10_000;

/** Checkout, buy-now and the order lifecycle. Orders are never deleted. */
export class OrderService {
  /**
   * Products this process recently saw short of stock (product id → until, epoch ms). A hint of
   * which path to take, never a protection: while a product is in it, buyNow first pays for the
   * shared sold-out read (BuyNowBatcher.refuseIfSoldOut); otherwise (stock is there, the usual
   * case while a sale runs) it skips that read and goes straight to the batch transaction, whose
   * guarded write decides either way.
   */
  private readonly recentlyShort = new Map<number, number>();

  /** Sells concurrent buyNow requests for one product in one transaction (see BuyNowBatcher). */
  private readonly buyNowBatcher = new BuyNowBatcher();

  private noteShort(productId: number): void {
    if (this.recentlyShort.size >= SHORT_HINT_MAX_PRODUCTS) this.recentlyShort.clear();
    this.recentlyShort.set(productId, Date.now() + SHORT_HINT_MS);
  }

  /**
   * Turns the cart into an order in ONE unit of work: the order row first (unique per user and
   * idempotency key), then each hold becomes a sale in ascending stock id order (hold deleted by
   * compare-and-set, stock row changed by one guarded write with its SALE ledger row). A line whose
   * hold lapsed and was swept is sold from free stock if it is there, else RESERVATION_EXPIRED.
   * Lines are priced now; the cart is emptied. Anything failing rolls everything back. The same
   * key with the same input returns the same order, even when the requests race; with other
   * input, IDEMPOTENCY_KEY_REUSED.
   */
  async checkout(ctx: RequestContext, input: { idempotencyKey: unknown; shippingCost?: unknown }): Promise<Order> {
    const viewer = requireViewer(ctx);
    await ctx.services.rateLimits.consumeWrite(ctx, viewer.id);
    const idempotencyKey = requireIdempotencyKey('idempotencyKey', input.idempotencyKey);
    const shippingCost = requireMoney('shippingCost', input.shippingCost ?? '0.00');
    const hash = requestHash({ op: 'checkout', shippingCost });
    const created = await runUnitOfWork(ctx, async (tx) => {
      const sql = tx.sql;
      // First statement: serialises this shopper's cart units, and later reads see all of them.
      await lockShopper(tx, viewer.id);
      // The key's earlier order (if any) and the cart's lines in one statement.
      const rows = await sql.all(
        'SELECT o.id AS order_id, o.request_hash, ci.id, ci.product_id, ci.quantity, p.price, p.archived_at FROM users u ' +
          'LEFT JOIN orders o ON o.user_id = u.id AND o.idempotency_key = ? LEFT JOIN carts c ON c.user_id = u.id ' +
          'LEFT JOIN (cart_items ci JOIN products p ON p.id = ci.product_id) ON ci.cart_id = c.id WHERE u.id = ? ORDER BY ci.id',
        [idempotencyKey, viewer.id],
      );
      if (rows[0]?.order_id) {
        if (rows[0].request_hash !== hash) throw new IdempotencyKeyReusedError();
        return { orderId: num(rows[0].order_id), draft: null };
      }
      const items = rows.filter((r) => r.id !== null && r.id !== undefined);
      if (!items.length) throw new BadUserInputError('cart', 'The cart is empty');
      const lines = items.map((r) => ({ itemId: num(r.id), productId: num(r.product_id), quantity: num(r.quantity), price: normalizeMoney(r.price as string) }));
      const archived = items.find((r) => r.archived_at);
      if (archived) throw new BadUserInputError('cart', `Product ${num(archived.product_id)} is no longer for sale: remove it from the cart`);
      const totalPrice = requireStorableTotal(addMoney(shippingCost, ...lines.map((l) => multiplyMoney(l.price, l.quantity))));
      const draft = { userId: viewer.id, idempotencyKey, requestHash: hash, totalPrice, shippingCost };
      const now = new Date();
      const [orderId] = await insertOrders(sql, [draft], now);

      const itemIds = lines.map((l) => l.itemId);
      const holds = await sql.all(
        'SELECT h.id, h.cart_item_id, h.stock_id, h.quantity, s.warehouse_id FROM stock_holds h JOIN stocks s ON s.id = h.stock_id ' +
          `WHERE h.cart_item_id IN (${marks(itemIds.length)}) ORDER BY h.stock_id, h.id`,
        itemIds,
      );
      const drafts: LineDraft[] = [];
      const sold = new Map<number, number>();
      for (const h of holds) {
        const line = lines.find((l) => l.itemId === num(h.cart_item_id))!;
        const holdId = num(h.id);
        const stockId = num(h.stock_id);
        const held = num(h.quantity);
        // A lapsed hold that was not swept is still ours. One swept after our snapshot: re-read.
        if (!(await deleteHold(sql, holdId, held))) throw new RetryableConflict(`hold ${holdId} changed concurrently`);
        const take = Math.min(held, line.quantity - (sold.get(line.itemId) ?? 0));
        await applyStockChangeOrRetry(sql, {
          stockId,
          kind: take > 0 ? StockMovementKind.SALE : StockMovementKind.RELEASE,
          onHandDelta: take > 0 ? -take : 0,
          // Never sells more than the line asks even if its holds were to exceed it: the rest is released.
          reservedDelta: -held,
          orderId,
          actorId: viewer.id,
          reason: 'checkout',
        });
        if (take > 0) {
          sold.set(line.itemId, (sold.get(line.itemId) ?? 0) + take);
          drafts.push({ orderId, productId: line.productId, stockId, warehouseId: num(h.warehouse_id), quantity: take, unitPrice: line.price });
        }
      }
      for (const line of lines) {
        const missing = line.quantity - (sold.get(line.itemId) ?? 0);
        if (missing <= 0) continue;
        let allocations: Allocation[];
        try {
          allocations = await allocateStock(sql, { productId: line.productId, quantity: missing, mode: 'sell', actorId: viewer.id, orderId, reason: 'checkout (hold had lapsed)' });
        } catch (error) {
          if (error instanceof InsufficientStockError) throw new ReservationExpiredError(line.productId, num(error.extensions.available));
          throw error;
        }
        for (const a of allocations) drafts.push({ orderId, productId: line.productId, stockId: a.stockId, warehouseId: a.warehouseId, quantity: a.quantity, unitPrice: line.price });
      }
      await insertLines(sql, drafts);
      await sql.run(`DELETE FROM cart_items WHERE id IN (${marks(itemIds.length)})`, itemIds);
      return { orderId, draft: { ...draft, createdAt: now } };
    });
    if (!created.draft) return this.loadOrder(ctx, created.orderId);
    return this.committedOrder(ctx, created.orderId, created.draft);
  }

  /** A new order from the values its unit of work just committed: no re-read per sale. */
  private committedOrder(ctx: RequestContext, id: number, order: OrderDraft & { createdAt: Date }): Order {
    return ctx.em.merge(Order, {
      id,
      user: ctx.em.getReference(User, order.userId),
      status: OrderStatus.PENDING,
      totalPrice: order.totalPrice,
      shippingCost: order.shippingCost,
      idempotencyKey: order.idempotencyKey,
      requestHash: order.requestHash,
      version: 1,
      createdAt: order.createdAt,
      updatedAt: order.createdAt,
    });
  }

  /**
   * Buys one product directly, without the cart: the flash-sale hot path. The order row, the
   * guarded stock write(s) with their SALE ledger rows (split across warehouses in ascending stock
   * id) and the lines commit together or not at all; concurrent buyNow requests for the same
   * product in this process share that transaction (BuyNowBatcher), each still getting its own
   * answer. INSUFFICIENT_STOCK leaves nothing behind. Idempotent like checkout: the same key with
   * the same input returns the same order, with other input IDEMPOTENCY_KEY_REUSED.
   */
  async buyNow(ctx: RequestContext, input: { productId: unknown; quantity: unknown; idempotencyKey: unknown }): Promise<Order> {
    const viewer = requireViewer(ctx);
    const productId = requireId('productId', input.productId);
    const quantity = requireInt('quantity', input.quantity, { min: 1, max: MAX_LINE_QUANTITY });
    requireWithinHoldCap(ctx, quantity);
    const idempotencyKey = requireIdempotencyKey('idempotencyKey', input.idempotencyKey);
    const hash = requestHash({ op: 'buyNow', productId, quantity });
    const request = { userId: viewer.id, productId, quantity, idempotencyKey, requestHash: hash };
    if ((this.recentlyShort.get(productId) ?? 0) > Date.now()) {
      // After a sell-out nearly every request is refused: one shared read, before the limiter and the transaction.
      await this.buyNowBatcher.refuseIfSoldOut(ctx, request).catch((error: unknown) => {
        if (error instanceof InsufficientStockError) this.noteShort(productId);
        throw error;
      });
    }
    await ctx.services.rateLimits.consumeWrite(ctx, viewer.id);
    const outcome = await this.buyNowBatcher
      .submit(ctx, request)
      .catch((error: unknown) => {
        if (error instanceof InsufficientStockError) this.noteShort(productId);
        throw error;
      });
    if (outcome.kind === 'replay') return this.loadOrder(ctx, outcome.orderId);
    this.recentlyShort.delete(productId);
    return this.committedOrder(ctx, outcome.orderId, {
      userId: viewer.id,
      idempotencyKey,
      requestHash: hash,
      totalPrice: outcome.totalPrice,
      shippingCost: '0.00',
      createdAt: outcome.createdAt,
    });
  }

  /** The viewer's orders (all orders for an admin), optionally by status, oldest first, paginated. */
  async listOrders(ctx: RequestContext, args: { status?: OrderStatus | null; first?: number | null; after?: string | null }): Promise<Page<Order>> {
    const viewer = requireViewer(ctx);
    const where: Record<string, unknown> = {};
    if (!isAdmin(ctx)) where.user = viewer.id;
    if (args.status) where.status = args.status;
    return paginate(ctx.em, Order, where, { first: args.first, after: args.after });
  }

  /** One order: the buyer's own, or any for an admin; NOT_FOUND otherwise (existence is not revealed). */
  async getOrder(ctx: RequestContext, idInput: unknown): Promise<Order> {
    const viewer = requireViewer(ctx);
    const id = requireId('id', idInput);
    const order = await ctx.em.findOne(Order, { id });
    if (!order || (!isAdmin(ctx) && order.user.id !== viewer.id)) throw new NotFoundError('Order');
    return order;
  }

  /**
   * Cancels an order (the buyer while PENDING, an admin while PENDING or PROCESSED) and returns
   * every line's quantity to the stock row it came from (CANCELLATION in the ledger), atomically.
   * The status change is a guarded write, so two concurrent cancellations return the stock once.
   */
  async cancelOrder(ctx: RequestContext, idInput: unknown): Promise<Order> {
    const viewer = requireViewer(ctx);
    const orderId = requireId('id', idInput);
    await runUnitOfWork(ctx, (tx) => this.cancelInUnit(tx, viewer, isAdmin(ctx), orderId));
    return this.loadOrder(ctx, orderId);
  }

  /**
   * Admin only: PENDING → PROCESSED → SHIPPED → DELIVERED, and PENDING|PROCESSED → CANCELLED
   * (which returns the stock, as cancelOrder). Every change is a guarded write on the current
   * status; anything else is INVALID_STATUS_TRANSITION.
   */
  async updateOrderStatus(ctx: RequestContext, input: { id: unknown; status: unknown }): Promise<Order> {
    const viewer = requireAdmin(ctx);
    const orderId = requireId('id', input.id);
    const to = input.status as OrderStatus;
    if (!Object.values(OrderStatus).includes(to)) throw new BadUserInputError('status', 'status is not an order status');
    await runUnitOfWork(ctx, async (tx) => {
      if (to === OrderStatus.CANCELLED) return this.cancelInUnit(tx, viewer, true, orderId);
      const from = FORWARD_FROM[to];
      const current = await this.currentStatus(tx, orderId);
      if (!from || current !== from) throw new InvalidStatusTransitionError(current, to);
      const result = await tx.sql.run('UPDATE orders SET status = ?, version = version + 1, updated_at = ? WHERE id = ? AND status = ?', [
        to,
        tx.sql.date(new Date()),
        orderId,
        from,
      ]);
      if (result.affectedRows !== 1) throw new InvalidStatusTransitionError(await this.currentStatus(tx, orderId), to);
    });
    return this.loadOrder(ctx, orderId);
  }

  /** Lines of an order; the lines of a page of orders are fetched in one query. */
  async lines(ctx: RequestContext, order: Pick<Order, 'id'>): Promise<OrderLine[]> {
    return (await loadBatched(ctx, fetchLines, order.id)) ?? [];
  }

  async lineProduct(ctx: RequestContext, line: OrderLine): Promise<Product> {
    const product = await loadById(ctx, Product, line.product.id);
    if (!product) throw new NotFoundError('Product');
    return product;
  }

  async lineWarehouse(ctx: RequestContext, line: OrderLine): Promise<Warehouse> {
    const warehouse = await loadById(ctx, Warehouse, line.warehouse.id);
    if (!warehouse) throw new NotFoundError('Warehouse');
    return warehouse;
  }

  private async currentStatus(tx: UnitContext, orderId: number): Promise<OrderStatus> {
    const row = await tx.sql.get(`SELECT status FROM orders WHERE id = ?${currentRead(tx.sql)}`, [orderId]);
    if (!row) throw new NotFoundError('Order');
    return row.status as OrderStatus;
  }

  private async cancelInUnit(tx: UnitContext, viewer: Viewer, admin: boolean, orderId: number): Promise<void> {
    const sql = tx.sql;
    const order = await sql.get('SELECT id, user_id FROM orders WHERE id = ?', [orderId]);
    if (!order || (!admin && num(order.user_id) !== viewer.id)) throw new NotFoundError('Order');
    const allowed = admin ? [OrderStatus.PENDING, OrderStatus.PROCESSED] : [OrderStatus.PENDING];
    const result = await sql.run(
      `UPDATE orders SET status = ?, version = version + 1, updated_at = ? WHERE id = ? AND status IN (${marks(allowed.length)})`,
      [OrderStatus.CANCELLED, sql.date(new Date()), orderId, ...allowed],
    );
    if (result.affectedRows !== 1) throw new InvalidStatusTransitionError(await this.currentStatus(tx, orderId), OrderStatus.CANCELLED);
    const lines = await sql.all(
      'SELECT stock_id, SUM(quantity) AS quantity FROM order_lines WHERE order_id = ? GROUP BY stock_id ORDER BY stock_id',
      [orderId],
    );
    for (const line of lines) {
      await applyStockChangeOrRetry(sql, {
        stockId: num(line.stock_id),
        kind: StockMovementKind.CANCELLATION,
        onHandDelta: num(line.quantity),
        reservedDelta: 0,
        orderId,
        actorId: viewer.id,
        reason: 'order cancelled',
      });
    }
  }

  private async loadOrder(ctx: RequestContext, orderId: number): Promise<Order> {
    return ctx.em.findOneOrFail(Order, { id: orderId }, { refresh: true });
  }
}
