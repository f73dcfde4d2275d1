import mysql from 'mysql2/promise';
import { auditStock } from '../src/services/stock-audit.service';
import type { Fixtures } from './fixtures';
import { now } from './load';
import { graphqlBuyNow, graphqlCartCheckout, runSale, saleTargets, zipfPicker, type BenchContext } from './scenarios';

/**
 * Scenario D, data at scale: fills a database with set-based SQL (no row-by-row inserts) to
 * `scale` × (100,000 products, 1,000,000 orders of 2 lines, ~3,000,000 stock movements, 300,000
 * stock rows in 5 warehouses), every constraint in force and the ledger consistent (each stock row
 * is its ledger's sum, each movement's after-values chain, `sold` equals its lines in orders that
 * are not cancelled), then times the reads that used to grow with the data, the write path, and
 * the stock audit. One product is the best-seller (50,000 lines, ~200,000 movements at scale 1).
 *
 * Plain SQL that MariaDB and MySQL 8 both run: a numbers table from a 10-row digits table (no
 * SEQUENCE engine, no recursive CTE), window functions for the ledger's running after-values.
 */

interface Sizes {
  products: number;
  orders: number;
  users: number;
  hotLines: number;
  /** RESERVATION + RELEASE pairs (two movements each), `hotPairs` of them on the best-seller. */
  pairs: number;
  hotPairs: number;
}

const WAREHOUSES = 5;
const STOCKS_PER_PRODUCT = 3;
const UNITS_EACH = 100_000;

function sizesOf(scale: number): Sizes {
  const n = (v: number, min: number) => Math.max(min, Math.round(v * scale));
  return { products: n(100_000, 100), orders: n(1_000_000, 1000), users: n(10_000, 100), hotLines: n(50_000, 50), pairs: n(350_000, 350), hotPairs: n(75_000, 75) };
}

export interface ScaleData {
  /** The best-seller. */
  hotProductId: number;
  /** A warehouse holding a fifth of the stock rows. */
  warehouseId: number;
  /** A word that appears in a seventh of the product names. */
  searchWord: string;
  generatedInMs: number;
  counts: Record<string, number>;
}

type Conn = mysql.Connection;

async function maxId(conn: Conn, table: string): Promise<number> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>(`SELECT COALESCE(MAX(id), 0) AS m FROM \`${table}\``);
  return Number(rows[0].m);
}

async function count(conn: Conn, table: string): Promise<number> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS c FROM \`${table}\``);
  return Number(rows[0].c);
}

