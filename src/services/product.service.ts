import { ForeignKeyConstraintViolationException, raw, type FilterQuery } from '@mikro-orm/core';
import { ForbiddenError, NotFoundError } from '../common/errors';
import type { DbContext } from '../db/context';
import { paginate, type Page, type PageRequest } from '../db/pagination';
import { loadBatched, loadById } from '../db/request-batch';
import { sqlFor } from '../db/sql';
import type { UnitOfWork } from '../db/unit-of-work';
import { Product, Stock, User } from '../entities';
import { archiveProductRow, countProductReferences, deleteProductRow, nameSearch, totalOrderedByProduct } from '../repositories/product.repository';
import { availableByProduct } from '../repositories/stock.repository';
import type { RequestContext } from './context';
import { isAdmin, requireViewer } from './viewer';

export interface ProductFields {
  name: string;
  description: string;
  price: string;
  category: string;
}

export interface ProductFilter {
  /** Case-insensitive substring of the name (a scan). */
  name?: string;
  /** Lower-case words, each of which must begin a word of the name (an index read). */
  searchWords?: string[];
  category?: string;
  ownerId?: number;
}

/**
 * Products whose name contains `text`, case-insensitively. INSTR takes the text literally on both
 * MySQL and SQLite (LIKE would need escaping of % and _, which SQLite has no default for).
 */
function nameContains(text: string): FilterQuery<Product> {
  return { id: { $in: raw('(SELECT p2.id FROM products p2 WHERE INSTR(LOWER(p2.name), ?) > 0)', [text.toLowerCase()]) } };
}

const fetchAvailable = (ctx: DbContext, ids: number[]) => availableByProduct(sqlFor(ctx.em), ids);
const fetchTotalOrdered = (ctx: DbContext, ids: number[]) => totalOrderedByProduct(sqlFor(ctx.em), ids);

/** The catalog: any signed-in user sells the products they create. */
export class ProductService {
  constructor(private readonly uow: UnitOfWork) {}

  /** Creates a product owned by the caller. */
  async createProduct(ctx: RequestContext, fields: ProductFields): Promise<Product> {
    const viewer = requireViewer(ctx);
    // A fork holding only this entity: a flush must never write back anything else this request loaded.
    const em = ctx.em.fork();
    const product = em.create(Product, { ...fields, owner: viewer.id });
    await em.flush();
    return product;
  }

  /** Changes the given fields of the caller's product; the fields left out keep their value. */
  async updateProduct(ctx: RequestContext, id: number, fields: Partial<ProductFields>): Promise<Product> {
    requireViewer(ctx);
    const em = ctx.em.fork();
    const product = await this.findOwnProductOrThrow({ ...ctx, em }, id);
    em.assign(product, fields);
    await em.flush();
    return product;
  }

  /**
   * Deletes the caller's product, or archives it when stock rows, order lines or cart items refer
   * to it, so history survives; either way it disappears from the catalog. A reference that
   * appears between the check and the delete makes the delete fail on its foreign key, and the
   * product is archived instead.
   */
  async deleteProduct(ctx: RequestContext, id: number): Promise<boolean> {
    requireViewer(ctx);
    await this.findOwnProductOrThrow(ctx, id);
    try {
      await this.uow.run(ctx, async (tx) => {
        if ((await countProductReferences(tx.sql, id)) > 0) await archiveProductRow(tx.sql, id);
        else await deleteProductRow(tx.sql, id);
      });
    } catch (error) {
      if (!(error instanceof ForeignKeyConstraintViolationException)) throw error;
      await this.uow.run(ctx, (tx) => archiveProductRow(tx.sql, id));
    }
    return true;
  }

  /** Public catalog, keyset-paginated by id; archived products are left out. `searchWords` is served by the name index (FULLTEXT on MySQL, FTS5 on SQLite). */
  async listProducts(ctx: RequestContext, filter: ProductFilter, page: PageRequest): Promise<Page<Product>> {
    const where: FilterQuery<Product>[] = [{ archivedAt: null }];
    if (filter.name) where.push(nameContains(filter.name));
    if (filter.searchWords) {
      const search = nameSearch(sqlFor(ctx.em).kind, filter.searchWords);
      where.push({ id: { $in: raw(search.sql, search.params) } });
    }
    if (filter.category) where.push({ category: filter.category });
    if (filter.ownerId !== undefined) where.push({ owner: filter.ownerId });
    return paginate(ctx.em, Product, { $and: where }, page);
  }

  /** A live product by id, or null (also for an archived one). Public. */
  async findProduct(ctx: RequestContext, id: number): Promise<Product | null> {
    return ctx.em.findOne(Product, { id, archivedAt: null });
  }

  /** A product by id, archived ones too (a stock event can outlive the sale), batched per request; NOT_FOUND once deleted. */
  async productOfLevelOrThrow(ctx: RequestContext, id: number): Promise<Product> {
    const product = await loadById(ctx, Product, id);
    if (!product) throw new NotFoundError('Product');
    return product;
  }

  async ownerOf(ctx: RequestContext, product: Product): Promise<User> {
    const owner = await loadById(ctx, User, product.owner.id);
    if (!owner) throw new Error(`owner ${product.owner.id} of product ${product.id} is missing`);
    return owner;
  }

  /** Sellable quantity: on hand minus active holds over live warehouses (0 once archived). */
  async availableOf(ctx: RequestContext, product: Product): Promise<number> {
    if (product.archivedAt) return 0;
    return (await loadBatched(ctx, fetchAvailable, product.id)) ?? 0;
  }

  /** Units in orders that are not cancelled; null unless the caller owns the product or is an admin. */
  async totalOrderedOf(ctx: RequestContext, product: Product): Promise<number | null> {
    if (!this.canManage(ctx, product)) return null;
    return (await loadBatched(ctx, fetchTotalOrdered, product.id)) ?? 0;
  }

  /** One page of the product's stock rows in live warehouses, in id order (never more than page.first), for its owner and admins; empty for anyone else. */
  async stocksOf(ctx: RequestContext, product: Product, page: PageRequest): Promise<Stock[]> {
    if (!this.canManage(ctx, product)) return [];
    return ctx.em.find(Stock, { product: product.id, warehouse: { archivedAt: null }, id: { $gt: page.afterId } }, { orderBy: { id: 'asc' }, limit: page.first });
  }

  /** A live product the caller owns: NOT_FOUND when missing or archived, FORBIDDEN when someone else's. */
  async findOwnProductOrThrow(ctx: RequestContext, id: number): Promise<Product> {
    const viewer = requireViewer(ctx);
    const product = await ctx.em.findOne(Product, { id, archivedAt: null });
    if (!product) throw new NotFoundError('Product');
    if (product.owner.id !== viewer.id) throw new ForbiddenError('Only the owner of this product can do this');
    return product;
  }

  /** The caller owns the product or is an admin (anonymous callers never do). */
  canManage(ctx: RequestContext, product: Product): boolean {
    if (!ctx.viewer || ctx.authError) return false;
    return product.owner.id === ctx.viewer.id || isAdmin(ctx);
  }
}
