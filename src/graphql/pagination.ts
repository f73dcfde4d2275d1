import { ArgsType, Field, Int } from 'type-graphql';
import { BadUserInputError } from '../common/errors';
import { checkAll } from '../common/validate';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../common/limits';
import type { Page, PageDirection, PageRequest } from '../db/pagination';


/** `first` / `after` of every paginated list, declared once. */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: 'At most 100; 20 when omitted' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page' })
  after?: string | null;
}

/**
 * `first` / `after` of a plain list nested in an object (a warehouse's or a product's stocks): no
 * connection around it, but never an unbounded list either.
 */
@ArgsType()
export class NestedPageArgs {
  @Field(() => Int, { nullable: true, description: 'At most 100; 100 when omitted' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The cursor of the last item of the previous page' })
  after?: string | null;
}

/**
 * A cursor names the row and the order it was read in (`id:7` ascending, as before; `id-desc:7`
 * descending), so a cursor is never silently applied to a list sorted the other way.
 */
export function encodeCursor(id: number, direction: PageDirection = 'asc'): string {
  return Buffer.from(`${direction === 'asc' ? 'id' : 'id-desc'}:${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, direction: PageDirection): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(id|id-desc):([1-9]\d{0,15})$/.exec(text);
  if (!match) throw new BadUserInputError('after', 'after is not a cursor from this API');
  if ((match[1] === 'id') !== (direction === 'asc')) throw new BadUserInputError('after', 'after is a cursor of the list in the other sort order');
  return Number(match[2]);
}

/**
 * The page a client asked for, checked: `first` within 1..100 (20 by default), `after` a cursor of
 * ours read in the same `direction`. Both are checked, and both problems reported.
 */
export function parsePageArgs(args: PageArgs | NestedPageArgs, defaultSize = DEFAULT_PAGE_SIZE, direction: PageDirection = 'asc'): PageRequest {
  const { first, after } = args;
  return checkAll({
    first: () => {
      if (first === undefined || first === null) return defaultSize;
      if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw new BadUserInputError('first', `first must be between 1 and ${MAX_PAGE_SIZE}`);
      return first;
    },
    afterId: () => (after ? decodeCursor(after, direction) : 0),
    direction: () => direction,
  });
}

export interface ConnectionValue<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** A getter: the count runs only when the field is resolved, i.e. when a client selected it. */
  readonly totalCount: Promise<number>;
}

/** A page as a Relay-style connection. */
export function toConnection<T extends { id: number }>(page: Page<T>): ConnectionValue<T> {
  const edges = page.nodes.map((node) => ({ cursor: encodeCursor(node.id, page.direction), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    get totalCount() {
      return page.countTotal();
    },
  };
}
