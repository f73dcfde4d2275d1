import { AppError, BadUserInputError, ConflictError, type ErrorCode, ForbiddenError, InsufficientStockError, NotFoundError, RetryableConflict } from '../common/errors';
import { MAX_ON_HAND, MAX_STOCK_ITEMS_PER_REQUEST } from '../common/limits';
import { logger } from '../config/logger';
import type { DbContext } from '../db/context';
import { paginate, type Page, type PageRequest } from '../db/pagination';
import { loadBatched, loadById } from '../db/request-batch';
import { sqlFor } from '../db/sql';
import type { UnitContext, UnitOfWork } from '../db/unit-of-work';
import { Product, Stock, StockMovement, StockMovementKind, User, Warehouse } from '../entities';
import { findLiveProductOwner } from '../repositories/product.repository';
import { applyStockChange, ensureStockRow, lapsedHeldByStock, readStock, releaseLapsedHolds } from '../repositories/stock.repository';
import { lockWarehouse } from '../repositories/warehouse.repository';
import type { RequestContext, Viewer } from './context';
import type { RateLimitService } from './rate-limit.service';
import { isAdmin, requireViewer } from './viewer';

const BULK_PARALLELISM = 8;

export interface SetStockCommand {
  warehouseId: number;
  productId: number;
  onHand: number;
  /** Compare-and-set: the write applies only while the row still has this version. */
  expectedVersion?: number;
}

export interface AdjustStockCommand {
  warehouseId: number;
  productId: number;
  delta: number;
  reason: string | null;
}

export interface StockResult {
  ok: boolean;
  stock: Stock | null;
  error: { code: string; message: string } | null;
}

/** Stock items each request has written so far, over all its fields and aliases (ends with the request). */
const stockItemsByRequest = new WeakMap<RequestContext, number>();

const fetchLapsed = (ctx: DbContext, ids: number[]) => lapsedHeldByStock(sqlFor(ctx.em), ids);

