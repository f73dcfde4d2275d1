import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Order, OrderLine, OrderStatus } from '../entities';
import type { GraphQLContext } from '../graphql/context';
import { BuyNowInput, CheckoutInput, UpdateOrderStatusInput } from '../graphql/inputs/order.input';
import { ProductType, WarehouseType } from '../graphql/types/catalog.type';
import { OrderConnection, OrderLineType, OrderType } from '../graphql/types/order.type';

@Resolver(() => OrderType)
export class OrderResolver {
  @Mutation(() => OrderType, { description: 'Turns the cart into an order atomically; the same idempotencyKey and input return the same order' })
  checkout(@Arg('input', () => CheckoutInput) input: CheckoutInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.orders.checkout(ctx, input);
  }

  @Mutation(() => OrderType, { description: 'Buys one product directly, without the cart (idempotent like checkout)' })
  buyNow(@Arg('input', () => BuyNowInput) input: BuyNowInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.orders.buyNow(ctx, input);
  }

  @Query(() => OrderConnection, { description: 'Your orders (all orders for an admin), oldest first' })
  orders(
    @Ctx() ctx: GraphQLContext,
    @Arg('status', () => OrderStatus, { nullable: true }) status?: OrderStatus | null,
    @Arg('first', () => Int, { nullable: true }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ) {
    return ctx.services.orders.listOrders(ctx, { status, first, after });
  }

  @Query(() => OrderType, { nullable: true, description: 'One of your orders (any order for an admin)' })
  order(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.orders.getOrder(ctx, id);
  }

  @Mutation(() => OrderType, { description: 'Cancels an order (the buyer while PENDING, an admin while PENDING or PROCESSED) and returns its stock' })
  cancelOrder(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.orders.cancelOrder(ctx, id);
  }

  @Mutation(() => OrderType, { description: 'Admin: PENDING → PROCESSED → SHIPPED → DELIVERED, or PENDING|PROCESSED → CANCELLED' })
  updateOrderStatus(@Arg('input', () => UpdateOrderStatusInput) input: UpdateOrderStatusInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.orders.updateOrderStatus(ctx, input);
  }

  @FieldResolver(() => [OrderLineType])
  lines(@Root() order: Order, @Ctx() ctx: GraphQLContext) {
    return ctx.services.orders.lines(ctx, order);
  }
}

@Resolver(() => OrderLineType)
export class OrderLineResolver {
  @FieldResolver(() => ProductType)
  product(@Root() line: OrderLine, @Ctx() ctx: GraphQLContext) {
    return ctx.services.orders.lineProduct(ctx, line);
  }

  @FieldResolver(() => WarehouseType, { description: 'Where the units were taken from' })
  warehouse(@Root() line: OrderLine, @Ctx() ctx: GraphQLContext) {
    return ctx.services.orders.lineWarehouse(ctx, line);
  }
}
