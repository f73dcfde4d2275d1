import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Stock, StockMovement } from '../entities';
import type { GraphQLContext } from '../graphql/context';
import { AdjustStockInput, SetStockInput } from '../graphql/inputs/catalog.input';
import { ProductType, StockMovementConnection, StockMovementType, StockResultType, StockType, WarehouseType } from '../graphql/types/catalog.type';
import { UserType } from '../graphql/types/user.type';

@Resolver(() => StockType)
export class StockResolver {
  @Mutation(() => StockType, {
    description: 'Sets the on-hand quantity (warehouse owner, own product). With expectedVersion: compare-and-set, CONFLICT when stale',
  })
  setStock(@Arg('input', () => SetStockInput) input: SetStockInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.stock.setStock(ctx, input);
  }

  @Mutation(() => StockType, { description: 'Adds delta to the on-hand quantity; INSUFFICIENT_STOCK below what is reserved' })
  adjustStock(@Arg('input', () => AdjustStockInput) input: AdjustStockInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.stock.adjustStock(ctx, input);
  }

  @Mutation(() => [StockResultType], { description: 'Up to 500 independent setStock items; one result per item, in input order' })
  setStocks(@Arg('input', () => [SetStockInput]) input: SetStockInput[], @Ctx() ctx: GraphQLContext) {
    return ctx.services.stock.setStocks(ctx, input);
  }

  @Query(() => StockMovementConnection, { description: "The product's stock ledger, oldest first (owner or admin)" })
  stockMovements(
    @Arg('productId', () => ID) productId: string,
    @Arg('first', () => Int, { nullable: true, description: 'At most 100; 20 when omitted' }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.stock.listMovements(ctx, productId, { first, after });
  }

  @FieldResolver(() => WarehouseType)
  warehouse(@Root() stock: Stock, @Ctx() ctx: GraphQLContext) {
    return ctx.services.stock.warehouseOf(ctx, stock);
  }

  @FieldResolver(() => ProductType)
  product(@Root() stock: Stock, @Ctx() ctx: GraphQLContext) {
    return ctx.services.stock.productOf(ctx, stock);
  }

  @FieldResolver(() => Int, { description: 'Held by carts whose hold has not lapsed' })
  reserved(@Root() stock: Stock, @Ctx() ctx: GraphQLContext) {
    return ctx.services.stock.activeReservedOf(ctx, stock);
  }

  @FieldResolver(() => Int, { description: 'On hand minus reserved' })
  available(@Root() stock: Stock, @Ctx() ctx: GraphQLContext) {
    return ctx.services.stock.availableOf(ctx, stock);
  }
}

@Resolver(() => StockMovementType)
export class StockMovementResolver {
  @FieldResolver(() => StockType)
  stock(@Root() movement: StockMovement, @Ctx() ctx: GraphQLContext) {
    return ctx.services.stock.stockOf(ctx, movement);
  }

  @FieldResolver(() => UserType, { nullable: true, description: 'Who made the change; null for system changes (e.g. a lapsed hold)' })
  actor(@Root() movement: StockMovement, @Ctx() ctx: GraphQLContext) {
    return ctx.services.stock.actorOf(ctx, movement);
  }

  @FieldResolver(() => Int, { description: 'On-hand change for ADJUSTMENT/SALE/CANCELLATION, reserved change for RESERVATION/RELEASE/EXPIRY' })
  delta(@Root() movement: StockMovement, @Ctx() ctx: GraphQLContext) {
    return ctx.services.stock.deltaOf(movement);
  }
}
