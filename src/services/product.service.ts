import { ForeignKeyConstraintViolationException, raw, type FilterQuery } from '@mikro-orm/core';
import { ForbiddenError, NotFoundError } from '../common/errors';
import { optionalText, requireId, requireMoney, requireText } from '../common/validate';
import { OrderStatus, Product, Stock, User } from '../entities';
import type { RequestContext } from './context';
import { paginate, type Page } from '../db/pagination';
import { loadBatched, loadById } from '../db/request-batch';
import { availableByProduct } from '../repositories/stock.repository';
import { runUnitOfWork } from '../db/unit-of-work';
import { isAdmin, requireViewer } from './viewer';
import { marks, sqlFor, type Row } from '../db/sql';

export interface ProductFields {
  name?: string | null;
  description?: string | null;
  price?: string | null;
  category?: string | null;
}

export interface ProductListArgs {
  first?: number | null;
  after?: string | null;
  filter?: { name?: string | null; category?: string | null; ownerId?: string | null } | null;
}


const NAME_MAX = 200;
const DESCRIPTION_MAX = 5000;
const CATEGORY_MAX = 100;

function validateFields(input: ProductFields, partial: boolean): Partial<Pick<Product, 'name' | 'description' | 'price' | 'category'>> {
  const out: Partial<Pick<Product, 'name' | 'description' | 'price' | 'category'>> = {};
  const given = (v: unknown) => v !== undefined && v !== null;
  if (!partial || given(input.name)) out.name = requireText('name', input.name, { max: NAME_MAX });
  if (given(input.description)) out.description = optionalText('description', input.description, { max: DESCRIPTION_MAX }) ?? '';
  else if (!partial) out.description = '';
  if (!partial || given(input.price)) out.price = requireMoney('price', input.price);
  if (!partial || given(input.category)) out.category = requireText('category', input.category, { max: CATEGORY_MAX });
  return out;
}

/**
 * Products whose name contains `text`, case-insensitively. INSTR takes the text literally on both
 * MySQL and SQLite (LIKE would need escaping of % and _, which SQLite has no default for).
 */
function nameContains(text: string): FilterQuery<Product> {
  return { id: { $in: raw('(SELECT p2.id FROM products p2 WHERE INSTR(LOWER(p2.name), ?) > 0)', [text.toLowerCase()]) } };
}

const fetchAvailable = (ctx: RequestContext, ids: number[]) => availableByProduct(sqlFor(ctx.em), ids);

const fetchTotalOrdered = async (ctx: RequestContext, ids: number[]) => {
  const rows = await ctx.em.execute<Row[]>(
    `SELECT ol.product_id, SUM(ol.quantity) AS qty FROM order_lines ol JOIN orders o ON o.id = ol.order_id ` +
      `WHERE o.status <> ? AND ol.product_id IN (${marks(ids.length)}) GROUP BY ol.product_id`,
    [OrderStatus.CANCELLED, ...ids],
  );
  return new Map(rows.map((r) => [Number(r.product_id), Number(r.qty)]));
};

/** The catalog: any signed-in user sells the products they create. */
export class ProductService {
  /** Creates a product owned by the caller. */
  async createProduct(ctx: RequestContext, input: ProductFields): Promise<Product> {
    const viewer = requireViewer(ctx);
    const fields = validateFields(input, false);
    // A fork holding only this entity: a flush must never write back anything else this request loaded.
    const em = ctx.em.fork();
    const product = em.create(Product, { ...(fields as Required<typeof fields>), owner: viewer.id });
    await em.flush();
    return product;
  }

  /** Changes the given fields of the caller's product; the fields left out keep their value. */
  async updateProduct(ctx: RequestContext, rawId: unknown, input: ProductFields): Promise<Product> {
    requireViewer(ctx);
    const id = requireId('id', rawId);
    const fields = validateFields(input, true);
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
  async deleteProduct(ctx: RequestContext, rawId: unknown): Promise<boolean> {
    requireViewer(ctx);
    const id = requireId('id', rawId);
    await this.findOwnProductOrThrow(ctx, id);
    const archive = (tx: RequestContext) => tx.em.nativeUpdate(Product, { id, archivedAt: null }, { archivedAt: new Date() });
    try {
      await runUnitOfWork(ctx, async (tx) => {
        const row = await tx.em.execute<Row>(
          'SELECT (SELECT COUNT(*) FROM stocks WHERE product_id = ?) + (SELECT COUNT(*) FROM order_lines WHERE product_id = ?) + ' +
            '(SELECT COUNT(*) FROM cart_items WHERE product_id = ?) AS refs',
          [id, id, id],
          'get',
        );
        if (Number(row?.refs ?? 0) > 0) await archive(tx);
        else await tx.em.nativeDelete(Product, { id });
      });
    } catch (error) {
      if (!(error instanceof ForeignKeyConstraintViolationException)) throw error;
      await runUnitOfWork(ctx, archive);
    }
    return true;
  }

  /** Public catalog, keyset-paginated by id; archived products are left out. */
  async listProducts(ctx: RequestContext, args: ProductListArgs): Promise<Page<Product>> {
    const where: FilterQuery<Product>[] = [{ archivedAt: null }];
    const filter = args.filter ?? {};
    const name = optionalText('filter.name', filter.name, { max: NAME_MAX });
    if (name) {
      where.push(nameContains(name));
    }
    const category = optionalText('filter.category', filter.category, { max: CATEGORY_MAX });
    if (category) where.push({ category });
    if (filter.ownerId !== undefined && filter.ownerId !== null) where.push({ owner: requireId('filter.ownerId', filter.ownerId) });
    return paginate(ctx.em, Product, { $and: where }, args);
  }

  /** A live product by id, or null (also for an archived one). Public. */
  async findProduct(ctx: RequestContext, rawId: unknown): Promise<Product | null> {
    const id = requireId('id', rawId);
    return ctx.em.findOne(Product, { id, archivedAt: null });
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

  /** The product's stock rows in live warehouses, for its owner and admins; empty for anyone else. */
  async stocksOf(ctx: RequestContext, product: Product): Promise<Stock[]> {
    if (!this.canManage(ctx, product)) return [];
    return ctx.em.find(Stock, { product: product.id, warehouse: { archivedAt: null } }, { orderBy: { id: 'asc' } });
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