/** Generates the data set into the (migrated) database at `url`, owned by `ownerId`. */
export async function generateScaleData(url: string, scale: number, ownerId: number, log: (s: string) => void): Promise<ScaleData> {
  const size = sizesOf(scale);
  const conn = await mysql.createConnection({ uri: url, timezone: 'Z', multipleStatements: false });
  const started = now();
  const step = async (label: string, statement: string, params: unknown[] = []) => {
    const t0 = now();
    const [res] = await conn.query<mysql.ResultSetHeader>(statement, params);
    log(`    ${label}: ${res.affectedRows ?? 0} rows in ${((now() - t0) / 1000).toFixed(1)} s`);
  };
  try {
    await conn.query('SET SESSION max_execution_time = 0').catch(() => undefined); // MySQL only
    const base = {
      user: await maxId(conn, 'users'),
      product: await maxId(conn, 'products'),
      warehouse: await maxId(conn, 'warehouses'),
      stock: await maxId(conn, 'stocks'),
      order: await maxId(conn, 'orders'),
      line: await maxId(conn, 'order_lines'),
      movement: await maxId(conn, 'stock_movements'),
    };
    const P = size.products;
    const S = P * STOCKS_PER_PRODUCT;
    // Helper tables, dropped at the end: digits 0-9 and numbers 1..1,000,000.
    await conn.query('DROP TABLE IF EXISTS d_digits, d_seq');
    await conn.query('CREATE TABLE d_digits (d INT NOT NULL PRIMARY KEY)');
    await conn.query('INSERT INTO d_digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)');
    await conn.query('CREATE TABLE d_seq (n INT NOT NULL PRIMARY KEY)');
    const need = Math.max(size.orders, size.pairs, P, size.users);
    await step(
      'numbers',
      'INSERT INTO d_seq SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 100000 * g.d AS n ' +
        'FROM d_digits a, d_digits b, d_digits c, d_digits e, d_digits f, d_digits g HAVING n <= ?',
      [need],
    );
    const stamp = 'NOW(3)';
    await step(
      'users',
      `INSERT INTO users (id, created_at, updated_at, email, name, password_hash, role, token_version, totp_enabled) ` +
        `SELECT ? + n, ${stamp}, ${stamp}, CONCAT('d-', ? + n, '@bench.invalid'), CONCAT('D buyer ', n), 'not-a-hash', 'CUSTOMER', 0, 0 FROM d_seq WHERE n <= ?`,
      [base.user, base.user, size.users],
    );
    await step(
      'warehouses',
      `INSERT INTO warehouses (id, created_at, updated_at, owner_id, name, location) SELECT ? + n, ${stamp}, ${stamp}, ?, CONCAT('D warehouse ', n), 'bench' FROM d_seq WHERE n <= ?`,
      [base.warehouse, ownerId, WAREHOUSES],
    );
    await step(
      'products',
      `INSERT INTO products (id, created_at, updated_at, owner_id, name, description, price, category, archived_at) ` +
        `SELECT ? + n, ${stamp}, ${stamp}, ?, CONCAT('D item ', n, ' ', ELT(1 + n % 7, 'apple', 'pear', 'plum', 'quince', 'kiwi', 'lime', 'mango')), '', 10.00, ` +
        `CONCAT('cat', n % 50), IF(n % 100 = 0, ${stamp}, NULL) FROM d_seq WHERE n <= ?`,
      [base.product, ownerId, P],
    );
    // Product n's i-th stock row (i = 0..2) has id base.stock + 3(n-1) + i + 1, in warehouse (n + i) mod 5.
    await step(
      'stocks',
      `INSERT INTO stocks (id, created_at, updated_at, warehouse_id, product_id, on_hand, reserved, sold, version) ` +
        `SELECT ? + 3 * (n - 1) + i.d + 1, ${stamp}, ${stamp}, ? + 1 + (n + i.d) % ${WAREHOUSES}, ? + n, ${UNITS_EACH}, 0, 0, 1 ` +
        `FROM d_seq JOIN d_digits i ON i.d < ${STOCKS_PER_PRODUCT} WHERE n <= ?`,
      [base.stock, base.warehouse, base.product, P],
    );
    await step(
      'orders',
      `INSERT INTO orders (id, created_at, updated_at, user_id, status, total_price, shipping_cost, idempotency_key, request_hash, version) ` +
        `SELECT ? + n, ${stamp}, ${stamp}, ? + 1 + n % ?, CASE WHEN n % 20 = 0 THEN 'CANCELLED' WHEN n % 3 = 0 THEN 'PENDING' ELSE 'PROCESSED' END, ` +
        `20.00, 0.00, CONCAT('d-', n), REPEAT('0', 64), 1 FROM d_seq WHERE n <= ?`,
      [base.order, base.user, size.users, size.orders],
    );
    // Line k (0, 1) of order n: the best-seller (product 1) for the first hotLines orders' line 0,
    // otherwise a product spread over 2..P; its stock row by (n + k) mod 3.
    await step(
      'order lines',
      `INSERT INTO order_lines (id, created_at, updated_at, order_id, product_id, warehouse_id, stock_id, quantity, unit_price, subtotal) ` +
        `SELECT ? + 2 * (x.n - 1) + x.k + 1, ${stamp}, ${stamp}, ? + x.n, ? + x.pn, ? + 1 + (x.pn + (x.n + x.k) % 3) % ${WAREHOUSES}, ` +
        `? + 3 * (x.pn - 1) + (x.n + x.k) % 3 + 1, 1, 10.00, 10.00 FROM (` +
        `SELECT n, k.d AS k, CASE WHEN k.d = 0 AND n <= ? THEN 1 WHEN k.d = 0 THEN 2 + (n * 7919) % (? - 1) ELSE 2 + (n * 104729 + 13) % (? - 1) END AS pn ` +
        `FROM d_seq JOIN d_digits k ON k.d < 2 WHERE n <= ?) x`,
      [base.line, base.order, base.product, base.warehouse, base.stock, size.hotLines, P, P, size.orders],
    );
    await step(
      'stock sold / on hand',
      `UPDATE stocks s JOIN (SELECT ol.stock_id, SUM(ol.quantity) AS qty FROM order_lines ol JOIN orders o ON o.id = ol.order_id ` +
        `WHERE ol.id > ? AND o.status <> 'CANCELLED' GROUP BY ol.stock_id) t ON t.stock_id = s.id SET s.sold = t.qty, s.on_hand = s.on_hand - t.qty`,
      [base.line],
    );
    const movementColumns = 'id, created_at, updated_at, stock_id, product_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, order_id, actor_id';
    // 1. One ADJUSTMENT per stock row, before anything else of that row.
    await step(
      'movements: adjustments',
      `INSERT INTO stock_movements (${movementColumns}) SELECT ? + (s.id - ?), ${stamp}, ${stamp}, s.id, s.product_id, 'ADJUSTMENT', ${UNITS_EACH}, 0, ${UNITS_EACH}, 0, 'bench data', NULL, ? ` +
        'FROM stocks s WHERE s.id > ?',
      [base.movement, base.stock, ownerId, base.stock],
    );
    // 2. A SALE per line and a CANCELLATION after it for a cancelled order, in line order; the
    //    after-values are the running sum per stock row.
    const afterAdjustments = base.movement + S;
    await step(
      'movements: sales and cancellations',
      `INSERT INTO stock_movements (${movementColumns}) SELECT ? + ROW_NUMBER() OVER (ORDER BY x.seq), ${stamp}, ${stamp}, x.stock_id, x.product_id, x.kind, x.delta, 0, ` +
        `${UNITS_EACH} + SUM(x.delta) OVER (PARTITION BY x.stock_id ORDER BY x.seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), 0, NULL, x.order_id, x.actor_id FROM (` +
        `SELECT 2 * (ol.id - ?) - 1 AS seq, ol.stock_id, ol.product_id, 'SALE' AS kind, -ol.quantity AS delta, ol.order_id, o.user_id AS actor_id ` +
        `FROM order_lines ol JOIN orders o ON o.id = ol.order_id WHERE ol.id > ? UNION ALL ` +
        `SELECT 2 * (ol.id - ?), ol.stock_id, ol.product_id, 'CANCELLATION', ol.quantity, ol.order_id, o.user_id ` +
        `FROM order_lines ol JOIN orders o ON o.id = ol.order_id WHERE ol.id > ? AND o.status = 'CANCELLED') x`,
      [afterAdjustments, base.line, base.line, base.line, base.line],
    );
    // 3. RESERVATION + RELEASE pairs after all sales (so on hand is final), each pair adjacent.
    const afterSales = await maxId(conn, 'stock_movements');
    await step(
      'movements: reservation pairs',
      `INSERT INTO stock_movements (${movementColumns}) SELECT ? + 2 * x.r - 1 + k.d, ${stamp}, ${stamp}, s.id, s.product_id, IF(k.d = 0, 'RESERVATION', 'RELEASE'), 0, IF(k.d = 0, 1, -1), ` +
        `s.on_hand, IF(k.d = 0, 1, 0), 'bench cart', NULL, NULL FROM (` +
        `SELECT n AS r, CASE WHEN n <= ? THEN ? + 1 + n % 3 ELSE ? + 1 + (n * 31) % ? END AS stock_id FROM d_seq WHERE n <= ?) x ` +
        `JOIN stocks s ON s.id = x.stock_id JOIN d_digits k ON k.d < 2`,
      [afterSales, size.hotPairs, base.stock, base.stock, S, size.pairs],
    );
    await conn.query('DROP TABLE d_digits, d_seq');
    const counts: Record<string, number> = {};
    for (const table of ['products', 'orders', 'order_lines', 'stock_movements', 'stocks']) counts[table] = await count(conn, table);
    return { hotProductId: base.product + 1, warehouseId: base.warehouse + 1, searchWord: 'quince', generatedInMs: now() - started, counts };
  } finally {
    await conn.end();
  }
}

