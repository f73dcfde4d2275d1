import { NotFoundError } from '../common/errors';
import { normalizeMoney } from '../common/money';
import { dbNowMs, marks, num, runOf, type Row, type Sql, type Statement } from '../db/sql';
import { STOCK_COLUMNS, toStockRow, type HoldRow, type StockRow } from './stock.repository';
import type { Product } from '../entities';
import { PRODUCT_COLUMNS, productFromRow } from './product.repository';

/** The SQL of `carts` and `cart_items` (their holds are the stock repository's). */

export async function findCartId(sql: Sql, userId: number): Promise<number | null> {
  const row = await sql.get('SELECT id FROM carts WHERE user_id = ?', [userId]);
  return row ? num(row.id) : null;
}

/** The cart ids of these users (user id → cart id); a user without a cart is left out. */
export async function findCartIdsByUser(sql: Sql, userIds: number[]): Promise<Map<number, number>> {
  if (!userIds.length) return new Map();
  const rows = await sql.all(`SELECT id, user_id FROM carts WHERE user_id IN (${userIds.map(() => '?').join(', ')})`, userIds);
  return new Map(rows.map((row) => [num(row.user_id), num(row.id)]));
}

/** The shopper's cart id, inserting the cart if missing (a concurrent insert loses on the unique key and is retried). */
export async function ensureCartId(sql: Sql, userId: number): Promise<number> {
  const existing = await findCartId(sql, userId);
  if (existing) return existing;
  const now = sql.date(new Date());
  return num((await sql.run('INSERT INTO carts (user_id, created_at, updated_at) VALUES (?, ?, ?)', [userId, now, now])).insertId);
}

export interface LineForAdd {
  price: string;
  archived: boolean;
  cartId: number | null;
  itemId: number | null;
  quantity: number;
  /** flash sale: whether the product has a sale that is not over (running or announced). */
  inSale: boolean;
  /** The product's sellable stock rows (live warehouses), in lock order: what a hold plans against. */
  stocks: StockRow[];
}

/**
 * The product, its sellable stock rows, the shopper's cart and its line for that product, in one
 * statement (the flash-sale path); null for an unknown product.
 */
