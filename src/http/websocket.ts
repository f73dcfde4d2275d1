import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';

/** The protocol graphql-ws speaks (its PROTOCOL.md), the only one served. */
const SUPPORTED_WS_PROTOCOL = 'graphql-transport-ws';
/** The legacy protocol of subscriptions-transport-ws, which GraphQL Playground and old Apollo clients speak. */
const LEGACY_WS_PROTOCOL = 'graphql-ws';
/** The close reason of a legacy connection: it names the protocol to use (at most 123 bytes). */
const LEGACY_WS_REFUSAL = 'Subprotocol graphql-ws (subscriptions-transport-ws) is not supported: use graphql-transport-ws (the graphql-ws library)';
/** graphql-ws's own code for a subprotocol it does not speak. */
const SUBPROTOCOL_NOT_ACCEPTABLE = 4406;

/**
 * Routes WebSocket upgrades of `path` on `server`: graphql-transport-ws (and anything else) to
 * `wss`, the graphql-ws server; a client that offers only the legacy `graphql-ws` subprotocol gets
 * its handshake accepted, so that it can read why, then a legacy `connection_error` message and a
 * close with code 4406 and LEGACY_WS_REFUSAL. Without this the handshake would complete with no
 * subprotocol, which a browser drops as a failed connection with no reason at all.
 * Supporting the legacy protocol too would double what the document limits, the connection limits
 * and authentication have to guard, for a protocol its own authors deprecated.
 * Returns a function that closes the legacy connections' server.
 */
export function routeWebSocketUpgrades(server: Server, path: string, wss: WebSocketServer): () => void {
  const legacy = new WebSocketServer({ noServer: true, handleProtocols: () => LEGACY_WS_PROTOCOL });
  legacy.on('connection', (socket) => {
    socket.send(JSON.stringify({ type: 'connection_error', payload: { message: LEGACY_WS_REFUSAL } }));
    socket.close(SUBPROTOCOL_NOT_ACCEPTABLE, LEGACY_WS_REFUSAL);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const target = offered.includes(LEGACY_WS_PROTOCOL) && !offered.includes(SUPPORTED_WS_PROTOCOL) ? legacy : wss;
    target.handleUpgrade(req, socket, head, (ws) => target.emit('connection', ws, req));
  });
  return () => legacy.close();
}
