import type { EntityName, FilterQuery } from '@mikro-orm/core';
import type { Em } from './context';

/** One page of a keyset-paginated list, and how to count the whole filtered set. */
export interface Page<T> {
  nodes: T[];
  hasNextPage: boolean;
  /** Paging is forward-only: a page that starts after a cursor has rows before it. */
  hasPreviousPage: boolean;
  direction: PageDirection;
  /**
   * Counts the whole filtered set: a query that grows with the set, so it runs only when called
   * (the connection's `totalCount` calls it only when a client selects it), at most once.
   */
  countTotal: () => Promise<number>;
}

/** `asc`: oldest (lowest id) first; `desc`: newest first. */
export type PageDirection = 'asc' | 'desc';

/**
 * Where a page starts: the `first` rows after the one with id `afterId` in `direction` (greater
 * ids for `asc`, the default; smaller for `desc`); 0: from the start.
 */
export interface PageRequest {
  first: number;
  afterId: number;
  direction?: PageDirection;
}

/**
 * A page's `countTotal`: runs `count` only when first called (a client selected totalCount), and
 * at most once however often it is called.
 */
export function deferredCount(count: () => Promise<number>): () => Promise<number> {
  let counted: Promise<number> | undefined;
  return () => (counted ??= count());
}

/**
 * Keyset pagination by id, ascending or descending (stable under inserts: ids grow with creation):
 * one `id > after ORDER BY id LIMIT` read (or `<` … DESC), which an index on the filter's columns
 * followed by `id` serves without a sort. The count of the whole filtered set is deferred
 * (`countTotal`). The GraphQL layer turns pages into connections (cursors, edges).
 */
export async function paginate<T extends { id: number }>(
  em: Em,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  page: PageRequest,
  options: { populate?: string[] } = {},
): Promise<Page<T>> {
  const direction = page.direction ?? 'asc';
  const after = page.afterId > 0 ? [{ id: { [direction === 'asc' ? '$gt' : '$lt']: page.afterId } }] : [];
  const pageWhere = { $and: [where, ...after] } as FilterQuery<T>;
  const rows = await em.find(entity, pageWhere, { orderBy: { id: direction } as never, limit: page.first + 1, populate: options.populate as never });
  const countTotal = deferredCount(() => em.count(entity, where));
  return { nodes: rows.slice(0, page.first), hasNextPage: rows.length > page.first, hasPreviousPage: page.afterId > 0, direction, countTotal };
}