/** Finds the data set of an earlier run in a kept database (`--d-reuse`). */
export async function findScaleData(url: string): Promise<ScaleData | null> {
  const conn = await mysql.createConnection({ uri: url, timezone: 'Z' });
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>("SELECT MIN(id) AS p FROM products WHERE name = 'D item 1 pear'");
    const [wh] = await conn.query<mysql.RowDataPacket[]>("SELECT MIN(id) AS w FROM warehouses WHERE name = 'D warehouse 1'");
    if (!rows[0].p || !wh[0].w) return null;
    const counts: Record<string, number> = {};
    for (const table of ['products', 'orders', 'order_lines', 'stock_movements', 'stocks']) counts[table] = await count(conn, table);
    return { hotProductId: Number(rows[0].p), warehouseId: Number(wh[0].w), searchWord: 'quince', generatedInMs: 0, counts };
  } finally {
    await conn.end();
  }
}

/** A page of the name filter and of the indexed search: each read with a word that matches and with one that matches nothing. */
const NAME_FILTER_PAGE =
  'query($name: String!) { products(first: 20, filter: { name: $name }) { edges { node { id name } } pageInfo { hasNextPage } } }';
const SEARCH_PAGE =
  'query($search: String!) { products(first: 20, filter: { search: $search }) { edges { node { id name } } pageInfo { hasNextPage } } }';

