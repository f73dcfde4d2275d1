/**
 * Expected failures, each with the stable code that clients switch on (shared/API.md). Services
 * throw these; the GraphQL layer turns them into `errors[].extensions`. Anything else is masked.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'INVALID_CREDENTIALS'
  | 'TOTP_REQUIRED'
  | 'TOTP_INVALID'
  | 'INSUFFICIENT_STOCK'
  | 'RESERVATION_EXPIRED'
  | 'CONFLICT'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'INVALID_STATUS_TRANSITION'
  | 'RATE_LIMITED'
  | 'RESULT_TOO_LARGE'
  | 'TOO_MANY_SUBSCRIPTIONS'
  | 'SERVICE_UNAVAILABLE'
  | 'SALE_NOT_STARTED'
  | 'SALE_QUOTA_EXHAUSTED'
  | 'PURCHASE_LIMIT_REACHED';

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

export class BadUserInputError extends AppError {
  constructor(field: string, message: string) {
    super('BAD_USER_INPUT', message, { field });
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
