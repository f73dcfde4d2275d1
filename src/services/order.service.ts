import {
  BadUserInputError,
  ConflictError,
  IdempotencyKeyReusedError,
  InsufficientStockError,
  InvalidStatusTransitionError,
  NotFoundError,
  OutcomeUnknownError,
  RateLimitedError,
  ReservationExpiredError,
  RETRY_WITH_SAME_KEY,
  ServiceUnavailableError,
} from '../common/errors';
import { addMoney, multiplyMoney } from '../common/money';
import type { DbContext } from '../db/context';
import { paginate, type Page, type PageRequest } from '../db/pagination';
import { loadBatched, loadById } from '../db/request-batch';
import type { UnitContext, UnitOfWork } from '../db/unit-of-work';
import { Order, OrderLine, OrderStatus, Product, StockMovementKind, User, Warehouse } from '../entities';
import {
  findOrderOwner,
  findOrderUnitsByStock,
  deferLines,
  insertOrders,
  readCheckout,
  readStatus,
  updateStatus,
  type LineDraft,
  type OrderDraft,
} from '../repositories/order.repository';
import { deferDeleteItems } from '../repositories/cart.repository';
import { applyStockChangeOrRetry, releaseStep, runSteps, type Step } from '../repositories/stock.repository';
import type { BuyNowBatcher, BuyNowOutcome, BuyNowRequest } from './buy-now-batcher';
import type { RequestContext, Viewer } from './context';
import { priceCheckoutLines, returnOrderSaleUnits } from './flash-sale-units';
import { requestHash, requireStorableTotal } from './order-rules';
import { WriteRefused } from './rate-limit.service';
import type { ShopperMutation } from './shopper-mutation';
import { allocateStock, type Allocation } from './stock-allocation';
import { isAdmin, requireAdmin, requireViewer } from './viewer';

/** The status an order must have for an admin to move it to the key's status (cancellation aside). */
const FORWARD_FROM: Partial<Record<OrderStatus, OrderStatus>> = {
  [OrderStatus.PROCESSED]: OrderStatus.PENDING,
  [OrderStatus.SHIPPED]: OrderStatus.PROCESSED,
  [OrderStatus.DELIVERED]: OrderStatus.SHIPPED,
};

