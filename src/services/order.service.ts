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
import { addMoney, MAX_MONEY_CENTS, multiplyMoney, normalizeMoney, toCents } from '../common/money';
import { requireId, requireIdempotencyKey, requireInt, requireMoney } from '../common/validate';
import { Order, OrderLine, OrderStatus, Product, StockMovementKind, Warehouse } from '../entities';
import { currentRead, lockShopper, MAX_LINE_QUANTITY, requireWithinHoldCap } from './cart.service';
import type { Em, RequestContext, Viewer } from './context';
import { paginate, type Page } from './pagination';
import { loadBatched, loadById } from './request-batch';
import { allocateStock, applyStockChangeOrRetry, deleteHold, type Allocation } from './stock-store';
import { runUnitOfWork } from './unit-of-work';
import { isAdmin, requireAdmin, requireViewer } from './viewer';
import { marks, num, type Row } from './sql';


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

/** The order an earlier request with this key created, if any; IDEMPOTENCY_KEY_REUSED when it asked something else. */
async function findReplay(em: Em, userId: number, idempotencyKey: string, hash: string): Promise<number | null> {
  const row = await em.execute<Row>('SELECT id, request_hash FROM orders WHERE user_id = ? AND idempotency_key = ?', [userId, idempotencyKey], 'get');
  if (!row) return null;
  if (row.request_hash !== hash) throw new IdempotencyKeyReusedError();
  return num(row.id);
}

function requireStorableTotal(total: string): string {
  if (toCents(total) > MAX_MONEY_CENTS) throw new BadUserInputError('quantity', 'The order total is larger than an order can hold');
  return total;
}

/** Inserts the order row first: the unique (user, idempotency key) makes a concurrent twin wait, fail and replay. */
async function insertOrder(
  em: Em,
  order: { userId: number; idempotencyKey: string; requestHash: string; totalPrice: string; shippingCost: string },
): Promise<number> {
  const now = new Date();
  return num(
    await em.insert(Order, {
      user: order.userId,
      status: OrderStatus.PENDING,
      totalPrice: order.totalPrice,
      shippingCost: order.shippingCost,
      idempotencyKey: order.idempotencyKey,
      requestHash: order.requestHash,
      version: 1,
      createdAt: now,
      updatedAt: now,
    }),
  );
}

interface LineDraft {
  productId: number;
  stockId: number;
  warehouseId: number;
  quantity: number;
  unitPrice: string;
}

/** One order line per product × stock row actually used, so a cancellation returns units where they came from. */
async function insertLines(em: Em, orderId: number, drafts: LineDraft[]): Promise<void> {
  const merged = new Map<string, LineDraft>();
  for (const d of drafts) {
    const key = `${d.productId}:${d.stockId}`;
    const seen = merged.get(key);
    if (seen) seen.quantity += d.quantity;
    else merged.set(key, { ...d });
  }
  const now = new Date();
  await em.insertMany(
    OrderLine,
    [...merged.values()].map((d) => ({
      order: orderId,
      product: d.productId,
      warehouse: d.warehouseId,
      stock: d.stockId,
      quantity: d.quantity,
      unitPrice: d.unitPrice,
      subtotal: multiplyMoney(d.unitPrice, d.quantity),
      createdAt: now,
      updatedAt: now,
    })),
  );
}

async function fetchLines(ctx: RequestContext, orderIds: number[]): Promise<Map<number, OrderLine[]>> {
  const lines = await ctx.em.find(OrderLine, { order: { $in: orderIds } }, { orderBy: { id: 'asc' } });
  const out = new Map<number, OrderLine[]>(orderIds.map((id) => [id, []]));
  for (const line of lines) out.get(line.order.id)?.push(line);
  return out;
}

