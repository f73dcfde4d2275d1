import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireId } from '../common/validate';
import { Order, OrderLine, OrderStatus } from '../entities';
import type { GraphQLContext } from '../graphql/context';
import { BuyNowInput, CheckoutInput, parseBuyNow, parseCheckout, parseUpdateOrderStatus, UpdateOrderStatusInput } from '../graphql/inputs/order.input';
import { PageArgs, parsePageArgs, toConnection } from '../graphql/pagination';
import { ProductType, WarehouseType } from '../graphql/types/catalog.type';
import { OrderConnection, OrderLineType, OrderType } from '../graphql/types/order.type';
import type { OrderService } from '../services/order.service';

@Resolver(() => OrderType)
export class OrderResolver {
  constructor(private readonly orderService: OrderService) {}

  @Authorized()
  @Mutation(() => OrderType, { description: 'Turns the cart into an order atomically; the same idempotencyKey and input return the same order' })
  checkout(@Arg('input', () => CheckoutInput) input: CheckoutInput, @Ctx() ctx: GraphQLContext) {
    return this.orderService.checkout(ctx, parseCheckout(input));
  }

  @Authorized()
  @Mutation(() => OrderType, { description: 'Buys one product directly, without the cart (idempotent like checkout)' })
  buyNow(@Arg('input', () => BuyNowInput) input: BuyNowInput, @Ctx() ctx: GraphQLContext) {
    return this.orderService.buyNow(ctx, parseBuyNow(input));
  }

  @Authorized()
  @Query(() => OrderConnection, { description: 'Your orders (all orders for an admin), oldest first' })
  async orders(@Ctx() ctx: GraphQLContext, @Args(() => PageArgs) page: PageArgs, @Arg('status', () => OrderStatus, { nullable: true }) status?: OrderStatus | null) {
    return toConnection(await this.orderService.listOrders(ctx, { status, ...parsePageArgs(page) }));
  }

  @Authorized()
  @Query(() => OrderType, { nullable: true, description: 'One of your orders (any order for an admin)' })
  order(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return this.orderService.getOrder(ctx, requireId('id', id));
  }

  @Authorized()
  @Mutation(() => OrderType, { description: 'Cancels an order (the buyer while PENDING, an admin while PENDING or PROCESSED) and returns its stock' })
  cancelOrder(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return this.orderService.cancelOrder(ctx, requireId('id', id));
  }

  @Authorized('ADMIN')
  @Mutation(() => OrderType, { description: 'Admin: PENDING → PROCESSED → SHIPPED → DELIVERED, or PENDING|PROCESSED → CANCELLED' })
  updateOrderStatus(@Arg('input', () => UpdateOrderStatusInput) input: UpdateOrderStatusInput, @Ctx() ctx: GraphQLContext) {
    return this.orderService.updateOrderStatus(ctx, parseUpdateOrderStatus(input));
  }

  @FieldResolver(() => [OrderLineType])
  lines(@Root() order: Order, @Ctx() ctx: GraphQLContext) {
    return this.orderService.lines(ctx, order);
  }
}

@Resolver(() => OrderLineType)
export class OrderLineResolver {
  constructor(private readonly orderService: OrderService) {}

  @FieldResolver(() => ProductType)
  product(@Root() line: OrderLine, @Ctx() ctx: GraphQLContext) {
    return this.orderService.lineProduct(ctx, line);
  }

  @FieldResolver(() => WarehouseType, { description: 'Where the units were taken from' })
  warehouse(@Root() line: OrderLine, @Ctx() ctx: GraphQLContext) {
    return this.orderService.lineWarehouse(ctx, line);
  }
}
