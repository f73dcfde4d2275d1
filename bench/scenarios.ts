import type { RawSqlStrategies, SaleTarget } from './baselines';
import type { Buyer, Catalog } from './fixtures';
import { now, runLoad, seededRandom, Zipf, type PhaseResult, type Recorder } from './load';
import { cartLines, type CartLine, type Operations } from './operations';
import type { ServerProcess } from './servers';

/**
 * What each strategy does for one sale, and the load shapes of the scenarios. Virtual user `vu`
 * is always buyer `vu` (its own token, its own cart) and talks to server `vu % servers`, like a
 * sticky load balancer.
 */

export interface BenchContext {
  servers: ServerProcess[];
  buyers: Buyer[];
  ops: Operations;
  raw: RawSqlStrategies;
}

/** Sells one unit of `target` to buyer `vu`; records its requests and returns the unit's outcome. */
export type Seller = (vu: number, iteration: number, target: SaleTarget, rec: Recorder) => Promise<string>;

type StrategyName = 'GraphQL' | 'L1' | 'L2' | 'L2-late' | 'L2-cart' | 'L2+count1' | 'L2+count16' | 'P-raw' | 'naive' | 'L4';

/** Outcomes after which a virtual user stops: the bench is broken, not the server busy. */
const FATAL = new Set(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'BAD_REQUEST']);

/** What a buyer gets once the units are gone: the stock, or a flash sale's quota. */
const SOLD_OUT = new Set(['INSUFFICIENT_STOCK', 'SALE_QUOTA_EXHAUSTED']);

function server(ctx: BenchContext, vu: number): ServerProcess {
  return ctx.servers[vu % ctx.servers.length];
}

function rawSeller(run: (target: SaleTarget, userId: number) => Promise<string>, ctx: BenchContext): Seller {
  return async (vu, _iteration, target, rec) => {
    const t0 = now();
    const code = await run(target, ctx.buyers[vu].id);
    rec.request('sql', code, now() - t0);
    return code;
  };
}

/** buyNow of one unit (scenario A). */
export function graphqlBuyNow(ctx: BenchContext, tag: string): Seller | undefined {
  const query = ctx.ops.buyNow;
  if (!query) return undefined;
  let sequence = 0;
  return async (vu, _iteration, target, rec) => {
    // A fresh key per attempt (never per iteration: iterations restart at 0 in every phase, and a
    // reused key would be answered by the idempotent replay of the earlier order).
    const res = await server(ctx, vu).target.graphql(
      query,
      { input: { productId: String(target.productId), quantity: 1, idempotencyKey: `${tag}-${vu}-${(sequence += 1)}` } },
      ctx.buyers[vu].token,
    );
    rec.request('buyNow', res.code, res.ms);
    return res.code;
  };
}

/**
 * A-sale: buyNow of one unit in a flash sale with a per-buyer limit. Virtual user `vu` is a new
 * buyer every `triesEach` attempts (buyer vu, then vu + concurrency, …), so that every buyer
 * tries exactly `triesEach` times.
 */
export function graphqlSaleBuyNow(ctx: BenchContext, tag: string, buyers: Buyer[], concurrency: number, triesEach: number): Seller | undefined {
  const query = ctx.ops.buyNow;
  if (!query) return undefined;
  let sequence = 0;
  return async (vu, iteration, target, rec) => {
    const buyer = buyers[(vu + concurrency * Math.floor(iteration / triesEach)) % buyers.length];
    const res = await server(ctx, vu).target.graphql(
      query,
      { input: { productId: String(target.productId), quantity: 1, idempotencyKey: `${tag}-${buyer.id}-${(sequence += 1)}` } },
      buyer.token,
    );
    rec.request('buyNow', res.code, res.ms);
    return res.code;
  };
}