async function fetchLines(ctx: DbContext, orderIds: number[]): Promise<Map<number, OrderLine[]>> {
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

  constructor(
    private readonly uow: UnitOfWork,
    private readonly shopper: ShopperMutation,
    /** Sells concurrent buyNow requests for one product in one transaction (see BuyNowBatcher). */
    private readonly buyNowBatcher: BuyNowBatcher,
  ) {}

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
  async checkout(ctx: RequestContext, input: { idempotencyKey: string; shippingCost: string }): Promise<Order> {
    const { idempotencyKey, shippingCost } = input;
    const hash = requestHash({ op: 'checkout', shippingCost });
    const created = await this.shopper.run(ctx, { outcomeUnknownMessage: RETRY_WITH_SAME_KEY }, async (tx, viewer) => {
      const sql = tx.sql;
      const { replay, lines, holds } = await readCheckout(sql, viewer.id, idempotencyKey);
      if (replay) {
        if (replay.requestHash !== hash) throw new IdempotencyKeyReusedError();
        return { orderId: replay.orderId, draft: null };
      }
      if (!lines.length) throw new BadUserInputError('cart', 'The cart is empty');
      const archived = lines.find((l) => l.archived);
      if (archived) throw new BadUserInputError('cart', `Product ${archived.productId} is no longer for sale: remove it from the cart`);
      // flash sale: each line's price (sale units taken or converted) before any stock row is written.
      const pricing = await priceCheckoutLines(sql, viewer.id, lines);
      const priceOf = (itemId: number) => pricing.get(itemId)!;
      const totalPrice = requireStorableTotal(addMoney(shippingCost, ...lines.map((l) => multiplyMoney(priceOf(l.itemId).unitPrice, l.quantity))));
      const draft = { userId: viewer.id, idempotencyKey, requestHash: hash, totalPrice, shippingCost };
      const now = new Date();
      const [orderId] = await insertOrders(sql, [draft], now);

      const itemIds = lines.map((l) => l.itemId);
      const drafts: LineDraft[] = [];
      const sold = new Map<number, number>();
      // The holds as read with the lines (the transaction's snapshot), all settled in one round trip;
      // one swept since fails its compare-and-set (a retry of the unit, which re-reads).
      const settle: Step[] = [];
      for (const hold of holds) {
        const line = lines.find((l) => l.itemId === hold.cartItemId)!;
        // Never sells more than the line asks even if its holds were to exceed it: the rest is released.
        const take = Math.min(hold.quantity, line.quantity - (sold.get(line.itemId) ?? 0));
        // A lapsed hold that was not swept is still ours.
        settle.push(
          releaseStep(sql, hold, {
            sold: take,
            kind: take > 0 ? StockMovementKind.SALE : StockMovementKind.RELEASE,
            orderId,
            actorId: viewer.id,
            reason: 'checkout',
            unitPrice: take > 0 ? priceOf(line.itemId).unitPrice : null,
          }),
        );
        if (take > 0) {
          sold.set(line.itemId, (sold.get(line.itemId) ?? 0) + take);
          const { unitPrice, saleId } = priceOf(line.itemId);
          drafts.push({ orderId, productId: line.productId, stockId: hold.stockId, warehouseId: hold.warehouseId, quantity: take, unitPrice, flashSaleId: saleId });
        }
      }
      await runSteps(sql, settle);
      for (const line of lines) {
        const missing = line.quantity - (sold.get(line.itemId) ?? 0);
        if (missing <= 0) continue;
        let allocations: Allocation[];
        try {
          allocations = await allocateStock(sql, {
            productId: line.productId,
            quantity: missing,
            mode: 'sell',
            actorId: viewer.id,
            orderId,
            reason: 'checkout (hold had lapsed)',
            unitPrice: priceOf(line.itemId).unitPrice,
          });
        } catch (error) {
          if (error instanceof InsufficientStockError) throw new ReservationExpiredError(line.productId, Number(error.extensions.available));
          throw error;
        }
        const { unitPrice, saleId } = priceOf(line.itemId);
        for (const a of allocations) drafts.push({ orderId, productId: line.productId, stockId: a.stockId, warehouseId: a.warehouseId, quantity: a.quantity, unitPrice, flashSaleId: saleId });
      }
      // Both go with the COMMIT, in one round trip (Sql.defer).
      deferLines(sql, drafts);
      deferDeleteItems(sql, itemIds);
      return { orderId, draft: { ...draft, createdAt: now } };
    });
    if (!created.draft) return this.loadOrder(ctx, created.orderId);
    return this.committedOrder(created.orderId, created.draft);
  }

  /**
   * A new order from the values its unit of work just committed: no re-read per sale, and no ORM
   * entity (identity map, snapshot) for an object nothing will flush. It has the Order fields the
   * GraphQL layer reads; `user` is a reference by id.
   */
  private committedOrder(id: number, order: OrderDraft & { createdAt: Date }): Order {
    const committed: Omit<Order, 'user'> & { user: Pick<User, 'id'> } = {
      id,
      user: { id: order.userId },
      status: OrderStatus.PENDING,
      totalPrice: order.totalPrice,
      shippingCost: order.shippingCost,
      idempotencyKey: order.idempotencyKey,
      requestHash: order.requestHash,
      version: 1,
      createdAt: order.createdAt,
      updatedAt: order.createdAt,
    };
    return committed as unknown as Order;
  }

  /**
   * Buys one product directly, without the cart: the flash-sale hot path. The order row, the
   * guarded stock write(s) with their SALE ledger rows (split across warehouses in ascending stock
   * id) and the lines commit together or not at all; concurrent buyNow requests for the same
   * product in this process share that transaction (BuyNowBatcher), each still getting its own
   * answer. INSUFFICIENT_STOCK leaves nothing behind. Idempotent like checkout: the same key with
   * the same input returns the same order, with other input IDEMPOTENCY_KEY_REUSED.
   */
  async buyNow(ctx: RequestContext, input: { productId: number; quantity: number; idempotencyKey: string }): Promise<Order> {
    const { productId, quantity, idempotencyKey } = input;
    const viewer = this.shopper.requireShopper(ctx, quantity);
    const hash = requestHash({ op: 'buyNow', productId, quantity });
    const request = { userId: viewer.id, productId, quantity, idempotencyKey, requestHash: hash };
    if ((this.recentlyShort.get(productId) ?? 0) > Date.now()) {
      // After a sell-out nearly every request is refused: one shared read, before the limiter and the transaction.
      await this.buyNowBatcher.refuseIfSoldOut(ctx, request).catch((error: unknown) => {
        if (error instanceof InsufficientStockError) this.noteShort(productId);
        throw error;
      });
    }
    const outcome = await this.submitCounted(ctx, viewer, request);
    if (outcome.kind === 'replay') return this.loadOrder(ctx, outcome.orderId);
    this.recentlyShort.delete(productId);
    return this.committedOrder(outcome.orderId, {
      userId: viewer.id,
      idempotencyKey,
      requestHash: hash,
      totalPrice: outcome.totalPrice,
      shippingCost: '0.00',
      createdAt: outcome.createdAt,
    });
  }

  /**
   * Submits a buyNow to its product's batch, whose transaction counts it in the write limiter
   * (BuyNowBatcher). Over the limit the batch answers WriteRefused: the attempt is counted again on
   * its own, which throws RATE_LIMITED with the window's retryAfter, unless the window has just
   * ended (then it is submitted once more). A batch that failed as a whole (CONFLICT,
   * SERVICE_UNAVAILABLE, a full queue) rolled its counts back or never made them, so the attempt
   * is counted on its own; an outcome-unknown one may have committed its count and is not.
   */
  private async submitCounted(ctx: RequestContext, viewer: Viewer, request: BuyNowRequest): Promise<BuyNowOutcome> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.buyNowBatcher.submit(ctx, request);
      } catch (error) {
        if (error instanceof InsufficientStockError) this.noteShort(request.productId);
        if (error instanceof WriteRefused) {
          await this.shopper.countWrite(ctx, viewer);
          if (attempt < 2) continue;
          throw new RateLimitedError(1);
        }
        if ((error instanceof ConflictError || error instanceof ServiceUnavailableError) && !(error instanceof OutcomeUnknownError)) {
          await this.shopper.countWrite(ctx, viewer).catch(() => undefined);
        }
        throw error;
      }
    }
  }

  /** The viewer's orders (all orders for an admin), optionally by status, in creation order (`args.direction`; oldest first by default), paginated. */
  async listOrders(ctx: RequestContext, args: { status?: OrderStatus | null } & PageRequest): Promise<Page<Order>> {
    const viewer = requireViewer(ctx);
    const where: Record<string, unknown> = {};
    if (!isAdmin(ctx)) where.user = viewer.id;
    if (args.status) where.status = args.status;
    return paginate(ctx.em, Order, where, args);
  }

  /** One order: the buyer's own, or any for an admin; null otherwise (whether it exists is not revealed). */
  async findOrder(ctx: RequestContext, id: number): Promise<Order | null> {
    const viewer = requireViewer(ctx);
    const order = await ctx.em.findOne(Order, { id });
    if (!order || (!isAdmin(ctx) && order.user.id !== viewer.id)) return null;
    return order;
  }

  /**
   * Cancels an order (the buyer while PENDING, an admin while PENDING or PROCESSED) and returns
   * every line's quantity to the stock row it came from (CANCELLATION in the ledger), atomically.
   * The status change is a guarded write, so two concurrent cancellations return the stock once.
   */
  async cancelOrder(ctx: RequestContext, orderId: number): Promise<Order> {
    const viewer = requireViewer(ctx);
    await this.uow.run(ctx, (tx) => this.cancelInUnit(tx, viewer, isAdmin(ctx), orderId));
    return this.loadOrder(ctx, orderId);
  }

  /**
   * Admin only: PENDING → PROCESSED → SHIPPED → DELIVERED, and PENDING|PROCESSED → CANCELLED
   * (which returns the stock, as cancelOrder). Every change is a guarded write on the current
   * status; anything else is INVALID_STATUS_TRANSITION.
   */
  async updateOrderStatus(ctx: RequestContext, input: { id: number; status: OrderStatus }): Promise<Order> {
    const viewer = requireAdmin(ctx);
    const { id: orderId, status: to } = input;
    await this.uow.run(ctx, async (tx) => {
      if (to === OrderStatus.CANCELLED) return this.cancelInUnit(tx, viewer, true, orderId);
      const from = FORWARD_FROM[to];
      const current = await this.currentStatus(tx, orderId);
      if (!from || current !== from) throw new InvalidStatusTransitionError(current, to);
      if (!(await updateStatus(tx.sql, orderId, [from], to))) throw new InvalidStatusTransitionError(await this.currentStatus(tx, orderId), to);
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
    const status = await readStatus(tx.sql, orderId);
    if (!status) throw new NotFoundError('Order');
    return status;
  }

  private async cancelInUnit(tx: UnitContext, viewer: Viewer, admin: boolean, orderId: number): Promise<void> {
    const sql = tx.sql;
    const owner = await findOrderOwner(sql, orderId);
    if (owner === null || (!admin && owner !== viewer.id)) throw new NotFoundError('Order');
    const allowed = admin ? [OrderStatus.PENDING, OrderStatus.PROCESSED] : [OrderStatus.PENDING];
    if (!(await updateStatus(sql, orderId, allowed, OrderStatus.CANCELLED))) {
      throw new InvalidStatusTransitionError(await this.currentStatus(tx, orderId), OrderStatus.CANCELLED);
    }
    await returnOrderSaleUnits(sql, orderId); // flash sale: allowance and quota back, before the stock rows
    for (const units of await findOrderUnitsByStock(sql, orderId)) {
      await applyStockChangeOrRetry(sql, {
        stockId: units.stockId,
        kind: StockMovementKind.CANCELLATION,
        onHandDelta: units.quantity,
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
