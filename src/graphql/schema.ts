import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, type AuthChecker, type ContainerType, type PubSub } from 'type-graphql';
import type { Services } from '../container';
import { AuthResolver, UserResolver } from '../resolvers/auth.resolver';
import { CartItemResolver, CartResolver, OrderCartResolver } from '../resolvers/cart.resolver';
import { FlashSaleResolver, ProductFlashSaleResolver } from '../resolvers/flash-sale.resolver';
import { OrderLineResolver, OrderResolver } from '../resolvers/order.resolver';
import { ProductResolver } from '../resolvers/product.resolver';
import { StockMovementResolver, StockResolver } from '../resolvers/stock.resolver';
import { createStockLevelResolver, StockLevelFieldResolver } from '../resolvers/subscription.resolver';
import { WarehouseResolver } from '../resolvers/warehouse.resolver';
import { requireAdmin, requireViewer } from '../services/viewer';
import type { GraphQLContext } from './context';

/** Each resolver class with the instance that serves it, built from the services it is given. */
function resolverInstances(services: Services): Map<Function, object> {
  return new Map<Function, object>([
    [AuthResolver, new AuthResolver(services.auth)],
    [UserResolver, new UserResolver(services.auth)],
    [ProductResolver, new ProductResolver(services.products)],
    [WarehouseResolver, new WarehouseResolver(services.warehouses)],
    [StockResolver, new StockResolver(services.stock)],
    [StockMovementResolver, new StockMovementResolver(services.stock)],
    [CartResolver, new CartResolver(services.carts)],
    [CartItemResolver, new CartItemResolver()],
    [OrderCartResolver, new OrderCartResolver(services.carts)],
    [StockLevelFieldResolver, new StockLevelFieldResolver(services.products)],
    [OrderResolver, new OrderResolver(services.orders)],
    [OrderLineResolver, new OrderLineResolver(services.orders)],
    [FlashSaleResolver, new FlashSaleResolver(services.flashSales)],
    [ProductFlashSaleResolver, new ProductFlashSaleResolver(services.flashSales)],
  ]);
}

/**
 * `@Authorized()` on an operation: the caller must be signed in (UNAUTHENTICATED, with the reason a
 * sent token was refused); `@Authorized('ADMIN')`: and be an admin (FORBIDDEN). Checked before the
 * resolver runs, so before its input is parsed.
 */
const authChecker: AuthChecker<GraphQLContext> = ({ context }, roles) => {
  if (roles.includes('ADMIN')) requireAdmin(context);
  else requireViewer(context);
  return true;
};

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

/**
 * Builds the executable schema from the type-graphql classes, its resolvers served by `services`
 * (the composition root's). Without services the schema describes the API (schema.graphql, type
 * checks in tests and the bench) but cannot execute an operation.
 */
export async function buildAppSchema(services?: Services): Promise<GraphQLSchema> {
  const instances = services ? resolverInstances(services) : new Map<Function, object>();
  const StockLevelResolver = createStockLevelResolver(services?.stockWatch ?? null);
  instances.set(StockLevelResolver, new StockLevelResolver());
  const container: ContainerType = {
    get(resolverClass: Function) {
      const instance = instances.get(resolverClass);
      if (!instance) throw new Error(`no instance for ${resolverClass.name}: the schema was built without services`);
      return instance;
    },
  };
  const schema = await buildSchema({
    resolvers: [...RESOLVER_CLASSES, StockLevelResolver],
    container,
    authChecker,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    orphanedTypes: [],
    validate: false,
    pubSub: NO_TOPIC_PUBSUB,
    emitSchemaFile: false,
  });
  describeRootTypes(schema);
  return schema;
}

/** type-graphql names the root types but cannot describe them: every type of the schema has a description. */
function describeRootTypes(schema: GraphQLSchema): void {
  const query = schema.getQueryType();
  const mutation = schema.getMutationType();
  const subscription = schema.getSubscriptionType();
  if (query) query.description = 'Reads. Single-object fields (product, order, warehouse) answer null, with no error, for an object that does not exist or that you may not see';
  if (mutation) mutation.description = 'Writes. A mutation that names a missing or hidden object fails with NOT_FOUND; checkout and buyNow are idempotent by their key';
  if (subscription) subscription.description = 'Live events, over WebSocket only (graphql-transport-ws at /graphql); sent over HTTP a subscription is refused with BAD_REQUEST';
}

const RESOLVER_CLASSES = [
  AuthResolver,
  UserResolver,
  ProductResolver,
  WarehouseResolver,
  StockResolver,
  StockMovementResolver,
  CartResolver,
  CartItemResolver,
  OrderCartResolver,
  StockLevelFieldResolver,
  OrderResolver,
  OrderLineResolver,
  FlashSaleResolver,
  ProductFlashSaleResolver,
] as const;

/** The SDL committed as schema.graphql: sorted so that it is stable. */
export async function printAppSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildAppSchema()))}\n`;
}
