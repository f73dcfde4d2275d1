import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, type NonEmptyArray, type PubSub } from 'type-graphql';
import { AuthResolver, UserResolver } from '../resolvers/auth.resolver';
import { CartItemResolver, CartResolver } from '../resolvers/cart.resolver';
import { OrderLineResolver, OrderResolver } from '../resolvers/order.resolver';
import { ProductResolver } from '../resolvers/product.resolver';
import { StockMovementResolver, StockResolver } from '../resolvers/stock.resolver';
import { StockLevelResolver } from '../resolvers/subscription.resolver';
import { WarehouseResolver } from '../resolvers/warehouse.resolver';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const RESOLVERS: NonEmptyArray<Function> = [AuthResolver, UserResolver, ProductResolver, WarehouseResolver, StockResolver, StockMovementResolver, CartResolver, CartItemResolver, OrderResolver, OrderLineResolver, StockLevelResolver];

/**
 * Our only subscription brings its own event source (StockWatchService, which reads the database so
 * it works across processes); type-graphql still insists on a PubSub for topic-based ones.
 */
const NO_TOPIC_PUBSUB: PubSub = {
  publish() {
    throw new Error('topic-based subscriptions are not used: subscriptions supply their own source');
  },
  subscribe() {
    throw new Error('topic-based subscriptions are not used: subscriptions supply their own source');
  },
};

let cached: Promise<GraphQLSchema> | undefined;

/** Builds the executable schema from the type-graphql classes (once per process). */
export function buildAppSchema(): Promise<GraphQLSchema> {
  cached ??= buildSchema({
    resolvers: RESOLVERS,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    orphanedTypes: [],
    validate: false,
    pubSub: NO_TOPIC_PUBSUB,
    emitSchemaFile: false,
  });
  return cached;
}

/** The SDL committed as schema.graphql: sorted so that it is stable. */
export async function printAppSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildAppSchema()))}\n`;
}
