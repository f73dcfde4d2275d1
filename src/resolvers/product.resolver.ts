import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DEFAULT_NESTED_PAGE_SIZE } from '../common/limits';
import { requireId } from '../common/validate';
import type { Product } from '../entities';
import type { GraphQLContext } from '../graphql/context';
import { CreateProductInput, parseCreateProduct, parseProductFilter, parseUpdateProduct, ProductFilter, UpdateProductInput } from '../graphql/inputs/catalog.input';
import { NestedPageArgs, PageArgs, parsePageArgs, toConnection } from '../graphql/pagination';
import { ProductAtLevel, ProductConnection, ProductType, StockType } from '../graphql/types/catalog.type';
import { UserType } from '../graphql/types/user.type';
import type { ProductService } from '../services/product.service';

@Resolver(() => ProductType)
export class ProductResolver {
  constructor(private readonly productService: ProductService) {}

  @Authorized()
  @Mutation(() => ProductType, { description: 'Creates a product owned by the caller' })
  createProduct(@Arg('input', () => CreateProductInput, { description: 'The new product\'s fields' }) input: CreateProductInput, @Ctx() ctx: GraphQLContext) {
    return this.productService.createProduct(ctx, parseCreateProduct(input));
  }

  @Authorized()
  @Mutation(() => ProductType, { description: 'Changes the given fields (owner only)' })
  updateProduct(@Arg('id', () => ID, { description: 'One of your products' }) id: string, @Arg('input', () => UpdateProductInput, { description: 'The fields to change' }) input: UpdateProductInput, @Ctx() ctx: GraphQLContext) {
    return this.productService.updateProduct(ctx, requireId('id', id), parseUpdateProduct(input));
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Owner only. A product with stock, orders or cart lines is archived instead, so its history survives' })
  deleteProduct(@Arg('id', () => ID, { description: 'One of your products' }) id: string, @Ctx() ctx: GraphQLContext) {
    return this.productService.deleteProduct(ctx, requireId('id', id));
  }

  @Query(() => ProductConnection, { description: 'The public catalog (archived products left out), oldest first' })
  async products(@Args(() => PageArgs) page: PageArgs, @Arg('filter', () => ProductFilter, { nullable: true, description: 'Only products matching every given field' }) filter: ProductFilter | null, @Ctx() ctx: GraphQLContext) {
    const where = parseProductFilter(filter);
    return toConnection(await this.productService.listProducts(ctx, where, parsePageArgs(page)));
  }

  @Query(() => ProductType, { nullable: true, description: 'A product of the catalog. Null, with no error, when it does not exist or is archived' })
  product(@Arg('id', () => ID, { description: 'The product id' }) id: string, @Ctx() ctx: GraphQLContext) {
    return this.productService.findProduct(ctx, requireId('id', id));
  }

  @FieldResolver(() => UserType, { description: 'The user who owns the product (and its stock)' })
  owner(@Root() product: Product, @Ctx() ctx: GraphQLContext) {
    return this.productService.ownerOf(ctx, product);
  }

  @FieldResolver(() => Int, { description: 'Sellable quantity over all live warehouses: on hand minus active holds' })
  available(@Root() product: Product | ProductAtLevel, @Ctx() ctx: GraphQLContext) {
    if (product instanceof ProductAtLevel) return product.available;
    return this.productService.availableOf(ctx, product);
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Units in orders that are not cancelled; null unless you own the product or are an admin' })
  totalOrdered(@Root() product: Product, @Ctx() ctx: GraphQLContext) {
    return this.productService.totalOrderedOf(ctx, product);
  }

  @FieldResolver(() => [StockType], {
    description: 'Stock per live warehouse, in id order, a page at a time (after: the cursor of the last one); empty unless you own the product or are an admin',
  })
  stocks(@Root() product: Product, @Args(() => NestedPageArgs) page: NestedPageArgs, @Ctx() ctx: GraphQLContext) {
    return this.productService.stocksOf(ctx, product, parsePageArgs(page, DEFAULT_NESTED_PAGE_SIZE));
  }
}
