import { useSubscription } from '@apollo/client/react';
import { SaleInfoFragmentDoc, StockChangedDocument } from '../gql/graphql';

/**
 * Keeps `Product.available` and `Product.flashSale` in the cache live for one product (stockChanged
 * over graphql-ws: an event comes with every stock change, and when a sale opens, its quota moves
 * or it is over): every view showing that product re-renders, no reload, no polling.
 */
export function useLiveAvailability(productId: string): void {
  useSubscription(StockChangedDocument, {
    variables: { productId },
    ignoreResults: true,
    onData: ({ client, data }) => {
      const level = data.data?.stockChanged;
      if (!level) return;
      const sale = level.flashSale ? client.cache.writeFragment({ fragment: SaleInfoFragmentDoc, data: level.flashSale }) : null;
      client.cache.modify({
        id: client.cache.identify({ __typename: 'Product', id: level.productId }),
        fields: { available: () => level.available, flashSale: () => sale ?? null },
      });
    },
  });
}
