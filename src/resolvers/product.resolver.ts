import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Product } from '../entities';
import type { GraphQLContext } from '../graphql/context';
import { CreateProductInput, ProductFilter, UpdateProductInput } from '../graphql/inputs/catalog.input';
import { ProductConnection, ProductType, StockType } from '../graphql/types/catalog.type';
import { UserType } from '../graphql/types/user.type';

@Resolver(() => ProductType)
export class ProductResolver {
  @Mutation(() => ProductType, { description: 'Creates a product owned by the caller' })
  createProduct(@Arg('input', () => CreateProductInput) input: CreateProductInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.products.createProduct(ctx, input);
  }

  @Mutation(() => ProductType, { description: 'Changes the given fields (owner only)' })
  updateProduct(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateProductInput) input: UpdateProductInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.products.updateProduct(ctx, id, input);
  }

  @Mutation(() => Boolean, { description: 'Owner only. A product with stock, orders or cart lines is archived instead, so its history survives' })
  deleteProduct(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.products.deleteProduct(ctx, id);
  }

  @Query(() => ProductConnection, { description: 'The public catalog (archived products left out), oldest first' })
  products(
    @Arg('first', () => Int, { nullable: true, description: 'At most 100; 20 when omitted' }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('filter', () => ProductFilter, { nullable: true }) filter: ProductFilter | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.products.listProducts(ctx, { first, after, filter });
  }

  @Query(() => ProductType, { nullable: true, description: 'A product of the catalog, or null' })
  product(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.products.findProduct(ctx, id);
  }

  @FieldResolver(() => UserType)
  owner(@Root() product: Product, @Ctx() ctx: GraphQLContext) {
    return ctx.services.products.ownerOf(ctx, product);
  }

  @FieldResolver(() => Int, { description: 'Sellable quantity over all live warehouses: on hand minus active holds' })
  available(@Root() product: Product, @Ctx() ctx: GraphQLContext) {
    return ctx.services.products.availableOf(ctx, product);
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Units in orders that are not cancelled; null unless you own the product or are an admin' })
  totalOrdered(@Root() product: Product, @Ctx() ctx: GraphQLContext) {
    return ctx.services.products.totalOrderedOf(ctx, product);
  }

  @FieldResolver(() => [StockType], { description: 'Stock per live warehouse; empty unless you own the product or are an admin' })
  stocks(@Root() product: Product, @Ctx() ctx: GraphQLContext) {
    return ctx.services.products.stocksOf(ctx, product);
  }
}
