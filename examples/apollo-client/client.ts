/**
 * An Apollo Client 4 set up for this API: queries and mutations over HTTP with the bearer token,
 * the `stockChanged` subscription over graphql-ws with the token in `connectionParams`, and a
 * cache that stays true (docs/CLIENTS.md explains each entry). test/clients/apollo-client.test.ts
 * runs this very file against a live server.
 */
import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache, type TypePolicies } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { relayStylePagination } from '@apollo/client/utilities';
import { OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';

export interface ApiClientOptions {
  /** The HTTP endpoint, e.g. `http://localhost:4000/graphql`. */
  httpUrl: string;
  /** The same path over WebSocket, e.g. `ws://localhost:4000/graphql`. */
  wsUrl: string;
  /** The current token (from `login` or `register`), or null when signed out; read for every request. */
  getToken: () => string | null;
  /** A WebSocket class: browsers have one; in Node pass `ws`'s. */
  webSocketImpl?: unknown;
}

const typePolicies: TypePolicies = {
  Query: {
    fields: {
      // Pages of one list (same filter) are merged into one cached connection; `fetchMore({ variables: { after } })` appends.
      products: relayStylePagination(['filter']),
      orders: relayStylePagination(['status', 'sort']),
      stockMovements: relayStylePagination(['productId']),
    },
  },
  // Lists that the server always sends whole: the new list replaces the old one (an emptied cart too).
  Cart: { fields: { items: { merge: false } } },
  Order: { fields: { lines: { merge: false } } },
  // A stock event has no `id`; it is the level of one product.
  StockLevel: { keyFields: ['productId'] },
};

export interface ApiClient {
  apollo: ApolloClient;
  /** Closes the WebSocket and stops the client. */
  close(): Promise<void>;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const bearer = () => {
    const token = options.getToken();
    return token ? `Bearer ${token}` : undefined;
  };
  const auth = new SetContextLink((previous) => {
    const authorization = bearer();
    return authorization ? { headers: { ...previous.headers, authorization } } : {};
  });
  const http = new HttpLink({ uri: options.httpUrl });
  const ws = createClient({
    url: options.wsUrl,
    webSocketImpl: options.webSocketImpl,
    // Read whenever the socket connects: it opens with the first subscription (lazy) and closes
    // after the last one, so a token set by `login` goes with the next connection.
    connectionParams: () => {
      const authorization = bearer();
      return authorization ? { authorization } : {};
    },
    lazy: true,
  });
  const link = ApolloLink.split(
    ({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION,
    new GraphQLWsLink(ws),
    ApolloLink.from([auth, http]),
  );
  const apollo = new ApolloClient({ link, cache: new InMemoryCache({ typePolicies }) });
  return {
    apollo,
    async close() {
      apollo.stop();
      await ws.dispose();
    },
  };
}

/** The `extensions.code` of every GraphQL error of a failed operation (none for a network failure). */
export function errorCodes(error: unknown): string[] {
  return CombinedGraphQLErrors.is(error) ? error.errors.map((e) => String(e.extensions?.code)) : [];
}

/**
 * After these, a checkout or buyNow is sent again with the SAME idempotency key: nothing was
 * written (CONFLICT, RATE_LIMITED, most SERVICE_UNAVAILABLE), or the outcome is unknown
 * (SERVICE_UNAVAILABLE with `extensions.outcome: 'UNKNOWN'`) and the replay returns the order if
 * it was committed. Every other code is final for that input: INSUFFICIENT_STOCK,
 * RESERVATION_EXPIRED, BAD_USER_INPUT, NOT_FOUND, IDEMPOTENCY_KEY_REUSED, UNAUTHENTICATED, FORBIDDEN.
 */
const RETRY_WITH_SAME_KEY = new Set(['SERVICE_UNAVAILABLE', 'CONFLICT', 'RATE_LIMITED']);

/** Whether to send the same operation again with the same key: a retryable code, or no answer at all (a network failure or timeout). */
export function retryWithSameKey(error: unknown): boolean {
  if (!CombinedGraphQLErrors.is(error)) return true;
  return error.errors.every((e) => RETRY_WITH_SAME_KEY.has(String(e.extensions?.code)));
}

/**
 * Sends a checkout or buyNow (whose variables hold one idempotency key for every attempt) until
 * it has a definite answer: up to `attempts` times, waiting `extensions.retryAfter` seconds
 * after RATE_LIMITED and a growing pause after anything else that is retried.
 */
export async function sendIdempotent<T>(send: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= attempts || !retryWithSameKey(error)) throw error;
      const retryAfter = CombinedGraphQLErrors.is(error) ? Number(error.errors[0].extensions?.retryAfter ?? 0) : 0;
      await new Promise((resolve) => setTimeout(resolve, Math.max(retryAfter * 1000, 200 * attempt)));
    }
  }
}