/** Checkout, buy-now and the order lifecycle. Orders are never deleted. */
export class OrderService {
  /**
   * The sold-out fast path of buyNow: one plain read, outside any transaction, before the write
   * limiter. It only ever refuses early what the guarded write would refuse anyway (lapsed holds
   * count as free here), and it stands aside when this key already has an order, so a replay still
   * returns that order, and for an unknown product. The guarded write in the unit of work remains
   * the only authority.
   */
  private async refuseIfSoldOut(ctx: RequestContext, userId: number, idempotencyKey: string, productId: number, quantity: number): Promise<void> {
    const row = await ctx.em.execute<Row>(
      'SELECT (SELECT id FROM orders WHERE user_id = ? AND idempotency_key = ?) AS order_id, ' +
        '(SELECT COUNT(*) FROM products WHERE id = ? AND archived_at IS NULL) AS live, ' +
        '(SELECT COALESCE(SUM(s.on_hand - s.reserved), 0) FROM stocks s JOIN warehouses w ON w.id = s.warehouse_id ' +
        'WHERE s.product_id = ? AND w.archived_at IS NULL) AS free, ' +
        '(SELECT COALESCE(SUM(h.quantity), 0) FROM stock_holds h JOIN stocks s ON s.id = h.stock_id ' +
        'WHERE s.product_id = ? AND h.expires_at_ms <= ?) AS lapsed',
      [userId, idempotencyKey, productId, productId, productId, Date.now()],
      'get',
    );
    // A replay, or an unknown/archived product (NOT_FOUND comes from the unit of work): stand aside.
    if (!row || row.order_id || num(row.live) === 0) return;
    const available = num(row.free) + num(row.lapsed);
    if (available < quantity) throw new InsufficientStockError(productId, Math.max(0, num(row.free)));
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
    const orderId = await runUnitOfWork(ctx, async (tx) => {
      const em = tx.em;
      // First statement: serialises this shopper's cart units, and later reads see all of them.
      await lockShopper(tx, viewer.id);
      const replay = await findReplay(em, viewer.id, idempotencyKey, hash);
      if (replay) return replay;

      const items = await em.execute<Row[]>(
        'SELECT ci.id, ci.product_id, ci.quantity, p.price, p.archived_at FROM carts c JOIN cart_items ci ON ci.cart_id = c.id ' +
          'JOIN products p ON p.id = ci.product_id WHERE c.user_id = ? ORDER BY ci.id',
        [viewer.id],
      );
      if (!items.length) throw new BadUserInputError('cart', 'The cart is empty');
      const lines = items.map((r) => ({ itemId: num(r.id), productId: num(r.product_id), quantity: num(r.quantity), price: normalizeMoney(r.price as string) }));
      const archived = items.find((r) => r.archived_at);
      if (archived) throw new BadUserInputError('cart', `Product ${num(archived.product_id)} is no longer for sale: remove it from the cart`);
      const totalPrice = requireStorableTotal(addMoney(shippingCost, ...lines.map((l) => multiplyMoney(l.price, l.quantity))));
      const orderId = await insertOrder(em, { userId: viewer.id, idempotencyKey, requestHash: hash, totalPrice, shippingCost });

      const itemIds = lines.map((l) => l.itemId);
      const holds = await em.execute<Row[]>(
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
        if (!(await deleteHold(em, holdId, held))) throw new RetryableConflict(`hold ${holdId} changed concurrently`);
        const take = Math.min(held, line.quantity - (sold.get(line.itemId) ?? 0));
        await applyStockChangeOrRetry(em, {
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
          drafts.push({ productId: line.productId, stockId, warehouseId: num(h.warehouse_id), quantity: take, unitPrice: line.price });
        }
      }
      for (const line of lines) {
        const missing = line.quantity - (sold.get(line.itemId) ?? 0);
        if (missing <= 0) continue;
        let allocations: Allocation[];
        try {
          allocations = await allocateStock(em, { productId: line.productId, quantity: missing, mode: 'sell', actorId: viewer.id, orderId, reason: 'checkout (hold had lapsed)' });
        } catch (error) {
          if (error instanceof InsufficientStockError) throw new ReservationExpiredError(line.productId, num(error.extensions.available));
          throw error;
        }
        for (const a of allocations) drafts.push({ productId: line.productId, stockId: a.stockId, warehouseId: a.warehouseId, quantity: a.quantity, unitPrice: line.price });
      }
      await insertLines(em, orderId, drafts);
      await em.execute(`DELETE FROM cart_items WHERE id IN (${marks(itemIds.length)})`, itemIds, 'run');
      return orderId;
    });
    return this.loadOrder(ctx, orderId);
  }

  /**
   * Buys one product directly, without the cart: the flash-sale hot path. One unit of work and
   * a handful of statements: replay check, product, order row, guarded stock write(s) with their
   * ledger rows (split across warehouses in ascending stock id), order lines. INSUFFICIENT_STOCK
   * leaves nothing behind. Idempotent like checkout.
   */
  async buyNow(ctx: RequestContext, input: { productId: unknown; quantity: unknown; idempotencyKey: unknown }): Promise<Order> {
    const viewer = requireViewer(ctx);
    const productId = requireId('productId', input.productId);
    const quantity = requireInt('quantity', input.quantity, { min: 1, max: MAX_LINE_QUANTITY });
    requireWithinHoldCap(ctx, quantity);
    const idempotencyKey = requireIdempotencyKey('idempotencyKey', input.idempotencyKey);
    const hash = requestHash({ op: 'buyNow', productId, quantity });
    await this.refuseIfSoldOut(ctx, viewer.id, idempotencyKey, productId, quantity);
    await ctx.services.rateLimits.consumeWrite(ctx, viewer.id);
    const orderId = await runUnitOfWork(ctx, async (tx) => {
      const em = tx.em;
      // Replay check and product in one statement: this is the flash-sale path.
      const found = await em.execute<Row>(
        'SELECT p.price, p.archived_at, o.id AS order_id, o.request_hash FROM products p ' +
          'LEFT JOIN orders o ON o.user_id = ? AND o.idempotency_key = ? WHERE p.id = ?',
        [viewer.id, idempotencyKey, productId],
        'get',
      );
      const replay = found ? (found.order_id ? num(found.order_id) : null) : await findReplay(em, viewer.id, idempotencyKey, hash);
      if (replay) {
        if (found && found.request_hash !== hash) throw new IdempotencyKeyReusedError();
        return replay;
      }
      if (!found || found.archived_at) throw new NotFoundError('Product');
      const product = { price: normalizeMoney(found.price as string) };
      const totalPrice = requireStorableTotal(multiplyMoney(product.price, quantity));
      const orderId = await insertOrder(em, { userId: viewer.id, idempotencyKey, requestHash: hash, totalPrice, shippingCost: '0.00' });
      const allocations = await allocateStock(em, { productId, quantity, mode: 'sell', actorId: viewer.id, orderId, reason: 'buy now' });
      await insertLines(
        em,
        orderId,
        allocations.map((a) => ({ productId, stockId: a.stockId, warehouseId: a.warehouseId, quantity: a.quantity, unitPrice: product.price })),
      );
      return orderId;
    });
    return this.loadOrder(ctx, orderId);
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
      const result = await tx.em.execute<{ affectedRows: number }>(
        'UPDATE orders SET status = ?, version = version + 1, updated_at = ? WHERE id = ? AND status = ?',
        [to, tx.em.getPlatform().processDateProperty(new Date()), orderId, from],
        'run',
      );
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

  private async currentStatus(tx: RequestContext, orderId: number): Promise<OrderStatus> {
    const row = await tx.em.execute<Row>(`SELECT status FROM orders WHERE id = ?${currentRead(tx)}`, [orderId], 'get');
    if (!row) throw new NotFoundError('Order');
    return row.status as OrderStatus;
  }

  private async cancelInUnit(tx: RequestContext, viewer: Viewer, admin: boolean, orderId: number): Promise<void> {
    const em = tx.em;
    const order = await em.execute<Row>('SELECT id, user_id FROM orders WHERE id = ?', [orderId], 'get');
    if (!order || (!admin && num(order.user_id) !== viewer.id)) throw new NotFoundError('Order');
    const allowed = admin ? [OrderStatus.PENDING, OrderStatus.PROCESSED] : [OrderStatus.PENDING];
    const result = await em.execute<{ affectedRows: number }>(
      `UPDATE orders SET status = ?, version = version + 1, updated_at = ? WHERE id = ? AND status IN (${marks(allowed.length)})`,
      [OrderStatus.CANCELLED, em.getPlatform().processDateProperty(new Date()), orderId, ...allowed],
      'run',
    );
    if (result.affectedRows !== 1) throw new InvalidStatusTransitionError(await this.currentStatus(tx, orderId), OrderStatus.CANCELLED);
    const lines = await em.execute<Row[]>(
      'SELECT stock_id, SUM(quantity) AS quantity FROM order_lines WHERE order_id = ? GROUP BY stock_id ORDER BY stock_id',
      [orderId],
    );
    for (const line of lines) {
      await applyStockChangeOrRetry(em, {
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
