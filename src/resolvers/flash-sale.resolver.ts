import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireId } from '../common/validate';
import type { Product } from '../entities';
import type { GraphQLContext } from '../graphql/context';
import { CreateFlashSaleInput, parseCreateFlashSale, parseUpdateFlashSale, UpdateFlashSaleInput } from '../graphql/inputs/flash-sale.input';
import { PageArgs, parsePageArgs, toConnection } from '../graphql/pagination';
import { ProductType } from '../graphql/types/catalog.type';
import { FlashSaleConnection, FlashSaleType } from '../graphql/types/flash-sale.type';
import { DecimalScalar } from '../graphql/scalars/decimal.scalar';
import type { FlashSaleService, FlashSaleView } from '../services/flash-sale.service';

@Resolver(() => FlashSaleType)
export class FlashSaleResolver {
  constructor(private readonly flashSaleService: FlashSaleService) {}

  @Authorized()
  @Mutation(() => FlashSaleType, { description: "A sale of one of the caller's products (or any, for an admin); its window may not overlap another live sale of the product" })
  createFlashSale(@Arg('input', () => CreateFlashSaleInput, { description: 'The product, price, window, quota and limit' }) input: CreateFlashSaleInput, @Ctx() ctx: GraphQLContext) {
    return this.flashSaleService.createSale(ctx, parseCreateFlashSale(input));
  }

  @Authorized()
  @Mutation(() => FlashSaleType, { description: "Changes a sale's terms (owner or admin); a quota keeps the units already taken" })
  updateFlashSale(@Arg('id', () => ID, { description: 'The sale to change' }) id: string, @Arg('input', () => UpdateFlashSaleInput, { description: 'The terms to change' }) input: UpdateFlashSaleInput, @Ctx() ctx: GraphQLContext) {
    return this.flashSaleService.updateSale(ctx, requireId('id', id), parseUpdateFlashSale(input));
  }

  @Authorized()
  @Mutation(() => FlashSaleType, { description: 'Ends a sale now (owner or admin): the product sells at its regular price again' })
  cancelFlashSale(@Arg('id', () => ID, { description: 'The sale to cancel' }) id: string, @Ctx() ctx: GraphQLContext) {
    return this.flashSaleService.cancelSale(ctx, requireId('id', id));
  }

  @Query(() => FlashSaleConnection, { description: 'Flash sales, oldest first; with activeAt, only those running at that instant' })
  async flashSales(@Args(() => PageArgs) page: PageArgs, @Arg('activeAt', () => Date, { nullable: true, description: 'Only the sales running at this instant (not cancelled); omitted: all' }) activeAt: Date | null, @Ctx() ctx: GraphQLContext) {
    return toConnection(await this.flashSaleService.listSales(ctx, { activeAt: activeAt ?? null, page: parsePageArgs(page) }));
  }

  @FieldResolver(() => ProductType, { description: 'The product on sale' })
  product(@Root() sale: FlashSaleView, @Ctx() ctx: GraphQLContext) {
    return this.flashSaleService.productOf(ctx, sale);
  }
}

/** The sale fields of Product. */
@Resolver(() => ProductType)
export class ProductFlashSaleResolver {
  constructor(private readonly flashSaleService: FlashSaleService) {}

  @FieldResolver(() => FlashSaleType, { nullable: true, description: 'The sale running now, else the next one announced; null when none' })
  flashSale(@Root() product: Product, @Ctx() ctx: GraphQLContext) {
    return this.flashSaleService.currentOrNextOf(ctx, product);
  }

  @FieldResolver(() => [FlashSaleType], { description: 'Sales of the product, newest start first (at most 50)' })
  flashSales(@Root() product: Product, @Ctx() ctx: GraphQLContext) {
    return this.flashSaleService.salesOf(ctx, product);
  }

  @FieldResolver(() => DecimalScalar, { description: 'What one unit costs now: the running sale\'s price while its quota lasts, else price' })
  currentPrice(@Root() product: Product, @Ctx() ctx: GraphQLContext) {
    return this.flashSaleService.currentPriceOf(ctx, product);
  }
}