/** Runs `work` over `items` with at most `limit` running at once; results keep the input order. */
async function mapBounded<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function publicError(error: unknown): { code: ErrorCode; message: string } {
  if (error instanceof AppError) return { code: error.code, message: error.message };
  logger.error('setStocks item failed', { error: error instanceof Error ? error : String(error) });
  return { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' };
}

/**
 * Per-warehouse stock. Every change runs in its own unit of work and goes through the stock repository's
 * guarded statements, so concurrent changes (from any number of processes) never lose an update
 * and every change has its ledger row.
 */
export class StockService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly rateLimits: RateLimitService,
  ) {}

  /**
   * Sets the on-hand quantity of a warehouse × product (creating the row on first use). With
   * `expectedVersion` it is a compare-and-set: a stock that changed since fails with CONFLICT and
   * is not retried. The row is locked from the read of the current level to the write, so
   * concurrent absolute sets queue up instead of starving each other. Never goes below the
   * quantity reserved by active holds (lapsed holds are released first).
   */
  async setStock(ctx: RequestContext, input: SetStockCommand): Promise<Stock> {
    await this.admitStockWrites(ctx, requireViewer(ctx), 1);
    const stockId = await this.setStockCommitted(ctx, input);
    return ctx.em.findOneOrFail(Stock, stockId, { refresh: true });
  }

  /**
   * Adds `delta` (positive or negative) to the on-hand quantity in one guarded statement, so
   * parallel adjustments all apply. Fails with INSUFFICIENT_STOCK when it would go below the
   * reserved quantity (after releasing lapsed holds) or below zero.
   */
  async adjustStock(ctx: RequestContext, input: AdjustStockCommand): Promise<Stock> {
    const viewer = requireViewer(ctx);
    await this.admitStockWrites(ctx, viewer, 1);
    const { warehouseId, productId, delta, reason } = input;
    const stockId = await this.uow.run(ctx, async (tx) => {
      await this.requireStockAccess(tx, viewer, warehouseId, productId);
      const id = await ensureStockRow(tx.sql, warehouseId, productId);
      const change = { stockId: id, kind: StockMovementKind.ADJUSTMENT, onHandDelta: delta, reservedDelta: 0, reason, actorId: viewer.id };
      let applied = await applyStockChange(tx.sql, change);
      if (!applied && delta < 0 && (await releaseLapsedHolds(tx.sql, { stockId: id })) > 0) applied = await applyStockChange(tx.sql, change);
      const after = await readStock(tx.sql, id);
      if (!applied) throw new InsufficientStockError(productId, Math.max(0, (after?.onHand ?? 0) - (after?.reserved ?? 0)));
      if (!after || after.onHand > MAX_ON_HAND) throw new BadUserInputError('delta', `on hand would exceed ${MAX_ON_HAND}`);
      return id;
    });
    return ctx.em.findOneOrFail(Stock, stockId, { refresh: true });
  }

  /**
   * Bulk setStock: each item in its own unit of work, so a bad item fails alone (an item that did
   * not parse arrives as its error and is reported in its place). Items run concurrently
   * (bounded); items for the same warehouse × product run one after another in input order, so
   * the last one wins deterministically. Each result's stock is read after the batch.
   */
  async setStocks(ctx: RequestContext, items: (SetStockCommand | AppError)[]): Promise<StockResult[]> {
    await this.admitStockWrites(ctx, requireViewer(ctx), items.length);
    const groups = new Map<string, number[]>();
    items.forEach((item, index) => {
      const key = item instanceof AppError ? `invalid|${index}` : `${item.warehouseId}|${item.productId}`;
      groups.set(key, [...(groups.get(key) ?? []), index]);
    });
    const outcomes = new Array<{ stockId?: number; error?: { code: string; message: string } }>(items.length);
    await mapBounded([...groups.values()], BULK_PARALLELISM, async (indexes) => {
      for (const index of indexes) {
        const item = items[index];
        try {
          if (item instanceof AppError) throw item;
          outcomes[index] = { stockId: await this.setStockCommitted(ctx, item) };
        } catch (error) {
          outcomes[index] = { error: publicError(error) };
        }
      }
    });
    const ids = [...new Set(outcomes.flatMap((o) => (o.stockId ? [o.stockId] : [])))];
    const stocks = new Map((ids.length ? await ctx.em.find(Stock, { id: { $in: ids } }, { refresh: true }) : []).map((s) => [s.id, s]));
    return outcomes.map((o) =>
      o.stockId ? { ok: true, stock: stocks.get(o.stockId) ?? null, error: null } : { ok: false, stock: null, error: o.error ?? null },
    );
  }

  /** The ledger of a product's stock, oldest first (ascending id, so cursors stay stable). Owner or admin. */
  async listMovements(ctx: RequestContext, productId: number, page: PageRequest): Promise<Page<StockMovement>> {
    const viewer = requireViewer(ctx);
    const product = await ctx.em.findOne(Product, { id: productId, archivedAt: null });
    if (!product) throw new NotFoundError('Product');
    if (product.owner.id !== viewer.id && !isAdmin(ctx)) throw new ForbiddenError('Only the owner of this product can see its stock movements');
    return paginate(ctx.em, StockMovement, { productId }, page);
  }

  /** Quantity held by carts whose hold has not lapsed (a lapsed hold no longer counts). */
  async activeReservedOf(ctx: RequestContext, stock: Stock): Promise<number> {
    if (stock.reserved === 0) return 0;
    const lapsed = (await loadBatched(ctx, fetchLapsed, stock.id)) ?? 0;
    return Math.max(0, stock.reserved - lapsed);
  }

  async availableOf(ctx: RequestContext, stock: Stock): Promise<number> {
    return stock.onHand - (await this.activeReservedOf(ctx, stock));
  }

  async warehouseOf(ctx: RequestContext, stock: Stock): Promise<Warehouse> {
    return this.required(await loadById(ctx, Warehouse, stock.warehouse.id), 'warehouse', stock.id);
  }

  async productOf(ctx: RequestContext, stock: Stock): Promise<Product> {
    return this.required(await loadById(ctx, Product, stock.product.id), 'product', stock.id);
  }

  async stockOf(ctx: RequestContext, movement: StockMovement): Promise<Stock> {
    return this.required(await loadById(ctx, Stock, movement.stock.id), 'stock', movement.id);
  }

  async actorOf(ctx: RequestContext, movement: StockMovement): Promise<User | null> {
    if (!movement.actor) return null;
    return (await loadById(ctx, User, movement.actor.id)) ?? null;
  }

  /**
   * The gate of every stock write, before any unit runs: at most MAX_STOCK_ITEMS_PER_REQUEST
   * items per request over all its fields (aliases cannot multiply a bulk call), then the
   * per-user stock-write budget, which counts every item.
   */
  private async admitStockWrites(ctx: RequestContext, viewer: Viewer, items: number): Promise<void> {
    const used = stockItemsByRequest.get(ctx) ?? 0;
    if (used + items > MAX_STOCK_ITEMS_PER_REQUEST) {
      throw new BadUserInputError(
        'input',
        `at most ${MAX_STOCK_ITEMS_PER_REQUEST} stock items per request, over all its fields (this one would make ${used + items}): send the rest in another request`,
      );
    }
    stockItemsByRequest.set(ctx, used + items);
    await this.rateLimits.consumeStockWrites(ctx, viewer.id, items);
  }

  /** Runs one setStock unit and returns the stock id once committed. */
  private async setStockCommitted(ctx: RequestContext, input: SetStockCommand): Promise<number> {
    const viewer = requireViewer(ctx);
    const { warehouseId, productId, onHand, expectedVersion } = input;
    return this.uow.run(ctx, async (tx) => {
      await this.requireStockAccess(tx, viewer, warehouseId, productId);
      const stockId = await ensureStockRow(tx.sql, warehouseId, productId);
      // An absolute set needs the current level to compute its delta: lock the row so that the
      // level cannot move between the read and the write (optimistic retries would starve under
      // contention: each round only one of N writers wins).
      const seen = await readStock(tx.sql, stockId, { forUpdate: true });
      if (!seen) throw new RetryableConflict(`stock ${stockId} vanished`);
      // Compare with the version the caller saw before our own sweep of lapsed holds bumps it.
      if (expectedVersion !== undefined && seen.version !== expectedVersion) {
        throw new ConflictError(`The stock changed since version ${expectedVersion} (now ${seen.version}): reload and try again`);
      }
      // Holds always add up to `reserved`, so a row with nothing reserved has no lapsed hold to release.
      const released = seen.reserved > 0 ? await releaseLapsedHolds(tx.sql, { stockId }) : 0;
      const current = released > 0 ? await readStock(tx.sql, stockId, { forUpdate: true }) : seen;
      if (!current) throw new RetryableConflict(`stock ${stockId} vanished`);
      if (onHand < current.reserved) {
        throw new BadUserInputError('onHand', `onHand cannot be below the ${current.reserved} units reserved in carts`);
      }
      const delta = onHand - current.onHand;
      // Nothing to record; a compare-and-set still writes, so that exactly one of several wins.
      if (delta === 0 && expectedVersion === undefined) return stockId;
      const applied = await applyStockChange(tx.sql, {
        stockId,
        kind: StockMovementKind.ADJUSTMENT,
        onHandDelta: delta,
        reservedDelta: 0,
        expectedVersion: current.version,
        reason: 'stock set',
        actorId: viewer.id,
      });
      if (!applied) {
        if (expectedVersion !== undefined) throw new ConflictError(`The stock changed since version ${expectedVersion}: reload and try again`);
        throw new RetryableConflict(`stock ${stockId} changed concurrently`);
      }
      return stockId;
    });
  }

  /**
   * Only the warehouse's owner changes its stock, and only for products they own. A warehouse the
   * caller may not see is NOT_FOUND; a public product of someone else is FORBIDDEN.
   */
  private async requireStockAccess(tx: UnitContext<RequestContext>, viewer: Viewer, warehouseId: number, productId: number): Promise<void> {
    const warehouse = await lockWarehouse(tx.sql, warehouseId, 'share');
    if (!warehouse || warehouse.archived || (warehouse.ownerId !== viewer.id && !isAdmin(tx))) throw new NotFoundError('Warehouse');
    if (warehouse.ownerId !== viewer.id) throw new ForbiddenError('Only the owner of this warehouse can change its stock');
    // A plain read, not an entity: nothing in this unit may be flushed back besides the stock write.
    const ownerId = await findLiveProductOwner(tx.sql, productId);
    if (ownerId === null) throw new NotFoundError('Product');
    if (ownerId !== viewer.id) throw new ForbiddenError('You can stock only products you own');
  }

  private required<T>(value: T | undefined, what: string, id: number): T {
    if (value === undefined) throw new Error(`${what} of ${id} is missing`);
    return value;
  }
}
