import { createHash } from 'node:crypto';
import { BadUserInputError } from '../common/errors';
import { MAX_MONEY_CENTS, toCents } from '../common/money';

/** Rules every new order follows, whether it comes from checkout or from buyNow. */

/** An order total fits its DECIMAL(15,2) column, or BAD_USER_INPUT on the quantity. */
export function requireStorableTotal(total: string): string {
  if (toCents(total) > MAX_MONEY_CENTS) throw new BadUserInputError('quantity', 'The order total is larger than an order can hold');
  return total;
}

/** SHA-256 of a canonical JSON (sorted keys) of what was asked: a replay must ask the same. */
export function requestHash(payload: Record<string, string | number>): string {
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(payload).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  return createHash('sha256').update(canonical).digest('hex');
}
