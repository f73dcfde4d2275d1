import { useSubscription } from '@apollo/client/react';
import { StockChangedDocument } from '../gql/graphql';

/**
 * Keeps `Product.available` in the cache live for one product (stockChanged over graphql-ws):
 * every view showing that product re-renders with the new count, no reload, no polling.
 */
export function useLiveAvailability(productId: string): void {
  useSubscription(StockChangedDocument, {
    variables: { productId },
    ignoreResults: true,
    onData: ({ client, data }) => {
      const level = data.data?.stockChanged;
      if (!level) return;
      client.cache.modify({
        id: client.cache.identify({ __typename: 'Product', id: level.productId }),
        fields: { available: () => level.available },
      });
    },
  });
}
