import { IdempotencyKeyReusedError, InsufficientStockError, NotFoundError, RetryableConflict } from '../common/errors';
import { multiplyMoney, normalizeMoney } from '../common/money';
import type { RequestContext } from './context';
import { insertLines, insertOrders, keysMatch, orderKey, requireStorableTotal } from '../repositories/order.repository';
import { num, sqlFor, type Row, type Sql } from '../db/sql';
import { lapsedHeldByStock, releaseLapsedHolds, sellInBatch, toStockRow, type Sale, type StockRow } from '../repositories/stock.repository';
import { runUnitOfWork, type UnitContext } from '../db/unit-of-work';

/** One buyNow, validated, authenticated and counted by the write limiter. */
export interface BuyNowRequest {
  userId: number;
  productId: number;
  quantity: number;
  idempotencyKey: string;
  requestHash: string;
}

export type BuyNowOutcome =
  | { kind: 'created'; orderId: number; totalPrice: string; createdAt: Date }
  | { kind: 'replay'; orderId: number };

/** Process-wide counters for /metrics and the benchmark. */
export const buyNowBatchStats = { batches: 0, requests: 0, largest: 0, probes: 0, probedRequests: 0 };

/** Most buyNow requests sold (or probed) in one statement batch (bounds the statements' size). */
export const MAX_BUY_NOW_BATCH = 100;

const REASON = 'buy now';

interface Pending<R> {
  request: BuyNowRequest;
  ctx: RequestContext;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Requests for one product queue here while a batch for it runs; when it ends, the next batch
 * takes everything waiting (up to MAX_BUY_NOW_BATCH, and, with `oneKeyPerBatch`, one request per
 * idempotency key: a twin waits for the next batch). A lone request runs at once as a batch of one.
 */
class ProductBatches<R> {
  private readonly queues = new Map<number, { running: boolean; waiting: Pending<R>[] }>();

  constructor(
    private readonly runBatch: (ctx: RequestContext, requests: BuyNowRequest[]) => Promise<(R | Error)[]>,
    private readonly options: { oneKeyPerBatch: boolean; onBatch: (size: number) => void },
  ) {}

  submit(ctx: RequestContext, request: BuyNowRequest): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let queue = this.queues.get(request.productId);
      if (!queue) {
        queue = { running: false, waiting: [] };
        this.queues.set(request.productId, queue);
      }
      queue.waiting.push({ request, ctx, resolve, reject });
      if (!queue.running) this.drain(request.productId, queue);
    });
  }

  private drain(productId: number, queue: { running: boolean; waiting: Pending<R>[] }): void {
    queue.running = true;
    const batch: Pending<R>[] = [];
    const keys = new Set<string>();
    const later: Pending<R>[] = [];
    for (const pending of queue.waiting) {
      const key = orderKey(pending.request.userId, pending.request.idempotencyKey);
      if (batch.length >= MAX_BUY_NOW_BATCH || (this.options.oneKeyPerBatch && keys.has(key))) later.push(pending);
      else {
        keys.add(key);
        batch.push(pending);
      }
    }
    queue.waiting = later;
    this.options.onBatch(batch.length);
    void this.run(batch).finally(() => {
      if (queue.waiting.length) this.drain(productId, queue);
      else {
        queue.running = false;
        this.queues.delete(productId);
      }
    });
  }

  private async run(batch: Pending<R>[]): Promise<void> {
    try {
      const results = await this.runBatch(batch[0].ctx, batch.map((p) => p.request));
      batch.forEach((pending, i) => {
        const result = results[i];
        if (result instanceof Error) pending.reject(result);
        else pending.resolve(result);
      });
    } catch (error) {
      // The retries ran out or the database failed: the same for everyone in the batch.
      for (const pending of batch) pending.reject(error);
    }
  }
}

/**
 * Group commit for buyNow, per product and per process. While one transaction for a product is
 * running, further buyNow requests for it wait; when it ends they all go into the next one: one
 * read of the product, its stock rows and the replays of every key, one multi-row order insert,
 * one guarded write per stock row for the batch's total (with one SALE ledger row per order), one
 * multi-row line insert, one commit. A lone request runs at once, as a batch of one: nothing is
 * delayed to wait for company; batches grow only while the previous one is busy.
 *
 * Nothing here protects stock: the guarded write in the database does, exactly as for a single
 * order (when it loses a race with another process the whole batch is retried on fresh data), so
 * any number of processes can batch side by side. What each request gets is decided request by
 * request, in arrival order: its replay, IDEMPOTENCY_KEY_REUSED, NOT_FOUND, INSUFFICIENT_STOCK
 * when the stock left after the earlier requests of the batch is short, or its order. A request
 * whose key is already in the batch waits for the next one, where it finds that order as a replay.
 */
