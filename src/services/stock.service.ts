import { AppError, BadUserInputError, ConflictError, ForbiddenError, InsufficientStockError, NotFoundError, RetryableConflict } from '../common/errors';
import { optionalText, requireId, requireInt } from '../common/validate';
import { logger } from '../config/logger';
import { Product, Stock, StockMovement, StockMovementKind, User, Warehouse } from '../entities';
import type { RequestContext, Viewer } from './context';
import { paginate, type Page } from '../db/pagination';
import { loadBatched, loadById } from '../db/request-batch';
import { applyStockChange, ensureStockRow, lapsedHeldByStock, readStock, releaseLapsedHolds } from '../repositories/stock.repository';
import { runUnitOfWork, type UnitContext } from '../db/unit-of-work';
import { isAdmin, requireViewer } from './viewer';
import { sqlFor } from '../db/sql';

export const MAX_ON_HAND = 1_000_000_000;
export const MAX_BULK_ITEMS = 500;
const BULK_PARALLELISM = 8;
const MAX_VERSION = 2_147_483_647;

export interface SetStockArgs {
  warehouseId: unknown;
  productId: unknown;
  onHand: unknown;
  expectedVersion?: unknown;
}

export interface AdjustStockArgs {
  warehouseId: unknown;
  productId: unknown;
  delta: unknown;
  reason?: unknown;
}

export interface StockResult {
  ok: boolean;
  stock: Stock | null;
  error: { code: string; message: string } | null;
}


export interface WarehouseRow {
  id: number;
  ownerId: number;
  archived: boolean;
}

/**
 * Reads a warehouse row with a row lock on MySQL: `share` for stock changes (they run side by
 * side), `update` for deleting the warehouse, so a delete and a stock change of the same
 * warehouse never interleave. SQLite serialises writing transactions by itself.
 */
export async function lockWarehouseRow(tx: UnitContext, id: number, mode: 'share' | 'update'): Promise<WarehouseRow | null> {
  const lock = tx.sql.kind === 'mysql' ? (mode === 'share' ? ' LOCK IN SHARE MODE' : ' FOR UPDATE') : '';
  const row = await tx.sql.get(`SELECT id, owner_id, archived_at FROM warehouses WHERE id = ?${lock}`, [id]);
  return row ? { id: Number(row.id), ownerId: Number(row.owner_id), archived: row.archived_at !== null && row.archived_at !== undefined } : null;
}

const fetchLapsed = (ctx: RequestContext, ids: number[]) => lapsedHeldByStock(sqlFor(ctx.em), ids);

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

