import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AppError, type ErrorCode } from '../common/errors';
import { safeError } from '../common/safe-error';
import { logger } from '../config/logger';
import { asServiceUnavailable } from '../db/faults';

/** Codes that graphql/Apollo themselves produce for a bad request; passed through as they are. */
const REQUEST_ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
]);

/**
 * graphql-js appends "Did you mean …?" to unknown fields, arguments, types and enum values: a map
 * of the schema for anyone probing with typos (even with introspection off). Always at the end.
 */
function withoutSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [\s\S]*$/, '');
}

/**
 * Turns every error into the public shape: a stable `extensions.code`, input errors naming
 * their field (BadUserInputError's `extensions.field`), and anything unexpected masked as INTERNAL_SERVER_ERROR (the detail goes to the
 * server log only). Stack traces appear only with DEBUG_ERRORS=1.
 */
export function createErrorFormatter(debugErrors: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    // An AppError refused outside any resolver (no path: e.g. the WebSocket subscription cap) is still expected.
    const raw = error instanceof GraphQLError && error.originalError instanceof AppError ? error.originalError : unwrapResolverError(error);
    // A database that did not answer is SERVICE_UNAVAILABLE (retryable), not an internal error.
    const original = asServiceUnavailable(raw);
    if (original !== raw) logger.warn('database unavailable', { error: safeError(raw), path: formatted.path });
    const base = { locations: formatted.locations, path: formatted.path };
    const debug = (e: unknown) => (debugErrors && e instanceof Error ? { stacktrace: e.stack?.split('\n') } : {});

    if (original instanceof AppError) {
      return { ...base, message: original.message, extensions: { code: original.code, ...original.extensions, ...debug(original) } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) {
      const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
      // graphql-armor prefixes its limit refusals with "Syntax Error: " although they are validation errors.
      const message = withoutSuggestions(code === 'GRAPHQL_VALIDATION_FAILED' ? formatted.message.replace(/^Syntax Error: /, '') : formatted.message);
      return { ...base, message, extensions: { ...extensions, ...(debugErrors ? { stacktrace: _drop } : {}) } };
    }
    // The sanitized form only: the message of a database error carries the SQL with its values.
    logger.error('unexpected error', { error: safeError(original), path: formatted.path });
    return { ...base, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', ...debug(original) } };
  };
}

/**
 * HTTP 503 (with Retry-After) for a response that carries SERVICE_UNAVAILABLE: load balancers and
 * clients then see at the HTTP level that the request may be sent again.
 */
export function serviceUnavailableStatus(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, operation }) {
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          if (!result.errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) return;
          // A mutation field that did succeed (another alias of the same operation) keeps the answer
          // a 200: a client or proxy that takes a 503 for "nothing happened" must not repeat that write.
          const wrote = operation?.operation === 'mutation' && Object.values(result.data ?? {}).some((value) => value !== null && value !== undefined);
          if (wrote) return;
          response.http.status = 503;
          response.http.headers.set('retry-after', '1');
        },
      };
    },
  };
}

/** What a subscription sent over HTTP is told: subscriptions need the WebSocket endpoint. */
const SUBSCRIPTION_OVER_HTTP =
  'Subscriptions are not served over HTTP: open a WebSocket to the same path (/graphql) with the graphql-transport-ws protocol (the graphql-ws library) and subscribe there';

/**
 * Refuses a subscription operation sent over HTTP with BAD_REQUEST and HTTP 400 before it runs:
 * executed, it would fail inside graphql-js as an unexpected error (logged, INTERNAL_SERVER_ERROR).
 */
export function refuseSubscriptionsOverHttp(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          throw new GraphQLError(SUBSCRIPTION_OVER_HTTP, { extensions: { code: 'BAD_REQUEST' satisfies ErrorCode, http: { status: 400 } } });
        },
      };
    },
  };
}
