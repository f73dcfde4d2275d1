/**
 * Every `errors[].extensions.code` this API answers, each with what it means for a client (the
 * schema's `ErrorCode` enum and docs/API.md are built from this list). Adding a code is one line
 * here. Services throw the AppError codes; the GraphQL and HTTP layers answer the request-level
 * ones (parse, validation, BAD_REQUEST, INTERNAL_SERVER_ERROR); anything else is masked.
 */
export const ERROR_CODES = {
  UNAUTHENTICATED: 'No valid token was sent (missing, expired, revoked or malformed): sign in and send the new token; the message says why the token was refused',
  FORBIDDEN: 'Signed in, but not allowed: an admin-only operation, or a product or warehouse of someone else',
  NOT_FOUND: 'A mutation named an object that does not exist or that the viewer may not see (single-object queries answer null instead)',
  BAD_USER_INPUT: 'The input was refused: extensions.field names the first offending field, extensions.problems lists every one ({ field, path, message }; path from the argument, as input.quantity); fix the input before sending it again',
  INVALID_CREDENTIALS: 'Wrong email or password (also: a password-protected operation sent without or with the wrong password)',
  TOTP_REQUIRED: 'The account uses two-factor authentication: send login again with the one-time code as totp',
  TOTP_INVALID: 'The one-time code is wrong, expired or already used: wait for the next code',
  INSUFFICIENT_STOCK: 'Not enough sellable stock: extensions.available says how much there is; retrying the same request fails the same way until stock is added',
  RESERVATION_EXPIRED: 'The cart\'s hold on a product lapsed and the stock was sold meanwhile: extensions.available says how much is left',
  CONFLICT: 'The data kept changing under a bounded number of retries (or a compare-and-set expectedVersion did not match): read the current state and try again',
  IDEMPOTENCY_KEY_REUSED: 'This idempotency key was already used for a different input: a new purchase needs a new key',
  INVALID_STATUS_TRANSITION: 'The order cannot move to that status from its current one (extensions.from, extensions.to)',
  RATE_LIMITED: 'Too many attempts in the window: wait extensions.retryAfter seconds before trying again (same idempotency key for a purchase)',
  RESULT_TOO_LARGE: 'The answer would exceed GRAPHQL_MAX_RESULT_NODES fields: ask for smaller pages or fewer fields (HTTP 400)',
  TOO_MANY_SUBSCRIPTIONS: 'A WebSocket connection holds the most live subscriptions it may (extensions.limit): complete one first',
  SERVICE_UNAVAILABLE: 'The database did not answer in time or a queue is full (HTTP 503, extensions.retryable): retry shortly; with extensions.outcome UNKNOWN retry with the same idempotency key',
  BAD_REQUEST: 'The HTTP request itself is wrong: not JSON, too large, or a subscription sent over HTTP (subscriptions use graphql-transport-ws on the same path)',
  GRAPHQL_PARSE_FAILED: 'The document is not valid GraphQL syntax',
  GRAPHQL_VALIDATION_FAILED: 'The document does not match the schema or exceeds a query limit (depth, aliases, directives, tokens, cost)',
  PERSISTED_QUERY_NOT_FOUND: 'An automatic persisted query hash is not known: send the full query',
  PERSISTED_QUERY_NOT_SUPPORTED: 'Persisted queries are not supported here: send the full query',
  OPERATION_RESOLUTION_FAILURE: 'The request names an operation the document does not contain, or a document with several operations names none',
  SALE_NOT_STARTED: 'The product sells only in its flash sale, which has not started yet: extensions.startsAt says when (by the database clock)',
  SALE_QUOTA_EXHAUSTED: 'The flash sale\'s quota of units at the sale price is sold (or held in carts); the product may still sell at its regular price after the sale if the seller allows it',
  PURCHASE_LIMIT_REACHED: 'The buyer already bought or holds the most units of this flash sale a buyer may take: extensions.limit and extensions.bought',
  INTERNAL_SERVER_ERROR: 'An unexpected failure, logged on the server with the request; a purchase may be retried with the same idempotency key',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required') {
    super('UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do this') {
    super('FORBIDDEN', message);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}

/**
 * One refused input: `field` as named inside its argument (`quantity`, as extensions.field always
 * was), `path` from the operation's argument (`input.quantity`), and why.
 */
export interface InputProblem {
  field: string;
  path: string;
  message: string;
}

/**
 * Refused input. `extensions.field` is the first problem's field (as always); `extensions.problems`
 * lists every problem found in the request's input, so a form can mark all of them at once.
 */
export class BadUserInputError extends AppError {
  constructor(field: string, message: string, problems: InputProblem[] = [{ field, path: field, message }]) {
    super('BAD_USER_INPUT', message, { field, problems });
  }

  get problems(): InputProblem[] {
    return this.extensions.problems as InputProblem[];
  }
}

export class InvalidCredentialsError extends AppError {
  constructor() {
    super('INVALID_CREDENTIALS', 'Wrong email or password');
  }
}

export class TotpRequiredError extends AppError {
  constructor() {
    super('TOTP_REQUIRED', 'This account uses two-factor authentication: send the one-time code as totp');
  }
}

export class TotpInvalidError extends AppError {
  constructor() {
    super('TOTP_INVALID', 'The one-time code is wrong, expired or already used');
  }
}

export class InsufficientStockError extends AppError {
  constructor(productId: number | string, available: number) {
    super('INSUFFICIENT_STOCK', `Not enough stock: ${available} available`, {
      productId: String(productId),
      available,
    });
  }
}

export class ReservationExpiredError extends AppError {
  constructor(productId: number | string, available: number) {
    super('RESERVATION_EXPIRED', 'Your hold on this product lapsed and the stock is no longer there', {
      productId: String(productId),
      available,
    });
  }
}

/** The product sells only in its flash sale, which has not started yet (by the database clock). */
export class SaleNotStartedError extends AppError {
  constructor(productId: number | string, startsAt: Date) {
    super('SALE_NOT_STARTED', `This product goes on sale at ${startsAt.toISOString()}`, { productId: String(productId), startsAt: startsAt.toISOString() });
  }
}

/** The flash sale's quota of units at the sale price is gone (and the product does not sell at its regular price meanwhile). */
export class SaleQuotaExhaustedError extends AppError {
  constructor(productId: number | string) {
    super('SALE_QUOTA_EXHAUSTED', 'The units on sale are sold out', { productId: String(productId) });
  }
}

/** The buyer's allowance in a flash sale (units held in carts and in orders that are not cancelled) would be exceeded. */
export class PurchaseLimitReachedError extends AppError {
  constructor(productId: number | string, limit: number, bought: number) {
    super('PURCHASE_LIMIT_REACHED', `At most ${limit} units per buyer in this sale: you have ${bought}`, { productId: String(productId), limit, bought });
  }
}

export class ConflictError extends AppError {
  constructor(message = 'The data changed while you were updating it: reload and try again') {
    super('CONFLICT', message);
  }
}

export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    super('IDEMPOTENCY_KEY_REUSED', 'This idempotency key was already used with different input');
  }
}