function publicError(error: unknown): { code: string; message: string } {
  if (error instanceof AppError) return { code: error.code, message: error.message };
  logger.error('setStocks item failed', { error: error instanceof Error ? error : String(error) });
  return { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' };
}

/**
 * Per-warehouse stock. Every change runs in its own unit of work and goes through stock-store's
 * guarded statements, so concurrent changes (from any number of processes) never lose an update
 * and every change has its ledger row.
 */
export class StockService {
  /**
   * Sets the on-hand quantity of a warehouse × product (creating the row on first use). With
   * `expectedVersion` it is a compare-and-set: a stock that changed since fails with CONFLICT and
   * is not retried. The row is locked from the read of the current level to the write, so
   * concurrent absolute sets queue up instead of starving each other. Never goes below the
   * quantity reserved by active holds (lapsed holds are released first).
   */
  async setStock(ctx: RequestContext, input: SetStockArgs): Promise<Stock> {
    const stockId = await this.setStockCommitted(ctx, input);
    return ctx.em.findOneOrFail(Stock, stockId, { refresh: true });
  }

  /**
   * Adds `delta` (positive or negative) to the on-hand quantity in one guarded statement, so
   * parallel adjustments all apply. Fails with INSUFFICIENT_STOCK when it would go below the
   * reserved quantity (after releasing lapsed holds) or below zero.
   */
  async adjustStock(ctx: RequestContext, input: AdjustStockArgs): Promise<Stock> {
    const viewer = requireViewer(ctx);
    const warehouseId = requireId('warehouseId', input.warehouseId);
    const productId = requireId('productId', input.productId);
    const delta = requireInt('delta', input.delta, { min: -MAX_ON_HAND, max: MAX_ON_HAND });
    if (delta === 0) throw new BadUserInputError('delta', 'delta must not be 0');
    const reason = optionalText('reason', input.reason, { max: 500 }) || null;
    const stockId = await runUnitOfWork(ctx, async (tx) => {
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
   * Bulk setStock: each item in its own unit of work, so a bad item fails alone. Items run
   * concurrently (bounded); items for the same warehouse × product run one after another in input
   * order, so the last one wins deterministically. Each result's stock is read after the batch.
   */
  async setStocks(ctx: RequestContext, items: SetStockArgs[]): Promise<StockResult[]> {
    requireViewer(ctx);
    if (items.length > MAX_BULK_ITEMS) throw new BadUserInputError('input', `at most ${MAX_BULK_ITEMS} items per call (got ${items.length})`);
    const groups = new Map<string, number[]>();
    items.forEach((item, index) => {
      const key = `${String(item.warehouseId)}|${String(item.productId)}`;
      groups.set(key, [...(groups.get(key) ?? []), index]);
    });
    const outcomes = new Array<{ stockId?: number; error?: { code: string; message: string } }>(items.length);
    await mapBounded([...groups.values()], BULK_PARALLELISM, async (indexes) => {
      for (const index of indexes) {
        try {
          outcomes[index] = { stockId: await this.setStockCommitted(ctx, items[index]) };
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
  async listMovements(ctx: RequestContext, rawProductId: unknown, args: { first?: number | null; after?: string | null }): Promise<Page<StockMovement>> {
    const viewer = requireViewer(ctx);
    const productId = requireId('productId', rawProductId);
    const product = await ctx.em.findOne(Product, { id: productId, archivedAt: null });
    if (!product) throw new NotFoundError('Product');
    if (product.owner.id !== viewer.id && !isAdmin(ctx)) throw new ForbiddenError('Only the owner of this product can see its stock movements');
    return paginate(ctx.em, StockMovement, { stock: { product: productId } }, args);
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

  /** The change a movement made to the quantity it is about: on hand, or reserved for hold movements. */
  deltaOf(movement: StockMovement): number {
    switch (movement.kind) {
      case StockMovementKind.RESERVATION:
      case StockMovementKind.RELEASE:
      case StockMovementKind.EXPIRY:
        return movement.reservedDelta;
      default:
        return movement.onHandDelta;
    }
  }

  /** Runs one setStock unit and returns the stock id once committed. */
  private async setStockCommitted(ctx: RequestContext, input: SetStockArgs): Promise<number> {
    const viewer = requireViewer(ctx);
    const warehouseId = requireId('warehouseId', input.warehouseId);
    const productId = requireId('productId', input.productId);
    const onHand = requireInt('onHand', input.onHand, { min: 0, max: MAX_ON_HAND });
    const expectedVersion =
      input.expectedVersion === undefined || input.expectedVersion === null
        ? undefined
        : requireInt('expectedVersion', input.expectedVersion, { min: 1, max: MAX_VERSION });
    return runUnitOfWork(ctx, async (tx) => {
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
  private async requireStockAccess(tx: UnitContext, viewer: Viewer, warehouseId: number, productId: number): Promise<void> {
    const warehouse = await lockWarehouseRow(tx, warehouseId, 'share');
    if (!warehouse || warehouse.archived || (warehouse.ownerId !== viewer.id && !isAdmin(tx))) throw new NotFoundError('Warehouse');
    if (warehouse.ownerId !== viewer.id) throw new ForbiddenError('Only the owner of this warehouse can change its stock');
    // A plain read, not an entity: nothing in this unit may be flushed back besides the stock write.
    const product = await tx.sql.get('SELECT owner_id FROM products WHERE id = ? AND archived_at IS NULL', [productId]);
    if (!product) throw new NotFoundError('Product');
    if (Number(product.owner_id) !== viewer.id) throw new ForbiddenError('You can stock only products you own');
  }

  private required<T>(value: T | undefined, what: string, id: number): T {
    if (value === undefined) throw new Error(`${what} of ${id} is missing`);
    return value;
  }
}
