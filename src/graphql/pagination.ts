import { ArgsType, Field, Int } from 'type-graphql';
import { BadUserInputError } from '../common/errors';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../common/limits';
import type { Page, PageRequest } from '../db/pagination';


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

export function encodeCursor(id: number): string {
  return Buffer.from(`id:${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^id:([1-9]\d{0,15})$/.exec(text);
  if (!match) throw new BadUserInputError('after', 'after is not a cursor from this API');
  return Number(match[1]);
}

/** The page a client asked for, checked: `first` within 1..100 (20 by default), `after` a cursor of ours. */
export function parsePageArgs(args: PageArgs | NestedPageArgs, defaultSize = DEFAULT_PAGE_SIZE): PageRequest {
  const { first, after } = args;
  let size = defaultSize;
  if (first !== undefined && first !== null) {
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw new BadUserInputError('first', `first must be between 1 and ${MAX_PAGE_SIZE}`);
    size = first;
  }
  return { first: size, afterId: after ? decodeCursor(after) : 0 };
}

export interface ConnectionValue<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** A getter: the count runs only when the field is resolved, i.e. when a client selected it. */
  readonly totalCount: Promise<number>;
}

/** A page as a Relay-style connection. */
export function toConnection<T extends { id: number }>(page: Page<T>): ConnectionValue<T> {
  const { nodes } = page;
  return {
    edges: nodes.map((node) => ({ cursor: encodeCursor(node.id), node })),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: nodes.length ? encodeCursor(nodes[nodes.length - 1].id) : null },
    get totalCount() {
      return page.countTotal();
    },
  };
}