export async function findLineForAdd(sql: Sql, userId: number, productId: number): Promise<LineForAdd | null> {
  const rows = await sql.all(
    `SELECT p.price, p.archived_at, c.id AS cart_id, ci.id AS item_id, ci.quantity, ${STOCK_COLUMNS}, ` +
      // flash sale: one subquery instead of a read of its own on the hot path.
      `(SELECT MIN(f.id) FROM flash_sales f WHERE f.product_id = p.id AND f.cancelled_at IS NULL AND f.ends_at_ms > ${dbNowMs(sql)}) AS sale_id FROM products p ` +
      'LEFT JOIN carts c ON c.user_id = ? LEFT JOIN cart_items ci ON ci.cart_id = c.id AND ci.product_id = p.id ' +
      // No ORDER BY: over this join MySQL sorts in a temporary table (a fifth of the statement's CPU); the rows are sorted here.
      'LEFT JOIN (stocks s JOIN warehouses w ON w.id = s.warehouse_id AND w.archived_at IS NULL) ON s.product_id = p.id WHERE p.id = ?',
    [userId, productId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    price: String(row.price),
    archived: Boolean(row.archived_at),
    cartId: row.cart_id ? num(row.cart_id) : null,
    itemId: row.item_id ? num(row.item_id) : null,
    quantity: row.item_id ? num(row.quantity) : 0,
    inSale: row.sale_id !== null && row.sale_id !== undefined,
    stocks: rows
      .filter((r) => r.id !== null && r.id !== undefined)
      .map(toStockRow)
      .sort((a, b) => a.id - b.id),
  };
}

export interface LineForUpdate {
  id: number;
  cartId: number;
  productId: number;
  quantity: number;
  price: string;
  archived: boolean;
  /** flash sale: whether the product has a sale that is not over (running or announced). */
  inSale: boolean;
  /** flash sale: whether the line holds sale units. */
  hasSaleHold: boolean;
  /** The product's sellable stock rows (live warehouses), in lock order. */
  stocks: StockRow[];
  /** The line's stock holds, in lock order (stock id); on any of the product's rows, a closed warehouse's too. */
  holds: HoldRow[];
}

/**
 * A line of the shopper's own cart with everything a change of it reads, in one statement: its
 * product's price, whether a sale applies, the product's stock rows and the line's holds (at most
 * one per stock row: the unique (cart_item_id, stock_id)). Another shopper's line is reported
 * exactly like a missing one (NOT_FOUND).
 */
export async function findLineForUpdate(sql: Sql, userId: number, itemId: number): Promise<LineForUpdate> {
  const rows = await sql.all(
    `SELECT ci.id AS item_id, ci.cart_id, ci.product_id AS item_product_id, ci.quantity AS item_quantity, p.price, p.archived_at, ${STOCK_COLUMNS}, ` +
      'w.archived_at AS warehouse_archived_at, h.id AS hold_id, h.quantity AS hold_quantity, h.expires_at_ms AS hold_expires_at_ms, ' +
      `(SELECT MIN(f.id) FROM flash_sales f WHERE f.product_id = p.id AND f.cancelled_at IS NULL AND f.ends_at_ms > ${dbNowMs(sql)}) AS sale_id, ` +
      '(SELECT MIN(fh.id) FROM flash_sale_holds fh WHERE fh.cart_item_id = ci.id) AS sale_hold_id ' +
      'FROM cart_items ci JOIN carts c ON c.id = ci.cart_id AND c.user_id = ? JOIN products p ON p.id = ci.product_id ' +
      // No ORDER BY (a temporary table over this join): sorted here.
      'LEFT JOIN (stocks s JOIN warehouses w ON w.id = s.warehouse_id) ON s.product_id = ci.product_id ' +
      'LEFT JOIN stock_holds h ON h.cart_item_id = ci.id AND h.stock_id = s.id WHERE ci.id = ?',
    [userId, itemId],
  );
  const row = rows[0];
  if (!row) throw new NotFoundError('Cart item');
  const withStock = rows.filter((r) => r.id !== null && r.id !== undefined);
  return {
    id: num(row.item_id),
    cartId: num(row.cart_id),
    productId: num(row.item_product_id),
    quantity: num(row.item_quantity),
    price: normalizeMoney(row.price as string),
    archived: Boolean(row.archived_at),
    inSale: row.sale_id !== null && row.sale_id !== undefined,
    hasSaleHold: row.sale_hold_id !== null && row.sale_hold_id !== undefined,
    stocks: withStock
      .filter((r) => !r.warehouse_archived_at)
      .map(toStockRow)
      .sort((a, b) => a.id - b.id),
    holds: withStock
      .filter((r) => r.hold_id !== null && r.hold_id !== undefined)
      .map((r) => ({
        id: num(r.hold_id),
        cartItemId: num(row.item_id),
        stockId: num(r.id),
        warehouseId: num(r.warehouse_id),
        quantity: num(r.hold_quantity),
        expiresAtMs: num(r.hold_expires_at_ms),
      }))
      .sort((a, b) => a.stockId - b.stockId),
  };
}

/** Sets a line's quantity and price with the unit's next round trip (`Sql.defer`): nothing reads its answer, and the shopper lock keeps the line as read. */
export function deferSetItemQuantity(sql: Sql, itemId: number, quantity: number, unitPrice: string): void {
  sql.defer(setItemQuantityStatement(sql, itemId, quantity, unitPrice));
}

export async function findItemIds(sql: Sql, cartId: number): Promise<number[]> {
  return (await sql.all('SELECT id FROM cart_items WHERE cart_id = ?', [cartId])).map((r) => num(r.id));
}

function insertItemStatement(sql: Sql, item: { cartId: number; productId: number; quantity: number; unitPrice: string }): Statement {
  const now = sql.date(new Date());
  return {
    sql: 'INSERT INTO cart_items (cart_id, product_id, quantity, unit_price, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)',
    params: [item.cartId, item.productId, item.quantity, item.unitPrice, now, now],
  };
}

export async function insertItem(sql: Sql, item: { cartId: number; productId: number; quantity: number; unitPrice: string }): Promise<number> {
  return num(runOf((await sql.batch([insertItemStatement(sql, item)]))[0]).insertId);
}

/**
 * A new cart line whose id nothing needs before its holds: it goes with the unit's next round trip
 * (`Sql.defer`), the hold's guarded stock write, and its holds find it by the unique
 * (cart_id, product_id) (insertHoldForNewLineStatement).
 */
export function deferInsertItem(sql: Sql, item: { cartId: number; productId: number; quantity: number; unitPrice: string }): void {
  sql.defer(insertItemStatement(sql, item));
}

function setItemQuantityStatement(sql: Sql, itemId: number, quantity: number, unitPrice: string): Statement {
  return {
    sql: 'UPDATE cart_items SET quantity = ?, unit_price = ?, version = version + 1, updated_at = ? WHERE id = ?',
    params: [quantity, unitPrice, sql.date(new Date()), itemId],
  };
}

/**
 * Deletes cart lines whose holds are gone already (the foreign key refuses a line that still has
 * one: a hold never goes without its ledger row), with the unit's COMMIT (`Sql.defer`): the last
 * write of every unit that empties lines.
 */
export function deferDeleteItems(sql: Sql, itemIds: number[]): void {
  if (!itemIds.length) return;
  sql.defer({ sql: `DELETE FROM cart_items WHERE id IN (${marks(itemIds.length)})`, params: itemIds });
}

export interface CartLineRow {
  itemId: number;
  quantity: number;
  /** Latest expiry of the line's holds (epoch ms); null when none is left. */
  reservedUntilMs: number | null;
  /** flash sale: the sale price of the line's sale units (at most one sale hold per line), else null. */
  salePrice: string | null;
  product: Product;
}

/**
 * A cart's lines with their products, each line's latest hold expiry and its sale price, in one
 * statement (the sale price was a second read per cart answer: one statement of every addToCart).
 */
export async function findCartLines(sql: Sql, cartId: number): Promise<CartLineRow[]> {
  const { sql: text, params } = cartLinesStatement(cartId);
  return cartLinesFrom(await sql.all(text, params));
}

/** findCartLines' statement, for a unit that reads its cart with its COMMIT (`Sql.defer`). */
export function cartLinesStatement(cartId: number): Statement {
  return {
    sql:
      'SELECT ci.id AS cart_item_id, ci.quantity AS cart_item_quantity, ' +
      '(SELECT MAX(h.expires_at_ms) FROM stock_holds h WHERE h.cart_item_id = ci.id) AS cart_item_until, ' +
      `(SELECT f.sale_price FROM flash_sale_holds fh JOIN flash_sales f ON f.id = fh.flash_sale_id WHERE fh.cart_item_id = ci.id) AS cart_item_sale_price, ${PRODUCT_COLUMNS} ` +
      'FROM cart_items ci JOIN products p ON p.id = ci.product_id WHERE ci.cart_id = ? ORDER BY ci.id',
    params: [cartId],
  };
}

/** findCartLines' rows as lines. */
export function cartLinesFrom(rows: Row[]): CartLineRow[] {
  return rows.map((r) => ({
    itemId: num(r.cart_item_id),
    quantity: num(r.cart_item_quantity),
    reservedUntilMs: r.cart_item_until === null || r.cart_item_until === undefined ? null : num(r.cart_item_until),
    salePrice: r.cart_item_sale_price === null || r.cart_item_sale_price === undefined ? null : normalizeMoney(r.cart_item_sale_price as string),
    product: productFromRow(r),
  }));
}
