import type { EntityName, FilterQuery } from '@mikro-orm/core';
import type { Em } from './context';

/** One page of a keyset-paginated list, and the size of the whole filtered set. */
export interface Page<T> {
  nodes: T[];
  hasNextPage: boolean;
  totalCount: number;
}

/** Where a page starts: the `first` rows whose id is greater than `afterId` (0: from the start). */
export interface PageRequest {
  first: number;
  afterId: number;
}

/**
 * Keyset pagination by ascending id (stable under inserts). `totalCount` counts the whole filtered
 * set. The GraphQL layer turns pages into connections (cursors, edges).
 */
export async function paginate<T extends { id: number }>(
  em: Em,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  page: PageRequest,
  options: { populate?: string[] } = {},
): Promise<Page<T>> {
  const pageWhere = { $and: [where, { id: { $gt: page.afterId } }] } as FilterQuery<T>;
  const [rows, totalCount] = await Promise.all([
    em.find(entity, pageWhere, { orderBy: { id: 'asc' } as never, limit: page.first + 1, populate: options.populate as never }),
    em.count(entity, where),
  ]);
  return { nodes: rows.slice(0, page.first), hasNextPage: rows.length > page.first, totalCount };
}