export class InvalidStatusTransitionError extends AppError {
  constructor(from: string, to: string) {
    super('INVALID_STATUS_TRANSITION', `An order cannot go from ${from} to ${to}`, { from, to });
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super('RATE_LIMITED', 'Too many attempts: try again later', { retryAfter: Math.max(1, Math.ceil(retryAfterSeconds)) });
  }
}

/** A WebSocket connection asked for more live subscriptions than it may hold at once. */
export class TooManySubscriptionsError extends AppError {
  constructor(limit: number) {
    super('TOO_MANY_SUBSCRIPTIONS', `At most ${limit} subscriptions per WebSocket connection: complete one before starting another`, { limit });
  }
}

/**
 * The database did not answer in time (unreachable, a statement or the pool wait timed out) or a
 * queue is full: nothing was done, and the same request may simply be sent again (HTTP 503).
 */
export class ServiceUnavailableError extends AppError {
  constructor(message = 'The service is unavailable: try again shortly', extensions: Record<string, unknown> = {}) {
    super('SERVICE_UNAVAILABLE', message, { retryable: true, ...extensions });
  }
}

/**
 * The connection failed while (or after) the transaction committed: it may or may not have. Only
 * a retry can tell, and for an idempotent operation it is safe: the same key returns the order
 * if it was committed.
 */
export class OutcomeUnknownError extends ServiceUnavailableError {
  constructor(message = 'The outcome is unknown: read the current state before retrying') {
    super(message, { outcome: 'UNKNOWN' });
  }
}

/** OutcomeUnknownError's message for an operation that takes an idempotency key. */
export const RETRY_WITH_SAME_KEY = 'the outcome is unknown: retry with the same idempotency key';

/**
 * Thrown inside a unit of work to ask the retry helper for a fresh attempt (a guarded write
 * matched no row because another transaction got there first).
 */
export class RetryableConflict extends Error {
  constructor(message = 'optimistic conflict') {
    super(message);
    this.name = 'RetryableConflict';
  }
}

/** An answer that grew past GRAPHQL_MAX_RESULT_NODES: the whole answer is replaced by this one error. */
export class ResultTooLargeError extends AppError {
  constructor(limit: number) {
    super('RESULT_TOO_LARGE', `The result exceeds the limit of ${limit} fields: ask for smaller pages or fewer fields`, { limit });
  }
}
