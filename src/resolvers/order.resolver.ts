import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DEFAULT_PAGE_SIZE } from '../common/limits';
import { requireId } from '../common/validate';
import { Order, OrderLine, OrderStatus } from '../entities';
import type { GraphQLContext } from '../graphql/context';
import { BuyNowInput, CheckoutInput, parseBuyNow, parseCheckout, parseUpdateOrderStatus, UpdateOrderStatusInput } from '../graphql/inputs/order.input';
import { PageArgs, parsePageArgs, toConnection } from '../graphql/pagination';
import { ProductType, WarehouseType } from '../graphql/types/catalog.type';
import { OrderConnection, OrderLineType, OrderSort, orderSortDirection, OrderType } from '../graphql/types/order.type';
import type { OrderService } from '../services/order.service';

@Resolver(() => OrderType)
export class OrderResolver {
  constructor(private readonly orderService: OrderService) {}

  @Authorized()
  @Mutation(() => OrderType, { description: 'Turns the cart into an order atomically; the same idempotencyKey and input return the same order' })
  checkout(@Arg('input', () => CheckoutInput, { description: 'The idempotency key and the shipping cost' }) input: CheckoutInput, @Ctx() ctx: GraphQLContext) {
    return this.orderService.checkout(ctx, parseCheckout(input));
  }

  @Authorized()
  @Mutation(() => OrderType, { description: 'Buys one product directly, without the cart (idempotent like checkout)' })
  buyNow(@Arg('input', () => BuyNowInput, { description: 'The product, quantity and idempotency key' }) input: BuyNowInput, @Ctx() ctx: GraphQLContext) {
    return this.orderService.buyNow(ctx, parseBuyNow(input));
  }

  @Authorized()
  @Query(() => OrderConnection, { description: 'Your orders (all orders for an admin), newest first unless sort says otherwise' })
  async orders(
    @Ctx() ctx: GraphQLContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('status', () => OrderStatus, { nullable: true, description: 'Only orders in this status' }) status?: OrderStatus | null,
    @Arg('sort', () => OrderSort, { nullable: true, defaultValue: OrderSort.CREATED_AT_DESC, description: 'The order of the list; a cursor is valid only with the sort it was read in' }) sort?: OrderSort | null,
  ) {
    return toConnection(await this.orderService.listOrders(ctx, { status, ...parsePageArgs(page, DEFAULT_PAGE_SIZE, orderSortDirection(sort)) }));
  }

  @Authorized()
  @Query(() => OrderType, { nullable: true, description: 'One of your orders (any order for an admin). Null, with no error, when it does not exist or you may not see it' })
  order(@Arg('id', () => ID, { description: 'The order id' }) id: string, @Ctx() ctx: GraphQLContext) {
    return this.orderService.findOrder(ctx, requireId('id', id));
  }

  @Authorized()
  @Mutation(() => OrderType, { description: 'Cancels an order (the buyer while PENDING, an admin while PENDING or PROCESSED) and returns its stock' })
  cancelOrder(@Arg('id', () => ID, { description: 'The order id' }) id: string, @Ctx() ctx: GraphQLContext) {
    return this.orderService.cancelOrder(ctx, requireId('id', id));
  }

  @Authorized('ADMIN')
  @Mutation(() => OrderType, { description: 'Admin: PENDING → PROCESSED → SHIPPED → DELIVERED, or PENDING|PROCESSED → CANCELLED' })
  updateOrderStatus(@Arg('input', () => UpdateOrderStatusInput, { description: 'The order and its new status' }) input: UpdateOrderStatusInput, @Ctx() ctx: GraphQLContext) {
    return this.orderService.updateOrderStatus(ctx, parseUpdateOrderStatus(input));
  }

  @FieldResolver(() => [OrderLineType], { description: 'The products bought, one line per product and warehouse' })
  lines(@Root() order: Order, @Ctx() ctx: GraphQLContext) {
    return this.orderService.lines(ctx, order);
  }
}

@Resolver(() => OrderLineType)
export class OrderLineResolver {
  constructor(private readonly orderService: OrderService) {}

  @FieldResolver(() => ProductType, { description: 'The product bought' })
  product(@Root() line: OrderLine, @Ctx() ctx: GraphQLContext) {
    return this.orderService.lineProduct(ctx, line);
  }

  @FieldResolver(() => WarehouseType, { description: 'Where the units were taken from' })
  warehouse(@Root() line: OrderLine, @Ctx() ctx: GraphQLContext) {
    return this.orderService.lineWarehouse(ctx, line);
  }
}
