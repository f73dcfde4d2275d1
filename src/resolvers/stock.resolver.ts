import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireId } from '../common/validate';
import { StockMovementKind, type Stock, type StockMovement } from '../entities';
import type { GraphQLContext } from '../graphql/context';
import { AdjustStockInput, parseAdjustStock, parseSetStock, parseSetStocks, SetStockInput } from '../graphql/inputs/catalog.input';
import { encodeCursor, PageArgs, parsePageArgs, toConnection } from '../graphql/pagination';
import { ProductType, StockMovementConnection, StockMovementType, StockResultType, StockType, WarehouseType } from '../graphql/types/catalog.type';
import { UserType } from '../graphql/types/user.type';
import type { StockService } from '../services/stock.service';

@Resolver(() => StockType)
export class StockResolver {
  constructor(private readonly stockService: StockService) {}

  @Authorized()
  @Mutation(() => StockType, {
    description: 'Sets the on-hand quantity (warehouse owner, own product). With expectedVersion: compare-and-set, CONFLICT when stale',
  })
  setStock(@Arg('input', () => SetStockInput, { description: 'The stock row and its new on-hand quantity' }) input: SetStockInput, @Ctx() ctx: GraphQLContext) {
    return this.stockService.setStock(ctx, parseSetStock(input));
  }

  @Authorized()
  @Mutation(() => StockType, { description: 'Adds delta to the on-hand quantity; INSUFFICIENT_STOCK below what is reserved' })
  adjustStock(@Arg('input', () => AdjustStockInput, { description: 'The stock row and the change' }) input: AdjustStockInput, @Ctx() ctx: GraphQLContext) {
    return this.stockService.adjustStock(ctx, parseAdjustStock(input));
  }

  @Authorized()
  @Mutation(() => [StockResultType], { description: 'Up to 500 independent setStock items; one result per item, in input order' })
  setStocks(@Arg('input', () => [SetStockInput], { description: 'Up to 500 setStock items' }) input: SetStockInput[], @Ctx() ctx: GraphQLContext) {
    return this.stockService.setStocks(ctx, parseSetStocks(input));
  }

  @Authorized()
  @Query(() => StockMovementConnection, { description: "The product's stock ledger, oldest first (owner or admin)" })
  async stockMovements(@Arg('productId', () => ID, { description: 'One of your products (any, for admins)' }) productId: string, @Args(() => PageArgs) page: PageArgs, @Ctx() ctx: GraphQLContext) {
    const id = requireId('productId', productId);
    return toConnection(await this.stockService.listMovements(ctx, id, parsePageArgs(page)));
  }

  @FieldResolver(() => String, { description: 'Pass as after to Warehouse.stocks or Product.stocks for the next page' })
  cursor(@Root() stock: Stock) {
    return encodeCursor(stock.id);
  }

  @FieldResolver(() => WarehouseType, { description: 'The warehouse that holds this stock' })
  warehouse(@Root() stock: Stock, @Ctx() ctx: GraphQLContext) {
    return this.stockService.warehouseOf(ctx, stock);
  }

  @FieldResolver(() => ProductType, { description: 'The product this stock is of' })
  product(@Root() stock: Stock, @Ctx() ctx: GraphQLContext) {
    return this.stockService.productOf(ctx, stock);
  }

  @FieldResolver(() => Int, { description: 'Held by carts whose hold has not lapsed' })
  reserved(@Root() stock: Stock, @Ctx() ctx: GraphQLContext) {
    return this.stockService.activeReservedOf(ctx, stock);
  }

  @FieldResolver(() => Int, { description: 'On hand minus reserved' })
  available(@Root() stock: Stock, @Ctx() ctx: GraphQLContext) {
    return this.stockService.availableOf(ctx, stock);
  }
}

@Resolver(() => StockMovementType)
export class StockMovementResolver {
  constructor(private readonly stockService: StockService) {}

  @FieldResolver(() => StockType, { description: 'The stock row that changed' })
  stock(@Root() movement: StockMovement, @Ctx() ctx: GraphQLContext) {
    return this.stockService.stockOf(ctx, movement);
  }

  @FieldResolver(() => UserType, { nullable: true, description: 'Who made the change; null for system changes (e.g. a lapsed hold)' })
  actor(@Root() movement: StockMovement, @Ctx() ctx: GraphQLContext) {
    return this.stockService.actorOf(ctx, movement);
  }

  @FieldResolver(() => Int, { description: 'On-hand change for ADJUSTMENT/SALE/CANCELLATION, reserved change for RESERVATION/RELEASE/EXPIRY' })
  delta(@Root() movement: StockMovement) {
    switch (movement.kind) {
      case StockMovementKind.RESERVATION:
      case StockMovementKind.RELEASE:
      case StockMovementKind.EXPIRY:
        return movement.reservedDelta;
      default:
        return movement.onHandDelta;
    }
  }
}
