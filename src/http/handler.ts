import { HeaderMap, type ApolloServer } from '@apollo/server';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../common/errors';
import type { Orm } from '../config/database';
import type { AppConfig } from '../config/env';
import { logger } from '../config/logger';
import type { GraphQLContext } from '../graphql/context';
import { IDE_HTML, ideAsset } from './ide';
import { countGraphqlRequest, countHttpRequest, countUnexpectedError, METRICS_CONTENT_TYPE, renderMetrics } from './metrics';
import { storefrontFile } from './storefront';

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
};

/**
 * Request headers a cross-origin client may send: what Apollo Client (its CSRF-prevention and
 * client-awareness headers) and urql send, beside content-type and the bearer token.
 */
const CORS_ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
].join(', ');

/**
 * Apollo's CSRF prevention (csrfPrevention: true) refuses any request a browser could send
 * cross-site without a preflight, GET included, unless it carries one of these headers. GET is let
 * through here: a GET may only run a query (Apollo answers a mutation over GET with 405), queries
 * have no side effects, and credentials travel only in the Authorization header, never in cookies,
 * so a forged cross-site GET runs as an anonymous caller that could have asked itself. POST keeps
 * the check: a text/plain or form POST (a "simple" request) with a mutation stays refused.
 * This lets urql's default client (queries over GET, no extra header) work.
 */
const GET_PASSES_CSRF_CHECK = ['apollo-require-preflight', 'get-runs-queries-only'] as const;

