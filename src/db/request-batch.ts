import type { EntityClass } from '@mikro-orm/core';
import type { DbContext } from './context';

type Fetch<V> = (ctx: DbContext, keys: number[]) => Promise<Map<number, V>>;

interface Pending<V> {
  keys: Set<number>;
  waiters: { key: number; resolve: (value: V | undefined) => void; reject: (error: unknown) => void }[];
}

const pendingByRequest = new WeakMap<DbContext, Map<Fetch<unknown>, Pending<unknown>>>();

/**
 * Batches per-row lookups of one request into one query: field resolvers of a list (e.g. the
 * `available` of 100 products) each ask for their key, and everything asked in the same turn of
 * the event loop is fetched together. Nothing is cached across batches, so a mutation that runs
 * later in the same request always sees fresh data.
 */
export function loadBatched<V>(ctx: DbContext, fetch: Fetch<V>, key: number): Promise<V | undefined> {
  let byFetch = pendingByRequest.get(ctx);
  if (!byFetch) {
    byFetch = new Map();
    pendingByRequest.set(ctx, byFetch);
  }
  let pending = byFetch.get(fetch as Fetch<unknown>) as Pending<V> | undefined;
  if (!pending) {
    const batch: Pending<V> = { keys: new Set(), waiters: [] };
    pending = batch;
    byFetch.set(fetch as Fetch<unknown>, batch as Pending<unknown>);
    setImmediate(() => {
      byFetch!.delete(fetch as Fetch<unknown>);
      fetch(ctx, [...batch.keys]).then(
        (values) => batch.waiters.forEach((w) => w.resolve(values.get(w.key))),
        (error: unknown) => batch.waiters.forEach((w) => w.reject(error)),
      );
    });
  }
  const batch = pending;
  batch.keys.add(key);
  return new Promise<V | undefined>((resolve, reject) => batch.waiters.push({ key, resolve, reject }));
}

type WithId = { id: number };
const byIdFetchers = new Map<EntityClass<WithId>, Fetch<WithId>>();

/**
 * Loads one entity by id through the request's batch: every `loadById` of the same entity class in
 * one turn of the event loop, from any service, becomes one `WHERE id IN (…)` query.
 */
export function loadById<T extends WithId>(ctx: DbContext, entity: EntityClass<T>, id: number): Promise<T | undefined> {
  let fetch = byIdFetchers.get(entity as EntityClass<WithId>);
  if (!fetch) {
    fetch = async (c, ids) => new Map((await c.em.find(entity as EntityClass<WithId>, { id: { $in: ids } })).map((e) => [e.id, e]));
    byIdFetchers.set(entity as EntityClass<WithId>, fetch);
  }
  return loadBatched(ctx, fetch as Fetch<T>, id);
}