/** addToCart of one unit, then checkout (scenario B); a failed checkout clears the cart. */
export function graphqlCartCheckout(ctx: BenchContext, tag: string): Seller | undefined {
  const { addToCart, checkout, clearCart } = ctx.ops;
  if (!addToCart || !checkout || !clearCart) return undefined;
  let sequence = 0;
  return async (vu, _iteration, target, rec) => {
    const target$ = server(ctx, vu).target;
    const token = ctx.buyers[vu].token;
    const add = await target$.graphql(addToCart, { input: { productId: String(target.productId), quantity: 1 } }, token);
    rec.request('addToCart', add.code, add.ms);
    if (add.code !== 'OK') return add.code;
    const order = await target$.graphql(checkout, { input: { idempotencyKey: `${tag}-${vu}-${(sequence += 1)}`, shippingCost: '0.00' } }, token);
    rec.request('checkout', order.code, order.ms);
    if (order.code !== 'OK') {
      const cleared = await target$.graphql(clearCart, {}, token);
      rec.request('clearCart', cleared.code, cleared.ms);
    }
    return order.code;
  };
}

export function rawSellers(ctx: BenchContext): Record<'L1' | 'L2' | 'L2-late' | 'L2-cart' | 'L2+count1' | 'L2+count16' | 'P-raw' | 'naive', Seller> {
  const raw = ctx.raw;
  return {
    L1: rawSeller((t) => raw.l1(t), ctx),
    L2: rawSeller((t, u) => raw.l2(t, u), ctx),
    'L2-late': rawSeller((t, u) => raw.l2Late(t, u), ctx),
    'L2-cart': rawSeller((t, u) => raw.l2Cart(t, u), ctx),
    'L2+count1': rawSeller((t, u) => raw.l2Counted(t, u, 1), ctx),
    'L2+count16': rawSeller((t, u) => raw.l2Counted(t, u, 16), ctx),
    'P-raw': rawSeller((t, u) => raw.pessimistic(t, u), ctx),
    naive: rawSeller((t, u) => raw.naive(t, u), ctx),
  };
}

export function saleTargets(catalog: Catalog): SaleTarget[] {
  return catalog.stockIds.map((stockId, i) => ({ stockId, productId: catalog.productIds[i], warehouseId: catalog.warehouseId, price: catalog.price }));
}

export interface SaleLoad {
  name: string;
  concurrency: number;
  seller: Seller;
  /** The stock a buyer wants on its `iteration`-th attempt. */
  pick: (vu: number, iteration: number) => SaleTarget;
  maxUnits?: number;
  maxRequests: number;
  maxDurationMs: number;
  /** Each buyer stops at its first INSUFFICIENT_STOCK or SALE_QUOTA_EXHAUSTED (selling a hot SKU out). */
  stopOnSoldOut: boolean;
}

export function runSale(load: SaleLoad): Promise<PhaseResult> {
  return runLoad({
    name: load.name,
    concurrency: load.concurrency,
    maxUnits: load.maxUnits,
    maxRequests: load.maxRequests,
    maxDurationMs: load.maxDurationMs,
    step: async (vu, iteration, rec) => {
      const t0 = now();
      const code = await load.seller(vu, iteration, load.pick(vu, iteration), rec);
      rec.unit(code, now() - t0);
      if (FATAL.has(code)) return 'stop';
      return load.stopOnSoldOut && SOLD_OUT.has(code) ? 'stop' : 'continue';
    },
  });
}

/** Zipf-distributed picks, the same sequence per buyer for every strategy. */
export function zipfPicker(targets: SaleTarget[], s: number, seed: number): (vu: number, iteration: number) => SaleTarget {
  const zipf = new Zipf(targets.length, s);
  const streams = new Map<number, () => number>();
  return (vu) => {
    let random = streams.get(vu);
    if (!random) {
      random = seededRandom(seed * 100_003 + vu);
      streams.set(vu, random);
    }
    return targets[zipf.sample(random)];
  };
}

