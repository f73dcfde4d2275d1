import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DEFAULT_NESTED_PAGE_SIZE } from '../common/limits';
import { requireId } from '../common/validate';
import type { Warehouse } from '../entities';
import type { GraphQLContext } from '../graphql/context';
import { CreateWarehouseInput, parseCreateWarehouse, parseUpdateWarehouse, UpdateWarehouseInput } from '../graphql/inputs/catalog.input';
import { NestedPageArgs, parsePageArgs } from '../graphql/pagination';
import { StockType, WarehouseType } from '../graphql/types/catalog.type';
import type { WarehouseService } from '../services/warehouse.service';

@Resolver(() => WarehouseType)
export class WarehouseResolver {
  constructor(private readonly warehouseService: WarehouseService) {}

  @Authorized()
  @Mutation(() => WarehouseType, { description: 'Creates a warehouse owned by the caller' })
  createWarehouse(@Arg('input', () => CreateWarehouseInput, { description: 'The new warehouse\'s fields' }) input: CreateWarehouseInput, @Ctx() ctx: GraphQLContext) {
    return this.warehouseService.createWarehouse(ctx, parseCreateWarehouse(input));
  }

  @Authorized()
  @Mutation(() => WarehouseType, { description: 'Changes the given fields (owner only)' })
  updateWarehouse(@Arg('id', () => ID, { description: 'One of your live warehouses' }) id: string, @Arg('input', () => UpdateWarehouseInput, { description: 'The fields to change' }) input: UpdateWarehouseInput, @Ctx() ctx: GraphQLContext) {
    return this.warehouseService.updateWarehouse(ctx, requireId('id', id), parseUpdateWarehouse(input));
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description: 'Owner only. Refused while carts hold its stock or open orders ship from it; a warehouse with stock history is emptied through the ledger and archived',
  })
  deleteWarehouse(@Arg('id', () => ID, { description: 'One of your live warehouses' }) id: string, @Ctx() ctx: GraphQLContext) {
    return this.warehouseService.deleteWarehouse(ctx, requireId('id', id));
  }

  @Authorized()
  @Query(() => [WarehouseType], { description: 'Your warehouses' })
  warehouses(@Ctx() ctx: GraphQLContext) {
    return this.warehouseService.listWarehouses(ctx);
  }

  @Authorized()
  @Query(() => WarehouseType, { nullable: true, description: 'One of your live warehouses (any, for admins). Null, with no error, when it does not exist, is archived or you may not see it' })
  warehouse(@Arg('id', () => ID, { description: 'The warehouse id' }) id: string, @Ctx() ctx: GraphQLContext) {
    return this.warehouseService.findWarehouse(ctx, requireId('id', id));
  }

  @FieldResolver(() => [StockType], { description: 'Its stock rows in id order, a page at a time (after: the cursor of the last one)' })
  stocks(@Root() warehouse: Warehouse, @Args(() => NestedPageArgs) page: NestedPageArgs, @Ctx() ctx: GraphQLContext) {
    return this.warehouseService.stocksOf(ctx, warehouse, parsePageArgs(page, DEFAULT_NESTED_PAGE_SIZE));
  }
}