class HttpError extends Error {
  constructor(
    public readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new HttpError(413, `Request body larger than ${limit} bytes`));
      req.resume();
      return;
    }
    let chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > limit) return; // already answered 413: discard the rest (bounded by server.requestTimeout)
      size += chunk.length;
      if (size > limit) {
        // Keep reading instead of destroying the socket, so the client receives the 413 rather
        // than a connection reset in the middle of its upload.
        chunks = [];
        reject(new HttpError(413, `Request body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, ...extra });
  res.end(body);
}

function sendJsonError(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

function clientIp(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * Whether the database answers `SELECT 1` within `timeoutMs`: a frozen database must turn the
 * probe to 503 at once, whatever the pool and statement timeouts are.
 */
async function databaseAnswers(orm: Orm, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = orm.em
    .getConnection()
    .execute('SELECT 1')
    .then(
      () => true,
      () => false,
    );
  try {
    return await Promise.race([probe, late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface HandlerDeps {
  apollo: ApolloServer<GraphQLContext>;
  orm: Orm;
  config: AppConfig;
  buildContext: (req: { headers: IncomingMessage['headers']; ip: string }) => Promise<GraphQLContext>;
  /** The refusal message for a document over the token limit (checked before Apollo parses it). */
  tokenLimitError?: (query: string) => string | null;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Whether this request may read /metrics (`config.metrics`): 'ok', or the status that refuses it
 * (401 without the right bearer token, 404 in production when metrics are off).
 */
function metricsAccess(config: AppConfig, req: IncomingMessage): 'ok' | 401 | 404 {
  const { token } = config.metrics;
  if (token === null) return !config.production || config.metrics.public ? 'ok' : 404;
  const match = /^Bearer\s+(\S+)$/i.exec((req.headers.authorization ?? '').trim());
  // Hashes of equal length, so the comparison takes the same time whatever was sent.
  return match && timingSafeEqual(sha256(match[1]), sha256(token)) ? 'ok' : 401;
}

/**
 * Node http request listener: health and readiness probes, metrics, the offline IDE, and GraphQL
 * over HTTP through Apollo Server's transport-neutral entry point.
 */
export function createRequestHandler(deps: HandlerDeps) {
  const { apollo, orm, config } = deps;

  function applyCors(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (origin && (config.corsOrigins.includes('*') || config.corsOrigins.includes(origin))) {
      res.setHeader('access-control-allow-origin', config.corsOrigins.includes('*') ? '*' : origin);
      res.setHeader('vary', 'Origin');
      res.setHeader('access-control-allow-headers', CORS_ALLOWED_HEADERS);
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      res.setHeader('access-control-max-age', '600');
    }
  }

  async function graphql(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    countGraphqlRequest();
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    if (req.method === 'GET') headers.set(...GET_PASSES_CSRF_CHECK);
    let body: unknown = undefined;
    if (req.method === 'POST') {
      const raw = await readBody(req, config.maxBodyBytes);
      const type = (req.headers['content-type'] ?? '').toLowerCase();
      if (type.startsWith('application/json') || type.startsWith('application/graphql-response+json')) {
        try {
          body = raw.length ? JSON.parse(raw) : undefined;
        } catch {
          sendJsonError(res, 400, 'BAD_REQUEST', 'The request body is not valid JSON');
          return;
        }
      } else {
        body = raw;
      }
    }
    const query = body && typeof body === 'object' && !Array.isArray(body) ? (body as { query?: unknown }).query : url.searchParams.get('query');
    const tooLong = typeof query === 'string' ? deps.tokenLimitError?.(query) : null;
    if (tooLong) {
      sendJsonError(res, 400, 'GRAPHQL_VALIDATION_FAILED', tooLong);
      return;
    }
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: () => deps.buildContext({ headers: req.headers, ip: clientIp(req) }),
    });
    for (const [key, value] of result.headers) res.setHeader(key, value);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    countHttpRequest(res);
    for (const [key, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(key, value);
    applyCors(req, res);
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      if (method === 'OPTIONS') {
        res.writeHead(204).end();
        return;
      }
      if (url.pathname === '/healthz') {
        send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }));
        return;
      }
      if (url.pathname === '/readyz') {
        const ready = await databaseAnswers(orm, config.databaseTimeouts.readyMs);
        if (ready) send(res, 200, 'application/json', JSON.stringify({ status: 'ready' }));
        else send(res, 503, 'application/json', JSON.stringify({ status: 'database unreachable' }));
        return;
      }
      if (url.pathname === '/metrics') {
        const access = metricsAccess(config, req);
        if (access === 404) send(res, 404, 'text/plain', 'Not found');
        else if (access === 401) send(res, 401, 'text/plain', 'Unauthorized', { 'www-authenticate': 'Bearer realm="metrics"' });
        else {
          let text: string | undefined;
          try {
            text = await renderMetrics();
          } catch (error) {
            // A cluster worker whose primary did not answer (bounded): say so, never half the totals.
            logger.warn('metrics unavailable', { error: error as Error });
          }
          if (text === undefined) send(res, 503, 'text/plain', 'Metrics unavailable');
          else send(res, 200, METRICS_CONTENT_TYPE, text);
        }
        return;
      }
      if (url.pathname.startsWith('/ide/') && method === 'GET') {
        const asset = ideAsset(url.pathname.slice('/ide/'.length));
        if (!asset) send(res, 404, 'text/plain', 'Not found');
        else send(res, 200, `${asset.type}; charset=utf-8`, asset.body, { 'cache-control': 'public, max-age=3600' });
        return;
      }
      if (config.storefront && (url.pathname === '/storefront' || url.pathname.startsWith('/storefront/')) && method === 'GET') {
        const file = storefrontFile(url.pathname.slice('/storefront/'.length));
        if (file === 'not-found') send(res, 404, 'text/plain', 'Not found');
        else if (file === 'not-built') send(res, 503, 'text/plain', 'The storefront is not built: run npm run build');
        else send(res, 200, `${file.type}; charset=utf-8`, file.body, { 'cache-control': 'no-cache' });
        return;
      }
      if (url.pathname === '/graphql' || url.pathname === '/') {
        const wantsHtml = (req.headers.accept ?? '').includes('text/html');
        if (method === 'GET' && (wantsHtml || url.pathname === '/') && !url.searchParams.has('query')) {
          if (url.pathname === '/') {
            res.writeHead(302, { location: '/graphql' }).end();
            return;
          }
          send(res, 200, 'text/html; charset=utf-8', IDE_HTML);
          return;
        }
        if (method !== 'GET' && method !== 'POST') {
          send(res, 405, 'text/plain', 'Method not allowed', { allow: 'GET, POST' });
          return;
        }
        await graphql(req, res, url);
        return;
      }
      send(res, 404, 'text/plain', 'Not found');
    } catch (error) {
      if (error instanceof HttpError) {
        if (!res.headersSent) sendJsonError(res, error.status, 'BAD_REQUEST', error.message);
        return;
      }
      countUnexpectedError();
      // The path only: a GET query string can carry variables (passwords included).
      logger.error('request failed', { error: error as Error, path: (req.url ?? '').split('?')[0] });
      if (!res.headersSent) sendJsonError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      else res.end();
    }
  };
}
