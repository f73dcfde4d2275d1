import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Resolver, Root, Subscription } from 'type-graphql';
import { requireId } from '../common/validate';
import type { GraphQLContext } from '../graphql/context';
import { selectsOnly } from '../graphql/selection';
import { ProductAtLevel, ProductType, StockLevelType } from '../graphql/types/catalog.type';
import type { ProductService } from '../services/product.service';
import type { StockLevel, StockWatchService } from '../services/stock-watch.service';

/**
 * type-graphql calls a subscription's `subscribe` without the resolver instance, so this resolver
 * class is made for its watcher (by the schema assembly) instead of getting it through the
 * constructor like the others.
 */
export function createStockLevelResolver(stockWatch: StockWatchService | null) {
  @Resolver()
  class StockLevelResolver {
    @Subscription(() => StockLevelType, {
      description: 'The sellable quantity of a product: now, then after every committed change (coalesced)',
      subscribe: ({ args, context }) => {
        if (!stockWatch) throw new Error('this schema was built without a stock watcher');
        return stockWatch.subscribe(context as GraphQLContext, requireId('productId', args.productId));
      },
    })
    stockChanged(@Root() level: StockLevel, @Arg('productId', () => ID, { description: 'A live product of the catalog (NOT_FOUND otherwise)' }) _productId: string): StockLevel {
      return level;
    }
  }
  return StockLevelResolver;
}

/** What an event already knows of its product. */
const KNOWN_AT_LEVEL: ReadonlySet<string> = new Set(['id', 'available']);

@Resolver(() => StockLevelType)
export class StockLevelFieldResolver {
  constructor(private readonly products: ProductService) {}

  @FieldResolver(() => ProductType, {
    description:
      'The product. Selected as `product { id available }` it carries the value of this event and costs no read, and a normalising client cache (Apollo Client, urql Graphcache) updates the cached Product with it; any other field reads the product (and `available` is then read afresh)',
  })
  product(@Root() level: StockLevel, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo) {
    if (selectsOnly(info, KNOWN_AT_LEVEL)) return new ProductAtLevel(level.productId, level.available);
    return this.products.productOfLevelOrThrow(ctx, level.productId);
  }
}
