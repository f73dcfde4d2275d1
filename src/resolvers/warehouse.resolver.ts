import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Warehouse } from '../entities';
import type { GraphQLContext } from '../graphql/context';
import { CreateWarehouseInput, UpdateWarehouseInput } from '../graphql/inputs/catalog.input';
import { StockType, WarehouseType } from '../graphql/types/catalog.type';

@Resolver(() => WarehouseType)
export class WarehouseResolver {
  @Mutation(() => WarehouseType, { description: 'Creates a warehouse owned by the caller' })
  createWarehouse(@Arg('input', () => CreateWarehouseInput) input: CreateWarehouseInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.warehouses.createWarehouse(ctx, input);
  }

  @Mutation(() => WarehouseType, { description: 'Changes the given fields (owner only)' })
  updateWarehouse(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateWarehouseInput) input: UpdateWarehouseInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.warehouses.updateWarehouse(ctx, id, input);
  }

  @Mutation(() => Boolean, {
    description: 'Owner only. Refused while carts hold its stock or open orders ship from it; a warehouse with stock history is emptied through the ledger and archived',
  })
  deleteWarehouse(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.warehouses.deleteWarehouse(ctx, id);
  }

  @Query(() => [WarehouseType], { description: 'Your warehouses' })
  warehouses(@Ctx() ctx: GraphQLContext) {
    return ctx.services.warehouses.listWarehouses(ctx);
  }

  @Query(() => WarehouseType, { nullable: true, description: 'One of your warehouses (any, for admins); NOT_FOUND otherwise' })
  warehouse(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.warehouses.findWarehouse(ctx, id);
  }

  @FieldResolver(() => [StockType])
  stocks(@Root() warehouse: Warehouse, @Ctx() ctx: GraphQLContext) {
    return ctx.services.warehouses.stocksOf(ctx, warehouse);
  }
}
