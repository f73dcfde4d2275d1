import { GraphQLError } from 'graphql';
import type { WebSocketServer } from 'ws';
import { TooManySubscriptionsError } from '../common/errors';
import type { AppConfig } from '../config/env';

/** The close code of a connection refused for its address's connection count (graphql-ws clients do not retry it). */
const TOO_MANY_CONNECTIONS_CLOSE_CODE = 4429;

/**
 * Bounds what one client can hold open over graphql-ws: each live subscription is a poll of the
 * stock watcher and each connection a socket and a context, so neither may grow without limit.
 * Connections are counted per client address in this process (the socket's address, as for
 * the rate limits: `X-Forwarded-For` is not trusted).
 */
export function createWebSocketLimits(limits: AppConfig['webSocket']) {
  const open = new Map<string, number>();
  return {
    /** Closes a connection over WS_MAX_CONNECTIONS_PER_IP with 4429 and a reason that says so. */
    limitConnections(wss: WebSocketServer): void {
      const max = limits.maxConnectionsPerIp;
      if (max <= 0) return;
      wss.on('connection', (socket, request) => {
        const ip = request.socket.remoteAddress ?? 'unknown';
        const count = (open.get(ip) ?? 0) + 1;
        if (count > max) {
          socket.close(TOO_MANY_CONNECTIONS_CLOSE_CODE, `Too many WebSocket connections from this address (at most ${max})`);
          return;
        }
        open.set(ip, count);
        socket.once('close', () => {
          const left = (open.get(ip) ?? 1) - 1;
          if (left > 0) open.set(ip, left);
          else open.delete(ip);
        });
      });
    },

    /**
     * For graphql-ws's onSubscribe: the refusal of an operation beyond
     * WS_MAX_SUBSCRIPTIONS_PER_CONNECTION live ones (graphql-ws has already registered it in
     * `subscriptions`, and drops it again once refused), or undefined.
     */
    refuseSubscription(ctx: { subscriptions: Record<string, unknown> }): GraphQLError[] | undefined {
      const max = limits.maxSubscriptionsPerConnection;
      if (max <= 0 || Object.keys(ctx.subscriptions).length <= max) return undefined;
      const error = new TooManySubscriptionsError(max);
      return [new GraphQLError(error.message, { originalError: error })];
    },
  };
}
