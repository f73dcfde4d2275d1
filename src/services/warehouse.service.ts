import { BadUserInputError, ForbiddenError, NotFoundError } from '../common/errors';
import { optionalText, requireId, requireText } from '../common/validate';
import { OrderStatus, Stock, StockMovementKind, Warehouse } from '../entities';
import type { RequestContext } from './context';
import { lockWarehouseRow } from './stock.service';
import { applyStockChangeOrRetry, readStock, releaseLapsedHolds } from '../repositories/stock.repository';
import { runUnitOfWork } from '../db/unit-of-work';
import { isAdmin, requireViewer } from './viewer';

export interface WarehouseFields {
  name?: string | null;
  location?: string | null;
}


const NAME_MAX = 200;
const LOCATION_MAX = 200;

/** Warehouses belong to the user who creates them; others may not learn that they exist. */
export class WarehouseService {
  async createWarehouse(ctx: RequestContext, input: WarehouseFields): Promise<Warehouse> {
    const viewer = requireViewer(ctx);
    const name = requireText('name', input.name, { max: NAME_MAX });
    const location = optionalText('location', input.location, { max: LOCATION_MAX }) ?? '';
    // A fork holding only this entity: a flush must never write back anything else this request loaded.
    const em = ctx.em.fork();
    const warehouse = em.create(Warehouse, { owner: viewer.id, name, location });
    await em.flush();
    return warehouse;
  }

  /** Changes the given fields of the caller's warehouse. */
  async updateWarehouse(ctx: RequestContext, rawId: unknown, input: WarehouseFields): Promise<Warehouse> {
    requireViewer(ctx);
    const id = requireId('id', rawId);
    const changes: Partial<Pick<Warehouse, 'name' | 'location'>> = {};
    if (input.name !== undefined && input.name !== null) changes.name = requireText('name', input.name, { max: NAME_MAX });
    if (input.location !== undefined && input.location !== null) changes.location = optionalText('location', input.location, { max: LOCATION_MAX });
    const em = ctx.em.fork();
    const warehouse = await this.findVisibleOrThrow({ ...ctx, em }, id);
    if (warehouse.owner.id !== ctx.viewer!.id) throw new ForbiddenError('Only the owner of this warehouse can change it');
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
  async deleteWarehouse(ctx: RequestContext, rawId: unknown): Promise<boolean> {
    const viewer = requireViewer(ctx);
    const id = requireId('id', rawId);
    await runUnitOfWork(ctx, async (tx) => {
      const warehouse = await lockWarehouseRow(tx, id, 'update');
      if (!warehouse || warehouse.archived || (warehouse.ownerId !== viewer.id && !isAdmin(tx))) throw new NotFoundError('Warehouse');
      if (warehouse.ownerId !== viewer.id) throw new ForbiddenError('Only the owner of this warehouse can delete it');

      const stockIds = (await tx.sql.all('SELECT id FROM stocks WHERE warehouse_id = ? ORDER BY id', [id])).map((r) => Number(r.id));
      if (!stockIds.length) {
        await tx.em.nativeDelete(Warehouse, { id });
        return;
      }
      const nowMs = Date.now();
      const held = await tx.sql.get(
        'SELECT COALESCE(SUM(h.quantity), 0) AS qty FROM stock_holds h JOIN stocks s ON s.id = h.stock_id WHERE s.warehouse_id = ? AND h.expires_at_ms > ?',
        [id, nowMs],
      );
      if (Number(held?.qty ?? 0) > 0) {
        throw new BadUserInputError('id', `This warehouse has ${Number(held?.qty)} units reserved in carts: it can be deleted once they are checked out or released`);
      }
      const open = await tx.sql.get(
        'SELECT COUNT(DISTINCT ol.order_id) AS n FROM order_lines ol JOIN orders o ON o.id = ol.order_id WHERE ol.warehouse_id = ? AND o.status IN (?, ?)',
        [id, OrderStatus.PENDING, OrderStatus.PROCESSED],
      );
      if (Number(open?.n ?? 0) > 0) {
        throw new BadUserInputError('id', `This warehouse ships ${Number(open?.n)} open orders (PENDING or PROCESSED): it can be deleted once they are shipped or cancelled`);
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
      await tx.em.nativeUpdate(Warehouse, { id }, { archivedAt: new Date() });
    });
    return true;
  }

  /** The caller's live warehouses, oldest first. */
  async listWarehouses(ctx: RequestContext): Promise<Warehouse[]> {
    const viewer = requireViewer(ctx);
    return ctx.em.find(Warehouse, { owner: viewer.id, archivedAt: null }, { orderBy: { id: 'asc' } });
  }

  /** A live warehouse of the caller (any, for an admin); NOT_FOUND for anyone else. */
  async findWarehouse(ctx: RequestContext, rawId: unknown): Promise<Warehouse> {
    requireViewer(ctx);
    return this.findVisibleOrThrow(ctx, requireId('id', rawId));
  }

  /** The warehouse's stock rows, in id order. Only reachable through a warehouse the caller may see. */
  async stocksOf(ctx: RequestContext, warehouse: Warehouse): Promise<Stock[]> {
    if (!ctx.viewer || (warehouse.owner.id !== ctx.viewer.id && !isAdmin(ctx))) return [];
    return ctx.em.find(Stock, { warehouse: warehouse.id }, { orderBy: { id: 'asc' } });
  }

  private async findVisibleOrThrow(ctx: RequestContext, id: number): Promise<Warehouse> {
    const viewer = requireViewer(ctx);
    const warehouse = await ctx.em.findOne(Warehouse, { id, archivedAt: null });
    if (!warehouse || (warehouse.owner.id !== viewer.id && !isAdmin(ctx))) throw new NotFoundError('Warehouse');
    return warehouse;
  }
}
