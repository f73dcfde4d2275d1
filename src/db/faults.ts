import { ServiceUnavailableError } from '../common/errors';

/**
 * Which driver failures mean "the database did not answer" rather than "the request is wrong":
 * the connection could not be made or was lost, a statement or the pool wait timed out, the
 * server killed a statement at its time limit or has no connection to spare. Such a request did
 * nothing (outside a COMMIT, see UnitOfWork) and may be sent again: SERVICE_UNAVAILABLE.
 */
const UNAVAILABLE_CODES = new Set([
  'PROTOCOL_SEQUENCE_TIMEOUT', // mysql2 `timeout`: no answer to a statement in time
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT', // mysql2 connectTimeout
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_STATEMENT_TIMEOUT', // MariaDB max_statement_time
  'ER_QUERY_TIMEOUT', // MySQL MAX_EXECUTION_TIME
  'ER_QUERY_INTERRUPTED',
  'ER_CONNECTION_KILLED',
]);
/** The same by MySQL error number, for errors that carry only `errno`. */
const UNAVAILABLE_ERRNOS = new Set([1040, 1053, 1317, 1927, 1969, 2002, 2003, 2006, 2013, 3024]);

/** Messages of failures that come with no code (knex's pool, mysql2 on a closed connection). */
const UNAVAILABLE_MESSAGES = [/^Knex: Timeout acquiring a connection/, /Can't add new command when connection is in closed state/, /connection is in closed state/i];

function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 3) return false;
  if (error instanceof ServiceUnavailableError) return true;
  const { code, errno, message, name, cause } = error as { code?: unknown; errno?: unknown; message?: unknown; name?: unknown; cause?: unknown };
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  if (typeof errno === 'number' && UNAVAILABLE_ERRNOS.has(errno)) return true;
  if (name === 'KnexTimeoutError') return true;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => m.test(message))) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}

/** `error` as SERVICE_UNAVAILABLE when the database did not answer; otherwise `error` itself. */
export function asServiceUnavailable(error: unknown): unknown {
  if (error instanceof ServiceUnavailableError || !isDatabaseUnavailable(error)) return error;
  return new ServiceUnavailableError('The database did not answer in time: try again shortly');
}
