import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import { requireId } from '../common/validate';
import type { GraphQLContext } from '../graphql/context';
import { StockLevelType } from '../graphql/types/catalog.type';
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
