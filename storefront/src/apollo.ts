import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { Kind, OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';
import { getToken, onTokenChange } from './session';

/**
 * One Apollo Client for the page: queries and mutations over HTTP, subscriptions over graphql-ws,
 * both to /graphql on this page's own origin (no other origin is ever contacted). The bearer token
 * goes in the Authorization header, and in connectionParams for the WebSocket, which is reopened
 * whenever the token changes so that live data follows the signed-in buyer.
 */
export function createApolloClient(): ApolloClient {
  const http = new HttpLink({ uri: '/graphql' });
  const withToken = new SetContextLink((prev) => {
    const token = getToken();
    return token ? { headers: { ...prev.headers, authorization: `Bearer ${token}` } } : {};
  });
  const wsUrl = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/graphql`;
  const ws = createClient({
    url: wsUrl,
    connectionParams: () => {
      const token = getToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    retryAttempts: Infinity,
    shouldRetry: () => true,
  });
  onTokenChange(() => ws.terminate());

  const link = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.SUBSCRIPTION;
    },
    new GraphQLWsLink(ws),
    withToken.concat(http),
  );
  return new ApolloClient({ link, cache: new InMemoryCache() });
}
