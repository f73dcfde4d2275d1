import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import { AuthResolver } from '../resolvers/auth.resolver';
import { CartResolver } from '../resolvers/cart.resolver';
import { OrderResolver } from '../resolvers/order.resolver';
import { ProductResolver } from '../resolvers/product.resolver';
import { StockResolver } from '../resolvers/stock.resolver';
import { WarehouseResolver } from '../resolvers/warehouse.resolver';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const RESOLVERS: NonEmptyArray<Function> = [AuthResolver, ProductResolver, WarehouseResolver, StockResolver, CartResolver, OrderResolver];

let cached: Promise<GraphQLSchema> | undefined;

/** Builds the executable schema from the type-graphql classes (once per process). */
export function buildAppSchema(): Promise<GraphQLSchema> {
  cached ??= buildSchema({
    resolvers: RESOLVERS,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    orphanedTypes: [],
    validate: false,
    emitSchemaFile: false,
  });
  return cached;
}

/** The SDL committed as schema.graphql: sorted so that it is stable. */
export async function printAppSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildAppSchema()))}\n`;
}
