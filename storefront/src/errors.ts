import { CombinedGraphQLErrors, ServerError, ServerParseError } from '@apollo/client/errors';

/**
 * What a buyer reads for a failure. The server's stable `extensions.code` decides
 * (src/common/errors.ts); the flash-sale codes are mapped too, so the page is ready for them.
 */
const MESSAGES: Record<string, string | ((ext: Record<string, unknown>) => string)> = {
  INSUFFICIENT_STOCK: 'Sold out',
  RESERVATION_EXPIRED: 'Your hold expired and the stock is gone: remove the item or try again later',
  RATE_LIMITED: (ext) => `Too many attempts: try again in ${Number(ext.retryAfter ?? 1)} s`,
  PURCHASE_LIMIT_REACHED: 'You have reached the purchase limit for this sale',
  SALE_NOT_STARTED: 'The sale has not started yet',
  SALE_QUOTA_EXHAUSTED: 'The sale is sold out',
  INVALID_CREDENTIALS: 'Wrong email or password',
  TOTP_INVALID: 'That code is wrong or expired: enter the current one',
  UNAUTHENTICATED: 'Please sign in first',
  CONFLICT: 'Someone changed this at the same time: try again',
  IDEMPOTENCY_KEY_REUSED: 'This purchase was already sent with other details: start again',
  SERVICE_UNAVAILABLE: 'The shop is busy: try again in a moment',
  INVALID_STATUS_TRANSITION: 'This order can no longer be changed',
  NOT_FOUND: 'Not found',
};

/** The first GraphQL error code of a failure, or null (network failures have none). */
export function errorCode(error: unknown): string | null {
  if (!CombinedGraphQLErrors.is(error)) return null;
  const code = error.errors[0]?.extensions?.code;
  return typeof code === 'string' ? code : null;
}

/** A failure after which the request may have been lost on the way: resend it (same key). */
export function isRetryable(error: unknown): boolean {
  if (CombinedGraphQLErrors.is(error)) return errorCode(error) === 'SERVICE_UNAVAILABLE';
  if (ServerError.is(error)) return error.statusCode >= 500;
  if (ServerParseError.is(error)) return true;
  return error instanceof TypeError; // fetch's network failure
}

export function messageFor(error: unknown): string {
  if (CombinedGraphQLErrors.is(error)) {
    const first = error.errors[0];
    const code = errorCode(error);
    const known = code ? MESSAGES[code] : undefined;
    if (typeof known === 'function') return known(first?.extensions ?? {});
    if (known) return known;
    return first?.message ?? 'Something went wrong';
  }
  if (isRetryable(error)) return 'The connection failed: check your network and try again';
  return 'Something went wrong';
}