export class BuyNowBatcher {
  private readonly sales = new ProductBatches<BuyNowOutcome>((ctx, requests) => runUnitOfWork(ctx, (tx) => sellBatch(tx, requests)), {
    oneKeyPerBatch: true,
    onBatch: (size) => {
      buyNowBatchStats.batches += 1;
      buyNowBatchStats.requests += size;
      buyNowBatchStats.largest = Math.max(buyNowBatchStats.largest, size);
    },
  });

  private readonly probes = new ProductBatches<void>((ctx, requests) => probeBatch(sqlFor(ctx.em), requests), {
    oneKeyPerBatch: false,
    onBatch: (size) => {
      buyNowBatchStats.probes += 1;
      buyNowBatchStats.probedRequests += size;
    },
  });

  /** Sells the request in the product's next batch transaction. */
  submit(ctx: RequestContext, request: BuyNowRequest): Promise<BuyNowOutcome> {
    return this.sales.submit(ctx, request);
  }

  /**
   * The sold-out fast path: one plain read, outside any transaction, shared by the concurrent
   * requests for the product. Rejects with INSUFFICIENT_STOCK what the guarded write would refuse
   * anyway (lapsed holds count as free here); resolves, standing aside, for a key that already has
   * an order (its replay must still be returned), for an unknown product, and when the stock is
   * there. The guarded write remains the only authority.
   */
  refuseIfSoldOut(ctx: RequestContext, request: BuyNowRequest): Promise<void> {
    return this.probes.submit(ctx, request);
  }
}

/** One read for a batch of sold-out probes. */
async function probeBatch(sql: Sql, requests: BuyNowRequest[]): Promise<(void | Error)[]> {
  const { product, stocks, replays } = await readBatch(sql, requests);
  const free = stocks.reduce((sum, s) => sum + Math.max(0, s.onHand - s.reserved), 0);
  const most = Math.max(...requests.map((r) => r.quantity));
  let lapsed = 0;
  if (product && free < most && stocks.length) {
    lapsed = [...(await lapsedHeldByStock(sql, stocks.map((s) => s.id))).values()].reduce((a, b) => a + b, 0);
  }
  return requests.map((r) => {
    if (!product || replays.has(orderKey(r.userId, r.idempotencyKey))) return undefined;
    return free + lapsed < r.quantity ? new InsufficientStockError(r.productId, free) : undefined;
  });
}

const keyParams = (requests: BuyNowRequest[]) => requests.flatMap((r) => [r.userId, r.idempotencyKey]);

/**
 * Reads the product (null when unknown or archived), its sellable stock rows in lock order and
 * every key's existing order, in one statement.
 */
async function readBatch(sql: Sql, requests: BuyNowRequest[]): Promise<{ product: Row | null; stocks: StockRow[]; replays: Map<string, Row> }> {
  const productId = requests[0].productId;
  const rows = await sql.all(
    'SELECT p.price, p.archived_at, s.id, s.warehouse_id, s.product_id, s.on_hand, s.reserved, s.version, ' +
      'o.id AS order_id, o.user_id AS order_user_id, o.idempotency_key AS order_key, o.request_hash ' +
      'FROM products p LEFT JOIN (stocks s JOIN warehouses w ON w.id = s.warehouse_id AND w.archived_at IS NULL) ON s.product_id = p.id ' +
      `LEFT JOIN orders o ON ${keysMatch('o', requests.length)} WHERE p.id = ? ORDER BY s.id`,
    [...keyParams(requests), productId],
  );
  const replays = new Map<string, Row>();
  if (!rows.length) {
    // No such product: a replay of an order for it still returns that order (the product may be gone since).
    const orders = await sql.all(`SELECT o.id AS order_id, o.user_id, o.idempotency_key, o.request_hash FROM orders o WHERE ${keysMatch('o', requests.length)}`, keyParams(requests));
    for (const row of orders) replays.set(orderKey(row.user_id, row.idempotency_key), row);
    return { product: null, stocks: [], replays };
  }
  const stocks = new Map<number, StockRow>();
  for (const row of rows) {
    if (row.id !== null && row.id !== undefined) stocks.set(num(row.id), toStockRow(row));
    if (row.order_id !== null && row.order_id !== undefined) replays.set(orderKey(row.order_user_id, row.order_key), row);
  }
  return { product: rows[0].archived_at ? null : rows[0], stocks: [...stocks.values()], replays };
}

interface Plan {
  /** Per request: the units it takes from each stock row, or why it gets none. */
  takes: (Map<number, number> | Error)[];
  short: boolean;
}

