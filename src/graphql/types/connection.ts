import { type ClassType, Field, Int, ObjectType } from 'type-graphql';

@ObjectType('PageInfo')
export class PageInfoType {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

/** Builds `XConnection { edges { cursor node } pageInfo totalCount }` and its edge type for a node type. */
export function Connection<TNode extends object>(name: string, nodeType: ClassType<TNode>) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field(() => String)
    cursor!: string;

    @Field(() => nodeType)
    node!: TNode;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionType {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfoType)
    pageInfo!: PageInfoType;

    @Field(() => Int, {
      description: 'How many items the whole filtered list holds. Counted only when selected, by a query that grows with the list: leave it out of requests that page through a large list',
    })
    totalCount!: number;
  }
  return ConnectionType;
}
