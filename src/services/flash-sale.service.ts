import { BadUserInputError, ForbiddenError, NotFoundError, RetryableConflict } from '../common/errors';
import type { DbContext } from '../db/context';
import { loadBatched, loadById } from '../db/request-batch';
import { sqlFor, type Sql } from '../db/sql';
import type { Page, PageRequest } from '../db/pagination';
import type { UnitContext, UnitOfWork } from '../db/unit-of-work';
import { FlashSaleStatus, Product } from '../entities';
import {
  cancelSaleRow,
  findCurrentSales,
  findOverlappingSales,
  findSalesOfProduct,
  insertSale,
  listSales,
  readDbNowMs,
  readSale,
  updateSaleTerms,
  type SaleDraft,
  type SaleRow,
} from '../repositories/flash-sale.repository';
import { lockLiveProduct } from '../repositories/product.repository';
import type { RequestContext, Viewer } from './context';
import { isRunning, releaseLapsedSaleHolds } from './flash-sale-units';
import { isAdmin, requireViewer } from './viewer';

/** A flash sale as the API shows it, its status by the database clock. */
export interface FlashSaleView {
  id: number;
  productId: number;
  salePrice: string;
  startsAt: Date;
  endsAt: Date;
  quota: number | null;
  quotaRemaining: number | null;
  perBuyerLimit: number | null;
  regularPriceAllowed: boolean;
  cancelledAt: Date | null;
  status: FlashSaleStatus;
  createdAt: Date;
  updatedAt: Date;
}

export interface FlashSaleTerms {
  salePrice: string;
  startsAt: Date;
  endsAt: Date;
  quota: number | null;
  perBuyerLimit: number | null;
  regularPriceAllowed: boolean;
}

/** Only the fields given change; `null` clears quota or perBuyerLimit. */
export type FlashSaleChanges = Partial<FlashSaleTerms>;

/** How many sales `Product.flashSales` lists (newest start first). */
const SALES_PER_PRODUCT = 50;

