/**
 * Exact money arithmetic on integer cents (bigint). Prices travel as decimal strings ("15000000.00")
 * and are never turned into floats.
 */
const MONEY_PATTERN = /^(0|[1-9]\d{0,12})(\.\d{1,2})?$/;
export const MAX_MONEY_CENTS = 10n ** 15n - 1n; // DECIMAL(15,2)

export function isMoneyString(value: string): boolean {
  return MONEY_PATTERN.test(value);
}

export function toCents(value: string | number): bigint {
  const text = typeof value === 'number' ? value.toFixed(2) : value.trim();
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const [whole, frac = ''] = body.split('.');
  if (!/^\d+$/.test(whole) || !/^\d{0,2}$/.test(frac)) throw new RangeError(`not a decimal amount: ${text}`);
  const cents = BigInt(whole) * 100n + BigInt((frac + '00').slice(0, 2));
  return negative ? -cents : cents;
}

function fromCents(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const text = `${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
  return negative ? `-${text}` : text;
}

/** Normalises any stored representation ("12.5", 12.5, "12.50") to the canonical "12.50". */
export function normalizeMoney(value: string | number): string {
  return fromCents(toCents(value));
}

export function addMoney(...amounts: string[]): string {
  return fromCents(amounts.reduce((sum, a) => sum + toCents(a), 0n));
}

export function multiplyMoney(amount: string, quantity: number): string {
  return fromCents(toCents(amount) * BigInt(quantity));
}
