import { NotFoundError } from '../common/errors';
import { normalizeMoney } from '../common/money';
import { currentRead, marks, num, type Row, type Sql } from '../db/sql';
import type { Product } from '../entities';

/**
 * The SQL that guarded units and hot reads run on `products` (catalog edits themselves go through
 * the Product entity).
 */

/** The columns of a product as productFromRow reads them (table alias `p`). */
export const PRODUCT_COLUMNS = 'p.id, p.owner_id, p.name, p.description, p.price, p.category, p.archived_at, p.created_at, p.updated_at';

/**
 * A datetime column as a Date: MySQL answers `YYYY-MM-DD HH:MM:SS.mmm` in UTC (the ORM's
 * connections read dates as strings, in the +00:00 session time zone); SQLite stores epoch ms.
 */
function dateOf(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string' && !/^\d+$/.test(value)) return new Date(`${value.replace(' ', 'T')}Z`);
  return new Date(num(value));
}

/**
 * A product read with PRODUCT_COLUMNS, as the Product fields the GraphQL layer reads, without the
 * ORM: no identity map entry and no snapshot for a row nothing will flush (a cart answer maps one
 * per line, on every cart mutation). `owner` is a reference by id.
 */
export function productFromRow(r: Row): Product {
  const product = {
    id: num(r.id),
    owner: { id: num(r.owner_id) },
    name: String(r.name),
    description: String(r.description ?? ''),
    price: normalizeMoney(r.price as string),
    category: String(r.category),
    archivedAt: r.archived_at === null || r.archived_at === undefined ? null : dateOf(r.archived_at),
    createdAt: dateOf(r.created_at),
    updatedAt: dateOf(r.updated_at),
  };
  return product as unknown as Product;
}

/** The owner of a live product, or null when it is missing or archived. */
export async function findLiveProductOwner(sql: Sql, productId: number): Promise<number | null> {
  const row = await sql.get('SELECT owner_id FROM products WHERE id = ? AND archived_at IS NULL', [productId]);
  return row ? num(row.owner_id) : null;
}

/** Rows that refer to the product (stock rows, order lines, cart lines): while any exists it can only be archived. */
export async function countProductReferences(sql: Sql, productId: number): Promise<number> {
  const row = await sql.get(
    'SELECT (SELECT COUNT(*) FROM stocks WHERE product_id = ?) + (SELECT COUNT(*) FROM order_lines WHERE product_id = ?) + ' +
      '(SELECT COUNT(*) FROM cart_items WHERE product_id = ?) AS refs',
    [productId, productId, productId],
  );
  return num(row?.refs);
}

export async function archiveProductRow(sql: Sql, productId: number): Promise<void> {
  await sql.run('UPDATE products SET archived_at = ? WHERE id = ? AND archived_at IS NULL', [sql.date(new Date()), productId]);
}

export async function deleteProductRow(sql: Sql, productId: number): Promise<void> {
  await sql.run('DELETE FROM products WHERE id = ?', [productId]);
}

/**
 * Units per product in orders that are not cancelled: the `sold` counters of the product's stock
 * rows (kept by the guarded stock write of every sale and cancellation), a few indexed rows per
 * product however many orders it has.
 */
export async function totalOrderedByProduct(sql: Sql, productIds: number[]): Promise<Map<number, number>> {
  if (!productIds.length) return new Map();
  const rows = await sql.all(`SELECT product_id, SUM(sold) AS qty FROM stocks WHERE product_id IN (${marks(productIds.length)}) GROUP BY product_id`, productIds);
  return new Map(rows.map((r) => [num(r.product_id), num(r.qty)]));
}

/** A live product's owner, write-locked on MySQL until the transaction ends (flash sales of one product are created one at a time); null when missing or archived. */
export async function lockLiveProduct(sql: Sql, productId: number): Promise<{ ownerId: number } | null> {
  const row = await sql.get(`SELECT owner_id FROM products WHERE id = ? AND archived_at IS NULL${currentRead(sql)}`, [productId]);
  return row ? { ownerId: num(row.owner_id) } : null;
}

/**
 * The ids of products whose name has a word beginning with each of `words` (lower-case letters and
 * digits only, so nothing in them is an operator of either search syntax), as a subquery for
 * `id IN (…)`: MySQL's FULLTEXT index `products_name_fulltext` in boolean mode (`+word*` each),
 * SQLite's FTS5 table `products_fts`, kept in step with `products` by triggers (src/config/database.ts).
 */
export function nameSearch(kind: Sql['kind'], words: string[]): { sql: string; params: string[] } {
  if (kind === 'mysql') {
    return { sql: '(SELECT ps.id FROM products ps WHERE MATCH(ps.name) AGAINST(? IN BOOLEAN MODE))', params: [words.map((w) => `+${w}*`).join(' ')] };
  }
  return { sql: '(SELECT rowid FROM products_fts WHERE products_fts MATCH ?)', params: [words.map((w) => `"${w}"*`).join(' AND ')] };
}