/**
 * L4: the `{ __typename }` query, with the buyer's token like every real request: the cost of the
 * request pipeline alone (HTTP, parse, validate, context build and token check, no resolver).
 * Each request is one unit (reported as "pings").
 */
export function runBaseline(ctx: BenchContext, name: string, concurrency: number, maxRequests: number, maxDurationMs: number): Promise<PhaseResult> {
  const query = ctx.ops.baseline;
  return runLoad({
    name,
    concurrency,
    maxRequests,
    maxUnits: maxRequests,
    maxDurationMs,
    step: async (vu, _iteration, rec) => {
      const res = await server(ctx, vu).target.graphql(query, {}, ctx.buyers[vu].token);
      rec.request('baseline', res.code, res.ms);
      rec.unit(res.code, res.ms);
      return FATAL.has(res.code) ? 'stop' : 'continue';
    },
  });
}

/**
 * Scenario C: every buyer keeps a cart of 2–4 lines drawn (Zipf) from a small shared set of
 * products and churns it: add a product, change a quantity, remove a line. Every request is a
 * unit. The cart state is taken from each response, never guessed.
 */
export function runChurn(ctx: BenchContext, options: { name: string; concurrency: number; catalog: Catalog; s: number; seed: number; maxRequests: number; maxDurationMs: number }): Promise<PhaseResult> | undefined {
  const { addToCart, updateCartItem, removeFromCart } = ctx.ops;
  if (!addToCart || !updateCartItem || !removeFromCart) return undefined;
  const zipf = new Zipf(options.catalog.productIds.length, options.s);
  const carts = new Map<number, CartLine[]>();
  const streams = new Map<number, () => number>();
  return runLoad({
    name: options.name,
    concurrency: options.concurrency,
    maxRequests: options.maxRequests,
    maxDurationMs: options.maxDurationMs,
    step: async (vu, _iteration, rec) => {
      let random = streams.get(vu);
      if (!random) {
        random = seededRandom(options.seed * 100_003 + vu);
        streams.set(vu, random);
      }
      const lines = carts.get(vu) ?? [];
      const target = server(ctx, vu).target;
      const token = ctx.buyers[vu].token;
      const r = random();
      let op: string;
      let res;
      if (lines.length < 2 || (lines.length < 4 && r < 0.4)) {
        op = 'addToCart';
        let productId = String(options.catalog.productIds[zipf.sample(random)]);
        for (let tries = 0; tries < 5 && lines.some((l) => l.productId === productId); tries += 1) {
          productId = String(options.catalog.productIds[zipf.sample(random)]);
        }
        res = await target.graphql(addToCart, { input: { productId, quantity: 1 + Math.floor(random() * 2) } }, token);
      } else if (r < 0.75) {
        op = 'updateCartItem';
        const line = lines[Math.floor(random() * lines.length)];
        res = await target.graphql(updateCartItem, { input: { itemId: line.itemId, quantity: 1 + Math.floor(random() * 3) } }, token);
      } else {
        op = 'removeFromCart';
        const line = lines[Math.floor(random() * lines.length)];
        res = await target.graphql(removeFromCart, { itemId: line.itemId }, token);
      }
      rec.request(op, res.code, res.ms);
      rec.unit(res.code, res.ms);
      const after = cartLines(res.data, op);
      if (after) carts.set(vu, after);
      return FATAL.has(res.code) ? 'stop' : 'continue';
    },
  });
}

/** Empties every buyer's cart through the API (not measured), so the run can be audited. */
export async function clearCarts(ctx: BenchContext, buyers: number): Promise<Record<string, number>> {
  const codes: Record<string, number> = {};
  const query = ctx.ops.clearCart;
  if (!query) return codes;
  await Promise.all(
    Array.from({ length: buyers }, async (_, vu) => {
      const res = await server(ctx, vu).target.graphql(query, {}, ctx.buyers[vu].token);
      codes[res.code] = (codes[res.code] ?? 0) + 1;
    }),
  );
  return codes;
}