/** Gives each request, in order, its units from the rows in id order, or INSUFFICIENT_STOCK. */
function plan(requests: BuyNowRequest[], stocks: StockRow[], eligible: boolean[]): Plan {
  const free = new Map(stocks.map((s) => [s.id, Math.max(0, s.onHand - s.reserved)]));
  let short = false;
  const takes = requests.map((r, i) => {
    if (!eligible[i]) return new Map<number, number>();
    const total = [...free.values()].reduce((a, b) => a + b, 0);
    if (total < r.quantity) {
      short = true;
      return new InsufficientStockError(r.productId, total);
    }
    const take = new Map<number, number>();
    let remaining = r.quantity;
    for (const s of stocks) {
      const n = Math.min(remaining, free.get(s.id)!);
      if (n === 0) continue;
      take.set(s.id, n);
      free.set(s.id, free.get(s.id)! - n);
      remaining -= n;
      if (remaining === 0) break;
    }
    return take;
  });
  return { takes, short };
}

/** One attempt at the whole batch inside the unit of work; per-request refusals are returned, not thrown. */
async function sellBatch(tx: UnitContext, requests: BuyNowRequest[]): Promise<(BuyNowOutcome | Error)[]> {
  const sql = tx.sql;
  if (tx.config.checkoutLocking === 'pessimistic' && sql.kind === 'mysql') {
    // Row locks first (lock order): the plain read below then sees the latest stock, and the guarded write cannot lose.
    await sql.all('SELECT id FROM stocks WHERE product_id = ? ORDER BY id FOR UPDATE', [requests[0].productId]);
  }
  const read = await readBatch(sql, requests);
  const { product, replays } = read;
  let { stocks } = read;
  const price = product ? normalizeMoney(product.price as string) : '0.00';
  const results: (BuyNowOutcome | Error | null)[] = requests.map((r) => {
    const replay = replays.get(orderKey(r.userId, r.idempotencyKey));
    if (replay) return replay.request_hash === r.requestHash ? { kind: 'replay', orderId: num(replay.order_id) } : new IdempotencyKeyReusedError();
    if (!product) return new NotFoundError('Product');
    try {
      requireStorableTotal(multiplyMoney(price, r.quantity));
    } catch (error) {
      return error as Error;
    }
    return null;
  });
  const eligible = results.map((r) => r === null);
  let allocation = plan(requests, stocks, eligible);
  if (allocation.short) {
    // Lapsed holds stop counting at once: release them (EXPIRY) and plan again, as allocateStock does.
    const lapsed = await lapsedHeldByStock(sql, stocks.map((s) => s.id));
    if (lapsed.size) {
      for (const stockId of [...lapsed.keys()].sort((a, b) => a - b)) await releaseLapsedHolds(sql, { stockId });
      ({ stocks } = await readBatch(sql, requests));
      allocation = plan(requests, stocks, eligible);
    }
  }
  const winners: number[] = [];
  allocation.takes.forEach((take, i) => {
    if (!eligible[i]) return;
    if (take instanceof Error) results[i] = take;
    else winners.push(i);
  });
  if (!winners.length) return results as (BuyNowOutcome | Error)[];

  // Order rows first (the unique key makes a concurrent twin in another process wait, fail and
  // replay), then the stock rows in id order, then the lines: the hot row is locked for two statements.
  const now = new Date();
  const orderIds = await insertOrders(
    sql,
    winners.map((i) => {
      const r = requests[i];
      return { userId: r.userId, idempotencyKey: r.idempotencyKey, requestHash: r.requestHash, totalPrice: multiplyMoney(price, r.quantity), shippingCost: '0.00' };
    }),
    now,
  );

  const salesByStock = new Map<number, Sale[]>();
  winners.forEach((i, w) => {
    for (const [stockId, quantity] of allocation.takes[i] as Map<number, number>) {
      const sales = salesByStock.get(stockId) ?? [];
      sales.push({ orderId: orderIds[w], quantity, actorId: requests[i].userId });
      salesByStock.set(stockId, sales);
    }
  });
  for (const stockId of [...salesByStock.keys()].sort((a, b) => a - b)) {
    if (!(await sellInBatch(sql, stockId, salesByStock.get(stockId)!, REASON))) throw new RetryableConflict(`stock ${stockId} changed concurrently`);
  }

  const warehouseOf = new Map(stocks.map((s) => [s.id, s.warehouseId]));
  await insertLines(
    sql,
    winners.flatMap((i, w) =>
      [...(allocation.takes[i] as Map<number, number>)].map(([stockId, quantity]) => ({
        orderId: orderIds[w],
        productId: requests[i].productId,
        warehouseId: warehouseOf.get(stockId)!,
        stockId,
        quantity,
        unitPrice: price,
      })),
    ),
  );
  winners.forEach((i, w) => {
    results[i] = { kind: 'created', orderId: orderIds[w], totalPrice: multiplyMoney(price, requests[i].quantity), createdAt: now };
  });
  return results as (BuyNowOutcome | Error)[];
}
