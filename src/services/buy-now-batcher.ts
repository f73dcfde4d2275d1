import { IdempotencyKeyReusedError, InsufficientStockError, NotFoundError, RETRY_WITH_SAME_KEY, RetryableConflict, ServiceUnavailableError } from '../common/errors';
import { multiplyMoney } from '../common/money';
import type { Orm } from '../config/database';
import { logger } from '../config/logger';
import { sqlFor, type Sql } from '../db/sql';
import type { UnitContext, UnitOfWork } from '../db/unit-of-work';
import { deferLines, insertOrders, orderKey, readBuyNowBatch } from '../repositories/order.repository';
import { lapsedHeldByStock, sellInBatch, type Sale, type StockRow } from '../repositories/stock.repository';
import { systemContext, type RequestContext } from './context';
import { WriteRefused, type RateLimitService } from './rate-limit.service';
import { returnSaleUnits, takeBatchSaleUnits, type SalePricing } from './flash-sale-units';
import { requireStorableTotal } from './order-rules';
import { freeByStock, planTake, releaseLapsedForShortage, totalFree, type Allocation } from './stock-allocation';

/** One buyNow, validated and authenticated; the write limiter counts it in its batch (sellBatch). */
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
const MAX_BUY_NOW_BATCH = 100;

const REASON = 'buy now';

interface Pending<R> {
  request: BuyNowRequest;
  /** The request's id, for the batch's logs (the batch itself runs on the batcher's system context). */
  requestId: string;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
  /** Refuses the request if no batch has taken it by then (BUY_NOW_QUEUE_MAX_WAIT_MS). */
  deadline?: NodeJS.Timeout;
}

/** Bounds on the requests waiting for one product's next batch (BUY_NOW_QUEUE_*). */
export interface BuyNowQueueBounds {
  maxWaiting: number;
  maxWaitMs: number;
}

/**
 * Requests for one product queue here while a batch for it runs; when it ends, the next batch
 * takes everything waiting (up to MAX_BUY_NOW_BATCH, and, with `oneKeyPerBatch`, one request per
 * idempotency key: a twin waits for the next batch). A lone request runs at once as a batch of one.
 */
class ProductBatches<R> {
  private readonly queues = new Map<number, { running: boolean; waiting: Pending<R>[] }>();

  constructor(
    private readonly runBatch: (requests: BuyNowRequest[], requestIds: string[]) => Promise<(R | Error)[]>,
    private readonly options: { name: string; oneKeyPerBatch: boolean; bounds: BuyNowQueueBounds; onBatch: (size: number) => void },
  ) {}

