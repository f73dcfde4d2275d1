import { type ClassType, Field, Int, ObjectType } from 'type-graphql';

@ObjectType('PageInfo', { description: 'Where a page of a connection sits in the whole list (Relay cursor connections). Paging is forward-only: first/after' })
export class PageInfoType {
  @Field(() => Boolean, { description: 'Whether rows follow this page: ask for the next one with after: endCursor' })
  hasNextPage!: boolean;

  @Field(() => Boolean, {
    description: 'Whether rows come before this page. Paging is forward-only, so this is true exactly when the page was asked for with an after cursor',
  })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'The cursor of the first edge of this page; null when the page is empty' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'The cursor of the last edge of this page, to pass as after for the next page; null when the page is empty' })
  endCursor!: string | null;
}

/** Builds `XConnection { edges { cursor node } pageInfo totalCount }` and its edge type for a node type. */
export function Connection<TNode extends object>(name: string, nodeType: ClassType<TNode>) {
  @ObjectType(`${name}Edge`, { description: `One ${name} of a ${name}Connection page, with its cursor` })
  class Edge {
    @Field(() => String, { description: 'Opaque: pass as after to get the rows that follow this one (valid only for the same list and sort)' })
    cursor!: string;

    @Field(() => nodeType, { description: `The ${name}` })
    node!: TNode;
  }

  @ObjectType(`${name}Connection`, { description: `One page of a list of ${name} (Relay cursor connection)` })
  class ConnectionType {
    @Field(() => [Edge], { description: 'The rows of this page, in the order of the list' })
    edges!: Edge[];

    @Field(() => PageInfoType, { description: 'Where this page sits in the whole list' })
    pageInfo!: PageInfoType;

    @Field(() => Int, {
      description: 'How many items the whole filtered list holds (every page, with the same filter). Counted only when selected, by a query that grows with the list: leave it out of requests that page through a large list',
    })
    totalCount!: number;
  }
  return ConnectionType;
}
