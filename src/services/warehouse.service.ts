import { BadUserInputError, ForbiddenError, NotFoundError } from '../common/errors';
import type { UnitOfWork } from '../db/unit-of-work';
import type { PageRequest } from '../db/pagination';
import { Stock, StockMovementKind, Warehouse } from '../entities';
import { activeHeldInWarehouse, applyStockChangeOrRetry, findStockIdsOfWarehouse, readStock, releaseLapsedHolds } from '../repositories/stock.repository';
import { archiveWarehouseRow, countOpenOrdersFrom, deleteWarehouseRow, lockWarehouse } from '../repositories/warehouse.repository';
import type { RequestContext } from './context';
import { isAdmin, requireViewer } from './viewer';

export interface WarehouseFields {
  name?: string;
  location?: string;
}

/** Warehouses belong to the user who creates them; others may not learn that they exist. */
export class WarehouseService {
  constructor(private readonly uow: UnitOfWork) {}

  async createWarehouse(ctx: RequestContext, input: { name: string; location: string }): Promise<Warehouse> {
    const viewer = requireViewer(ctx);
    // A fork holding only this entity: a flush must never write back anything else this request loaded.
    const em = ctx.em.fork();
    const warehouse = em.create(Warehouse, { owner: viewer.id, name: input.name, location: input.location });
    await em.flush();
    return warehouse;
  }

  /** Changes the given fields of the caller's warehouse. */
  async updateWarehouse(ctx: RequestContext, id: number, changes: WarehouseFields): Promise<Warehouse> {
    const viewer = requireViewer(ctx);
    const em = ctx.em.fork();
    const warehouse = await this.findVisibleOrThrow({ ...ctx, em }, id);
    if (warehouse.owner.id !== viewer.id) throw new ForbiddenError('Only the owner of this warehouse can change it');
    em.assign(warehouse, changes);
    await em.flush();
    return warehouse;
  }

  /**
   * Removes the caller's warehouse. Refused (BAD_USER_INPUT on `id`) while carts hold its stock or
   * open orders (PENDING/PROCESSED) were filled from it. A warehouse without stock rows is
   * deleted; otherwise every row's on-hand goes to zero through the ledger and the warehouse is
   * archived, so the history stays whole. The warehouse row is locked for the duration, and each
   * row is zeroed by compare-and-set, so a concurrent reservation or sale makes the unit retry
   * and see it.
   */
  async deleteWarehouse(ctx: RequestContext, id: number): Promise<boolean> {
    const viewer = requireViewer(ctx);
    await this.uow.run(ctx, async (tx) => {
      const warehouse = await lockWarehouse(tx.sql, id, 'update');
      if (!warehouse || warehouse.archived || (warehouse.ownerId !== viewer.id && !isAdmin(tx))) throw new NotFoundError('Warehouse');
      if (warehouse.ownerId !== viewer.id) throw new ForbiddenError('Only the owner of this warehouse can delete it');

      const stockIds = await findStockIdsOfWarehouse(tx.sql, id);
      if (!stockIds.length) {
        await deleteWarehouseRow(tx.sql, id);
        return;
      }
      const nowMs = Date.now();
      const held = await activeHeldInWarehouse(tx.sql, id, nowMs);
      if (held > 0) {
        throw new BadUserInputError('id', `This warehouse has ${held} units reserved in carts: it can be deleted once they are checked out or released`);
      }
      const open = await countOpenOrdersFrom(tx.sql, id);
      if (open > 0) {
        throw new BadUserInputError('id', `This warehouse ships ${open} open orders (PENDING or PROCESSED): it can be deleted once they are shipped or cancelled`);
      }
      for (const stockId of stockIds) {
        await releaseLapsedHolds(tx.sql, { stockId, nowMs });
        const stock = await readStock(tx.sql, stockId);
        if (!stock || stock.onHand === 0) continue;
        await applyStockChangeOrRetry(tx.sql, {
          stockId,
          kind: StockMovementKind.ADJUSTMENT,
          onHandDelta: -stock.onHand,
          reservedDelta: 0,
          expectedVersion: stock.version,
          reason: 'warehouse deleted',
          actorId: viewer.id,
        });
      }
      await archiveWarehouseRow(tx.sql, id);
    });
    return true;
  }

  /** The caller's live warehouses, oldest first. */
  async listWarehouses(ctx: RequestContext): Promise<Warehouse[]> {
    const viewer = requireViewer(ctx);
    return ctx.em.find(Warehouse, { owner: viewer.id, archivedAt: null }, { orderBy: { id: 'asc' } });
  }

  /** A live warehouse of the caller (any, for an admin); null for anyone else (whether it exists is not revealed). */
  async findWarehouse(ctx: RequestContext, id: number): Promise<Warehouse | null> {
    const viewer = requireViewer(ctx);
    const warehouse = await ctx.em.findOne(Warehouse, { id, archivedAt: null });
    return warehouse && (warehouse.owner.id === viewer.id || isAdmin(ctx)) ? warehouse : null;
  }

  /** One page of the warehouse's stock rows, in id order (never more than page.first). Only reachable through a warehouse the caller may see. */
  async stocksOf(ctx: RequestContext, warehouse: Warehouse, page: PageRequest): Promise<Stock[]> {
    if (!ctx.viewer || (warehouse.owner.id !== ctx.viewer.id && !isAdmin(ctx))) return [];
    return ctx.em.find(Stock, { warehouse: warehouse.id, id: { $gt: page.afterId } }, { orderBy: { id: 'asc' }, limit: page.first });
  }

  private async findVisibleOrThrow(ctx: RequestContext, id: number): Promise<Warehouse> {
    const viewer = requireViewer(ctx);
    const warehouse = await ctx.em.findOne(Warehouse, { id, archivedAt: null });
    if (!warehouse || (warehouse.owner.id !== viewer.id && !isAdmin(ctx))) throw new NotFoundError('Warehouse');
    return warehouse;
  }
}
