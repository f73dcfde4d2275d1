import { NotFoundError } from '../common/errors';
import { logger } from '../config/logger';
import type { Orm } from '../config/database';
import { sqlFor } from '../db/sql';
import { Product } from '../entities';
import type { Sql } from '../db/sql';
import { findCurrentSales } from '../repositories/flash-sale.repository';
import { availableByProduct } from '../repositories/stock.repository';
import { systemContext, type RequestContext } from './context';
import { toSaleView, type FlashSaleView } from './flash-sale.service';

export interface StockLevel {
  productId: number;
  available: number;
  /** The product's sale running now or next, else its latest one (ended or cancelled); null when it never had one. */
  flashSale: FlashSaleView | null;
}

/** Levels of the watched products: stock and sale state (by the database clock), in two statements. */
async function readLevels(sql: Sql, productIds: number[]): Promise<StockLevel[]> {
  const [available, sales] = await Promise.all([availableByProduct(sql, productIds), findCurrentSales(sql, productIds, { withLatest: true })]);
  return productIds.map((productId) => {
    const sale = sales.get(productId);
    return { productId, available: available.get(productId) ?? 0, flashSale: sale ? toSaleView(sale) : null };
  });
}

/** What a watcher is told about: a change of any of these is pushed (a sale opening, its quota moving, its end). */
const signatureOf = (level: StockLevel): string => {
  const sale = level.flashSale;
  return `${level.available}|${sale ? `${sale.id}:${sale.status}:${sale.quotaRemaining}:${sale.updatedAt.getTime()}` : '-'}`;
};

type Listener = (level: StockLevel) => void;

/**
 * Live stock levels for subscriptions. Each process polls the database for the products its
 * subscribers watch (one query per tick for all of them) and pushes a level whenever it differs
 * from the last one pushed. Because the source is the database, a change committed by any server
 * process reaches subscribers on every process; bursts are coalesced into the latest level.
 */
export class StockWatchService {
  private readonly listeners = new Map<number, Set<Listener>>();
  private readonly last = new Map<number, string>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  /** Polls run on a context of their own, never on a subscriber's (which ends with its connection). */
  private readonly system: RequestContext;

  constructor(orm: Orm, private readonly intervalMs: number) {
    this.system = systemContext(orm, 'stock-watch');
  }

  /** An async iterator of levels for one product: the current level first, then every change. */
  async subscribe(ctx: RequestContext, productId: number): Promise<AsyncIterableIterator<StockLevel>> {
    const product = await ctx.em.findOne(Product, { id: productId, archivedAt: null });
    if (!product) throw new NotFoundError('Product');
    const queue: StockLevel[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const listener: Listener = (level) => {
      queue.push(level);
      wake?.();
    };
    const [current] = await readLevels(sqlFor(ctx.em), [productId]);
    queue.push(current);
    if (!this.listeners.has(productId)) this.last.set(productId, signatureOf(current));
    this.add(productId, listener);
    const stop = () => {
      done = true;
      this.remove(productId, listener);
      wake?.();
    };
    const iterator: AsyncIterableIterator<StockLevel> = {
      [Symbol.asyncIterator]: () => iterator,
      next: async () => {
        while (!done && queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        if (done) return { value: undefined, done: true };
        return { value: queue.shift()!, done: false };
      },
      return: async () => {
        stop();
        return { value: undefined, done: true };
      },
    };
    return iterator;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private add(productId: number, listener: Listener): void {
    const set = this.listeners.get(productId) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(productId, set);
    if (!this.timer && this.intervalMs > 0) {
      this.timer = setInterval(() => void this.poll(), this.intervalMs);
      this.timer.unref();
    }
  }

  private remove(productId: number, listener: Listener): void {
    const set = this.listeners.get(productId);
    set?.delete(listener);
    if (set && set.size === 0) {
      this.listeners.delete(productId);
      this.last.delete(productId);
    }
    if (this.listeners.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async poll(): Promise<void> {
    if (this.polling || this.listeners.size === 0) return;
    this.polling = true;
    try {
      const levels = await readLevels(sqlFor(this.system.em), [...this.listeners.keys()]);
      for (const level of levels) {
        const signature = signatureOf(level);
        if (this.last.get(level.productId) === signature) continue;
        this.last.set(level.productId, signature);
        for (const listener of this.listeners.get(level.productId) ?? []) listener(level);
      }
    } catch (error) {
      logger.warn('stock watch poll failed', { error: error as Error });
    } finally {
      this.polling = false;
    }
  }
}