/** The reads of scenario D, each a GraphQL document with its variables, sent with an admin's token. */
function scaleReads(data: ScaleData): { name: string; query: string; variables: Record<string, unknown> }[] {
  const product = String(data.hotProductId);
  return [
    { name: 'product { totalOrdered } (best-seller)', query: 'query($id: ID!) { product(id: $id) { id totalOrdered } }', variables: { id: product } },
    {
      name: 'stockMovements(first: 100) (best-seller)',
      query: 'query($id: ID!) { stockMovements(productId: $id, first: 100) { edges { node { id kind delta onHandAfter } } pageInfo { hasNextPage endCursor } } }',
      variables: { id: product },
    },
    {
      name: 'warehouse { stocks(first: 100) }',
      query: 'query($id: ID!) { warehouse(id: $id) { id stocks(first: 100) { id onHand reserved cursor } } }',
      variables: { id: String(data.warehouseId) },
    },
    { name: 'admin orders(first: 20)', query: '{ orders(first: 20) { edges { node { id status totalPrice } } pageInfo { hasNextPage endCursor } } }', variables: {} },
    { name: 'admin orders(first: 20) + totalCount', query: '{ orders(first: 20) { totalCount edges { node { id status } } } }', variables: {} },
    {
      name: 'products(filter: name) (substring)',
      query: NAME_FILTER_PAGE,
      variables: { name: data.searchWord },
    },
    {
      name: 'products(filter: name) (no match)',
      query: NAME_FILTER_PAGE,
      variables: { name: 'nomatchword' },
    },
    {
      name: 'products(filter: search)',
      query: SEARCH_PAGE,
      variables: { search: data.searchWord },
    },
    {
      name: 'products(filter: search) + totalCount',
      query: 'query($search: String!) { products(first: 20, filter: { search: $search }) { totalCount edges { node { id } } } }',
      variables: { search: data.searchWord },
    },
    {
      name: 'products(filter: search) (no match)',
      query: SEARCH_PAGE,
      variables: { search: 'nomatchword' },
    },
    { name: 'products(first: 20)', query: '{ products(first: 20) { edges { node { id name } } } }', variables: {} },
    { name: 'products(first: 20) + totalCount', query: '{ products(first: 20) { totalCount edges { node { id } } } }', variables: {} },
  ];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

export interface ScaleMeasurement {
  reads: Record<string, number>;
  writes: Record<string, number>;
  audit: Record<string, number>;
  generatedInMs: number;
  counts: Record<string, number>;
}

/**
 * Times the reads (p50 of `samples` sequential requests after 3 unmeasured ones, so each is the
 * latency of one request on an idle server), the write path (buyNow and addToCart + checkout at 64
 * buyers on a fresh catalog in the same database) and the audits (full, then incremental after the
 * write path added its movements).
 */
export async function measureScale(ctx: BenchContext, fx: Fixtures, data: ScaleData, options: { samples: number; writeUnits: number; tag: string; log: (s: string) => void }): Promise<ScaleMeasurement> {
  const reads: Record<string, number> = {};
  const target = ctx.servers[0].target;
  for (const read of scaleReads(data)) {
    const times: number[] = [];
    for (let i = 0; i < options.samples + 3; i += 1) {
      const res = await target.graphql(read.query, read.variables, fx.admin.token);
      if (res.code !== 'OK') throw new Error(`scenario D read "${read.name}" failed: ${res.code}`);
      if (i >= 3) times.push(res.ms);
    }
    reads[read.name] = median(times);
    options.log(`    ${read.name.padEnd(42)} p50 ${reads[read.name].toFixed(1)} ms`);
  }

  const audit: Record<string, number> = {};
  let t0 = now();
  const full = await auditStock(fx.em(), { mode: 'full', checkpoint: true });
  audit['full audit'] = now() - t0;
  options.log(`    full audit: ${full.ok ? 'clean' : `${full.problems.length} problems: ${full.problems.slice(0, 3).join('; ')}`}, ${full.movementsChecked} movements in ${(audit['full audit'] / 1000).toFixed(1)} s`);

  const writes: Record<string, number> = {};
  const concurrency = Math.min(64, ctx.buyers.length);
  const buyNow = graphqlBuyNow(ctx, `${options.tag}-buy`);
  if (buyNow) {
    const catalog = await fx.createCatalog(`${options.tag}-D-buy`, 1, options.writeUnits);
    const phase = await runSale({ name: 'D buyNow', concurrency, seller: buyNow, pick: () => saleTargets(catalog)[0], maxUnits: options.writeUnits, maxRequests: options.writeUnits * 3, maxDurationMs: 120_000, stopOnSoldOut: true });
    writes['buyNow (hot SKU) orders/s'] = (phase.unitCodes.OK ?? 0) / (phase.elapsedMs / 1000);
  }
  const cart = graphqlCartCheckout(ctx, `${options.tag}-cart`);
  if (cart) {
    const catalog = await fx.createCatalog(`${options.tag}-D-cart`, 200, options.writeUnits);
    const phase = await runSale({ name: 'D cart', concurrency, seller: cart, pick: zipfPicker(saleTargets(catalog), 1.1, 5), maxUnits: options.writeUnits, maxRequests: options.writeUnits * 4, maxDurationMs: 120_000, stopOnSoldOut: false });
    writes['addToCart + checkout orders/s'] = (phase.unitCodes.OK ?? 0) / (phase.elapsedMs / 1000);
  }
  for (const [k, v] of Object.entries(writes)) options.log(`    ${k.padEnd(42)} ${v.toFixed(0)}`);

  t0 = now();
  const incremental = await auditStock(fx.em(), { mode: 'incremental', checkpoint: true });
  audit['incremental audit'] = now() - t0;
  options.log(
    `    incremental audit: ${incremental.ok ? 'clean' : `${incremental.problems.length} problems: ${incremental.problems.slice(0, 3).join('; ')}`}, ` +
      `${incremental.movementsChecked} movements, ${incremental.stocksChecked} stock rows in ${(audit['incremental audit'] / 1000).toFixed(2)} s`,
  );
  if (!full.ok || !incremental.ok) throw new Error('scenario D: the stock audit is not clean');
  return { reads, writes, audit, generatedInMs: data.generatedInMs, counts: data.counts };
}

/** The growth table: small, big and big/small per measurement. */
export function growthLines(small: ScaleMeasurement, big: ScaleMeasurement): string[] {
  const lines = ['| measurement | small | big | big / small |', '|---|---:|---:|---:|'];
  const add = (name: string, a: number, b: number, unit: string) => lines.push(`| ${name} | ${a.toFixed(1)} ${unit} | ${b.toFixed(1)} ${unit} | ${(b / a).toFixed(2)}× |`);
  for (const name of Object.keys(big.reads)) add(`${name} p50`, small.reads[name], big.reads[name], 'ms');
  for (const name of Object.keys(big.writes)) add(name, small.writes[name], big.writes[name], '');
  for (const name of Object.keys(big.audit)) add(name, small.audit[name] / 1000, big.audit[name] / 1000, 's');
  lines.push('', `Rows: small ${JSON.stringify(small.counts)}; big ${JSON.stringify(big.counts)}. Generated in ${(small.generatedInMs / 1000).toFixed(1)} s (small), ${big.generatedInMs ? `${(big.generatedInMs / 1000).toFixed(1)} s` : 'reused'} (big).`);
  return lines;
}
