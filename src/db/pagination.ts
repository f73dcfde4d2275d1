import type { EntityName, FilterQuery } from '@mikro-orm/core';
import { BadUserInputError } from '../common/errors';
import type { Em } from '../services/context';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

export function encodeCursor(id: number): string {
  return Buffer.from(`id:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^id:([1-9]\d{0,15})$/.exec(text);
  if (!match) throw new BadUserInputError('after', 'after is not a cursor from this API');
  return Number(match[1]);
}

export function pageSize(first: number | null | undefined): number {
  if (first === undefined || first === null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new BadUserInputError('first', `first must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return first;
}

/**
 * Keyset pagination by ascending id (stable under inserts): `after` is an opaque cursor, `first`
 * at most 100. totalCount counts the whole filtered set.
 */
export async function paginate<T extends { id: number }>(
  em: Em,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  args: { first?: number | null; after?: string | null },
  options: { populate?: string[] } = {},
): Promise<Page<T>> {
  const limit = pageSize(args.first);
  const afterId = args.after ? decodeCursor(args.after) : 0;
  const pageWhere = { $and: [where, { id: { $gt: afterId } }] } as FilterQuery<T>;
  const [rows, totalCount] = await Promise.all([
    em.find(entity, pageWhere, { orderBy: { id: 'asc' } as never, limit: limit + 1, populate: options.populate as never }),
    em.count(entity, where),
  ]);
  const nodes = rows.slice(0, limit);
  return {
    edges: nodes.map((node) => ({ cursor: encodeCursor(node.id), node })),
    pageInfo: { hasNextPage: rows.length > limit, endCursor: nodes.length ? encodeCursor(nodes[nodes.length - 1].id) : null },
    totalCount,
  };
}