  /**
   * Queues the request for its product's next batch. A full queue refuses at once, and a request
   * that no batch took within the wait bound leaves the queue: both SERVICE_UNAVAILABLE, with
   * nothing done (when the database hangs, requests fail fast instead of piling up behind it).
   */
  submit(ctx: RequestContext, request: BuyNowRequest): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let queue = this.queues.get(request.productId);
      if (!queue) {
        queue = { running: false, waiting: [] };
        this.queues.set(request.productId, queue);
      }
      const { maxWaiting, maxWaitMs } = this.options.bounds;
      if (queue.running && queue.waiting.length >= maxWaiting) {
        reject(new ServiceUnavailableError('Too many requests are waiting for this product: try again shortly'));
        return;
      }
      const pending: Pending<R> = { request, requestId: ctx.requestId, resolve, reject };
      queue.waiting.push(pending);
      if (!queue.running) {
        this.drain(request.productId, queue);
        return;
      }
      const waiting = queue;
      pending.deadline = setTimeout(() => {
        const at = waiting.waiting.indexOf(pending);
        if (at < 0) return;
        waiting.waiting.splice(at, 1);
        reject(new ServiceUnavailableError('This product is busy: try again shortly'));
      }, maxWaitMs);
      pending.deadline.unref();
    });
  }

  private drain(productId: number, queue: { running: boolean; waiting: Pending<R>[] }): void {
    queue.running = true;
    const batch: Pending<R>[] = [];
    const keys = new Set<string>();
    const later: Pending<R>[] = [];
    for (const pending of queue.waiting) {
      clearTimeout(pending.deadline);
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
      const results = await this.runBatch(
        batch.map((p) => p.request),
        batch.map((p) => p.requestId),
      );
      batch.forEach((pending, i) => {
        const result = results[i];
        if (result instanceof Error) pending.reject(result);
        else pending.resolve(result);
      });
    } catch (error) {
      // The retries ran out or the database failed: the same for everyone in the batch.
      logger.warn(`${this.options.name} failed`, { requests: batch.map((p) => p.requestId), error: error as Error });
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
  /** Batches belong to no request: they run on a context of their own. */
  private readonly system: RequestContext;

  private readonly sales: ProductBatches<BuyNowOutcome>;
  private readonly probes: ProductBatches<void>;

  constructor(
    orm: Orm,
    private readonly uow: UnitOfWork,
    private readonly locking: 'optimistic' | 'pessimistic',
    bounds: BuyNowQueueBounds,
    rateLimits: RateLimitService,
  ) {
    this.system = systemContext(orm, 'buy-now-batch');
    this.sales = new ProductBatches<BuyNowOutcome>(
      (requests, requestIds) =>
        this.uow.run({ ...this.system, requestId: `buy-now-batch[${requestIds.join(',')}]` }, (tx) => sellBatch(tx, requests, this.locking, rateLimits), {
          outcomeUnknownMessage: RETRY_WITH_SAME_KEY,
        }),
      {
        name: 'buyNow batch',
        oneKeyPerBatch: true,
        bounds,
        onBatch: (size) => {
          buyNowBatchStats.batches += 1;
          buyNowBatchStats.requests += size;
          buyNowBatchStats.largest = Math.max(buyNowBatchStats.largest, size);
        },
      },
    );
    this.probes = new ProductBatches<void>((requests) => probeBatch(sqlFor(this.system.em), requests), {
      name: 'buyNow sold-out probe',
      oneKeyPerBatch: false,
      bounds,
      onBatch: (size) => {
        buyNowBatchStats.probes += 1;
        buyNowBatchStats.probedRequests += size;
      },
    });
  }

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
  const { price, stocks, replays } = await readBatch(sql, requests);
  const free = totalFree(stocks, freeByStock(stocks));
  const most = Math.max(...requests.map((r) => r.quantity));
  let lapsed = 0;
  if (price !== null && free < most && stocks.length) {
    lapsed = [...(await lapsedHeldByStock(sql, stocks.map((s) => s.id))).values()].reduce((a, b) => a + b, 0);
  }
  return requests.map((r) => {
    if (price === null || replays.has(orderKey(r.userId, r.idempotencyKey))) return undefined;
    return free + lapsed < r.quantity ? new InsufficientStockError(r.productId, free) : undefined;
  });
}

/** The batch's product, stock rows and replays (all requests of a batch are for one product). */
const readBatch = (sql: Sql, requests: BuyNowRequest[]) => readBuyNowBatch(sql, requests[0].productId, requests);

/** Each request, in order, gets its units from the rows in id order (the one planner), or INSUFFICIENT_STOCK. */
function plan(requests: BuyNowRequest[], stocks: StockRow[], eligible: boolean[]): { takes: (Allocation[] | Error | null)[]; short: boolean } {
  const free = freeByStock(stocks);
  let short = false;
  const takes = requests.map((r, i) => {
    if (!eligible[i]) return null;
    const take = planTake(stocks, free, r.quantity);
    if (take) return take;
    short = true;
    return new InsufficientStockError(r.productId, totalFree(stocks, free));
  });
  return { takes, short };
}

/** Per sale, the units taken for requests that the stock then could not serve. */
function shortSaleUnits(
  takes: (Allocation[] | Error | null)[],
  requests: BuyNowRequest[],
  priceOf: (i: number) => SalePricing,
): Map<number, { userId: number; quantity: number }[]> {
  const out = new Map<number, { userId: number; quantity: number }[]>();
  takes.forEach((take, i) => {
    const saleId = take instanceof Error ? priceOf(i).saleId : null;
    if (saleId === null) return;
    out.set(saleId, [...(out.get(saleId) ?? []), { userId: requests[i].userId, quantity: requests[i].quantity }]);
  });
  return out;
}

/**
 * One attempt at the whole batch inside the unit of work; per-request refusals are returned, not
 * thrown. Its first round trip counts every request in the write limiter (in user id order, the
 * lock order of the counter rows; with BEGIN, ahead of the first read), so a buyNow costs no
 * autocommit write of its own; a request over the limit is answered WriteRefused, and its count
 * commits with the batch.
 */
async function sellBatch(
  tx: UnitContext,
  requests: BuyNowRequest[],
  locking: 'optimistic' | 'pessimistic',
  rateLimits: RateLimitService,
): Promise<(BuyNowOutcome | Error)[]> {
  const sql = tx.sql;
  const productId = requests[0].productId;
  const counts = new Map<number, { refused: () => boolean } | null>();
  for (const i of requests.map((_, index) => index).sort((a, b) => requests[a].userId - requests[b].userId)) {
    counts.set(i, rateLimits.countWriteInBatch(sql, requests[i].userId));
  }
  if (locking === 'pessimistic' && sql.kind === 'mysql') {
    // Row locks first (lock order): the plain read below then sees the latest stock, and the guarded write cannot lose.
    await sql.all('SELECT id FROM stocks WHERE product_id = ? ORDER BY id FOR UPDATE', [productId]);
  }
  const read = await readBatch(sql, requests);
  const { price, replays } = read;
  let { stocks } = read;
  const results: (BuyNowOutcome | Error | null)[] = requests.map((r, i) => {
    if (counts.get(i)?.refused()) return new WriteRefused();
    const replay = replays.get(orderKey(r.userId, r.idempotencyKey));
    if (replay) return replay.requestHash === r.requestHash ? { kind: 'replay', orderId: replay.orderId } : new IdempotencyKeyReusedError();
    if (price === null) return new NotFoundError('Product');
    try {
      requireStorableTotal(multiplyMoney(price, r.quantity));
    } catch (error) {
      return error as Error;
    }
    return null;
  });
  // flash sale: the sale's window, quota and per-buyer limits, before any stock row is written.
  const pricing = await takeBatchSaleUnits(
    sql,
    productId,
    requests.map((r, i) => (results[i] === null ? { userId: r.userId, quantity: r.quantity } : null)),
    price ?? '0.00',
  );
  pricing.forEach((p, i) => {
    if (p instanceof Error) results[i] = p;
  });
  const priceOf = (i: number): SalePricing => pricing[i] as SalePricing;
  const eligible = results.map((r) => r === null);
  let allocation = plan(requests, stocks, eligible);
  if (allocation.short) {
    // Lapsed holds stop counting at once: release them (EXPIRY) and plan again.
    const fresh = await releaseLapsedForShortage(sql, productId, stocks);
    if (fresh) {
      stocks = fresh;
      allocation = plan(requests, stocks, eligible);
    }
  }
  const winners: { index: number; take: Allocation[] }[] = [];
  allocation.takes.forEach((take, i) => {
    if (take === null) return;
    if (take instanceof Error) results[i] = take;
    else winners.push({ index: i, take });
  });
  // flash sale: sale units taken for requests the stock could not serve go back.
  for (const [saleId, units] of shortSaleUnits(allocation.takes, requests, priceOf)) await returnSaleUnits(sql, saleId, units);
  if (!winners.length || price === null) return results as (BuyNowOutcome | Error)[];

  // Order rows first (the unique key makes a concurrent twin in another process wait, fail and
  // replay), then the stock rows in id order, then the lines: the hot row is locked for two statements.
  const now = new Date();
  const orderIds = await insertOrders(
    sql,
    winners.map(({ index }) => {
      const r = requests[index];
      return { userId: r.userId, idempotencyKey: r.idempotencyKey, requestHash: r.requestHash, totalPrice: multiplyMoney(priceOf(index).unitPrice, r.quantity), shippingCost: '0.00' };
    }),
    now,
  );

  const salesByStock = new Map<number, Sale[]>();
  winners.forEach(({ index, take }, w) => {
    for (const { stockId, quantity } of take) {
      const sales = salesByStock.get(stockId) ?? [];
      sales.push({ orderId: orderIds[w], quantity, actorId: requests[index].userId, unitPrice: priceOf(index).unitPrice });
      salesByStock.set(stockId, sales);
    }
  });
  for (const stockId of [...salesByStock.keys()].sort((a, b) => a - b)) {
    if (!(await sellInBatch(sql, stockId, salesByStock.get(stockId)!, REASON))) throw new RetryableConflict(`stock ${stockId} changed concurrently`);
  }

  // With the batch's COMMIT, in one round trip (Sql.defer).
  deferLines(
    sql,
    winners.flatMap(({ index, take }, w) =>
      take.map(({ stockId, warehouseId, quantity }) => ({
        orderId: orderIds[w],
        productId,
        warehouseId,
        stockId,
        quantity,
        unitPrice: priceOf(index).unitPrice,
        flashSaleId: priceOf(index).saleId,
      })),
    ),
  );
  winners.forEach(({ index }, w) => {
    results[index] = { kind: 'created', orderId: orderIds[w], totalPrice: multiplyMoney(priceOf(index).unitPrice, requests[index].quantity), createdAt: now };
  });
  return results as (BuyNowOutcome | Error)[];
}
