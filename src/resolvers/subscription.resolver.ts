import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import { requireId } from '../common/validate';
import type { GraphQLContext } from '../graphql/context';
import { StockLevelType } from '../graphql/types/catalog.type';
import type { StockLevel } from '../services/stock-watch.service';

@Resolver()
export class StockLevelResolver {
  @Subscription(() => StockLevelType, {
    description: 'The sellable quantity of a product: now, then after every committed change (coalesced)',
    subscribe: ({ args, context }) => {
      const ctx = context as GraphQLContext;
      return ctx.services.stockWatch.subscribe(ctx, requireId('productId', args.productId));
    },
  })
  stockChanged(@Root() level: StockLevel, @Arg('productId', () => ID) _productId: string): StockLevel {
    return level;
  }
}