export function toSaleView(row: SaleRow): FlashSaleView {
  let status = FlashSaleStatus.UPCOMING;
  if (row.cancelledAtMs !== null) status = FlashSaleStatus.CANCELLED;
  else if (row.endsAtMs <= row.nowMs) status = FlashSaleStatus.ENDED;
  else if (isRunning(row)) status = FlashSaleStatus.RUNNING;
  return {
    id: row.id,
    productId: row.productId,
    salePrice: row.salePrice,
    startsAt: new Date(row.startsAtMs),
    endsAt: new Date(row.endsAtMs),
    quota: row.quota,
    quotaRemaining: row.quotaRemaining,
    perBuyerLimit: row.perBuyerLimit,
    regularPriceAllowed: row.regularPriceAllowed,
    cancelledAt: row.cancelledAtMs === null ? null : new Date(row.cancelledAtMs),
    status,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const fetchCurrent = async (ctx: DbContext, productIds: number[]) => {
  const sales = await findCurrentSales(sqlFor(ctx.em), productIds);
  return new Map([...sales].map(([productId, row]) => [productId, toSaleView(row)]));
};

/**
 * Flash sales: a product's sale price in a window, with an optional quota and per-buyer limit.
 * Created, changed and cancelled by the product's owner or an admin, one unit of work each, under
 * the product's row lock so that two sales of one product never overlap. The rules at sale time
 * live in flash-sale-units.ts (guarded writes in the stock write's transaction).
 */
export class FlashSaleService {
  constructor(private readonly uow: UnitOfWork) {}

  /** A new sale. BAD_USER_INPUT when the window is past, empty, or overlaps another live sale of the product. */
  async createSale(ctx: RequestContext, input: FlashSaleTerms & { productId: number }): Promise<FlashSaleView> {
    const viewer = requireViewer(ctx);
    const saleId = await this.uow.run(ctx, async (tx) => {
      await this.requireOwnerOfProduct(tx, viewer, input.productId);
      const draft = { ...toDraft(input), productId: input.productId };
      await this.requireFreeWindow(tx.sql, draft);
      return insertSale(tx.sql, draft);
    });
    return this.viewOf(ctx, saleId);
  }

  /**
   * Changes a sale's terms (compare-and-set on its version; CONFLICT after the bounded retries).
   * A new quota keeps the units already taken (BAD_USER_INPUT below them); quota and limit cannot
   * be switched on or off once the sale has started (the counters would not know the earlier units).
   */
  async updateSale(ctx: RequestContext, saleId: number, changes: FlashSaleChanges): Promise<FlashSaleView> {
    const viewer = requireViewer(ctx);
    await this.uow.run(ctx, async (tx) => {
      const sale = await this.requireOwnedSale(tx, viewer, saleId);
      if (sale.cancelledAtMs !== null) throw new BadUserInputError('id', 'This sale is cancelled');
      const terms = {
        salePrice: changes.salePrice ?? sale.salePrice,
        startsAtMs: changes.startsAt ? changes.startsAt.getTime() : sale.startsAtMs,
        endsAtMs: changes.endsAt ? changes.endsAt.getTime() : sale.endsAtMs,
        quota: changes.quota === undefined ? sale.quota : changes.quota,
        perBuyerLimit: changes.perBuyerLimit === undefined ? sale.perBuyerLimit : changes.perBuyerLimit,
        regularPriceAllowed: changes.regularPriceAllowed ?? sale.regularPriceAllowed,
      };
      const started = sale.startsAtMs <= sale.nowMs;
      if (started && (terms.quota === null) !== (sale.quota === null)) throw new BadUserInputError('quota', 'A quota cannot be added or removed once the sale has started');
      if (started && (terms.perBuyerLimit === null) !== (sale.perBuyerLimit === null)) {
        throw new BadUserInputError('perBuyerLimit', 'A per-buyer limit cannot be added or removed once the sale has started');
      }
      if (terms.quota !== null && sale.quota !== null && sale.quotaRemaining !== null && terms.quota < sale.quota - sale.quotaRemaining) {
        throw new BadUserInputError('quota', `${sale.quota - sale.quotaRemaining} units are already taken`);
      }
      const draft = { ...terms, productId: sale.productId };
      if (draft.endsAtMs <= draft.startsAtMs) throw new BadUserInputError('endsAt', 'endsAt must be after startsAt');
      await this.requireFreeWindow(tx.sql, draft, sale.id);
      if (!(await updateSaleTerms(tx.sql, sale.id, sale.version, terms))) throw new RetryableConflict(`flash sale ${sale.id} changed concurrently`);
    });
    return this.viewOf(ctx, saleId);
  }

  /** Cancels a sale: from now on the product sells at its regular price; held sale units stay counted until released. */
  async cancelSale(ctx: RequestContext, saleId: number): Promise<FlashSaleView> {
    const viewer = requireViewer(ctx);
    await this.uow.run(ctx, async (tx) => {
      await this.requireOwnedSale(tx, viewer, saleId);
      if (!(await cancelSaleRow(tx.sql, saleId))) throw new BadUserInputError('id', 'This sale is already cancelled');
    });
    return this.viewOf(ctx, saleId);
  }

  /** Sales by ascending id; with `activeAt`, those running at that instant (not cancelled). */
  async listSales(ctx: RequestContext, options: { activeAt: Date | null; page: PageRequest }): Promise<Page<FlashSaleView>> {
    const { rows, countTotal } = await listSales(sqlFor(ctx.em), { ...options.page, activeAtMs: options.activeAt?.getTime() });
    return { nodes: rows.slice(0, options.page.first).map(toSaleView), hasNextPage: rows.length > options.page.first, hasPreviousPage: options.page.afterId > 0, direction: 'asc', countTotal };
  }

  /** The product's sale running now or next (batched per request), or null. */
  async currentOrNextOf(ctx: RequestContext, product: Pick<Product, 'id'>): Promise<FlashSaleView | null> {
    return (await loadBatched(ctx, fetchCurrent, product.id)) ?? null;
  }

  /** The product's sales, newest start first (at most 50). */
  async salesOf(ctx: RequestContext, product: Pick<Product, 'id'>): Promise<FlashSaleView[]> {
    return (await findSalesOfProduct(sqlFor(ctx.em), product.id, SALES_PER_PRODUCT)).map(toSaleView);
  }

  /** What one unit costs now: the running sale's price while its quota lasts, else the regular price. */
  async currentPriceOf(ctx: RequestContext, product: Product): Promise<string> {
    const sale = await this.currentOrNextOf(ctx, product);
    if (sale?.status === FlashSaleStatus.RUNNING && (sale.quotaRemaining === null || sale.quotaRemaining > 0)) return sale.salePrice;
    return product.price;
  }

  async productOf(ctx: RequestContext, sale: FlashSaleView): Promise<Product> {
    const product = await loadById(ctx, Product, sale.productId);
    if (!product) throw new NotFoundError('Product');
    return product;
  }

  /**
   * Releases sale units held by cart lines that lapsed (allowance and quota back), in small
   * batches of one transaction each; safe on any number of processes (compare-and-set on the
   * hold). The hold sweeper runs it; the guarded writes also release lapsed holds lazily.
   */
  async releaseExpiredSaleHolds(ctx: DbContext, options: { batchSize?: number; maxBatches?: number } = {}): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < (options.maxBatches ?? 20); batch += 1) {
      const released = await this.uow.run(ctx, (tx) => releaseLapsedSaleHolds(tx.sql, { limit: options.batchSize ?? 100 }));
      total += released;
      if (released === 0) break;
    }
    return total;
  }

  private async viewOf(ctx: RequestContext, saleId: number): Promise<FlashSaleView> {
    const row = await readSale(sqlFor(ctx.em), saleId);
    if (!row) throw new NotFoundError('Flash sale');
    return toSaleView(row);
  }

  private async requireOwnerOfProduct(tx: UnitContext<RequestContext>, viewer: Viewer, productId: number): Promise<void> {
    const product = await lockLiveProduct(tx.sql, productId);
    if (!product) throw new NotFoundError('Product');
    if (product.ownerId !== viewer.id && !isAdmin(tx)) throw new ForbiddenError('Only the owner of this product can run sales of it');
  }

  private async requireOwnedSale(tx: UnitContext<RequestContext>, viewer: Viewer, saleId: number): Promise<SaleRow> {
    const found = await readSale(tx.sql, saleId);
    if (!found) throw new NotFoundError('Flash sale');
    await this.requireOwnerOfProduct(tx, viewer, found.productId);
    // Re-read under the product's lock: the terms as they are now.
    const sale = await readSale(tx.sql, saleId, { forUpdate: true });
    if (!sale) throw new NotFoundError('Flash sale');
    return sale;
  }

  /** At most one live sale per product at a time (checked under the product's row lock) and a window that has not ended. */
  private async requireFreeWindow(sql: Sql, draft: SaleDraft, exceptId?: number): Promise<void> {
    if (draft.endsAtMs <= (await readDbNowMs(sql))) throw new BadUserInputError('endsAt', 'endsAt must be in the future');
    const overlapping = await findOverlappingSales(sql, draft.productId, draft.startsAtMs, draft.endsAtMs, exceptId);
    if (overlapping.length) throw new BadUserInputError('startsAt', `The window overlaps flash sale ${overlapping[0]} of this product`);
  }
}

function toDraft(terms: FlashSaleTerms): Omit<SaleDraft, 'productId'> {
  if (terms.endsAt.getTime() <= terms.startsAt.getTime()) throw new BadUserInputError('endsAt', 'endsAt must be after startsAt');
  return {
    salePrice: terms.salePrice,
    startsAtMs: terms.startsAt.getTime(),
    endsAtMs: terms.endsAt.getTime(),
    quota: terms.quota,
    perBuyerLimit: terms.perBuyerLimit,
    regularPriceAllowed: terms.regularPriceAllowed,
  };
}
