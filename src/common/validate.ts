import { BadUserInputError, type InputProblem } from './errors';
import { EMAIL_MAX } from './limits';
import { isMoneyString, normalizeMoney } from './money';

/** Input checks shared by every service; each failure names the offending field. */

/**
 * Runs every check of one input, even after one failed, and throws a single BadUserInputError
 * listing all the problems (`extensions.problems`), so a client learns every bad field from one
 * answer. A check that yields `undefined` leaves its key out (an optional field not given). With
 * `argument` (the GraphQL argument the checked object came in), each problem's path starts with it.
 */
export function checkAll<T extends Record<string, () => unknown>>(checks: T, argument?: string): { [K in keyof T]: Exclude<ReturnType<T[K]>, undefined> } {
  const out: Record<string, unknown> = {};
  const problems: InputProblem[] = [];
  for (const [key, check] of Object.entries(checks)) {
    try {
      const value = check();
      if (value !== undefined) out[key] = value;
    } catch (error) {
      if (!(error instanceof BadUserInputError)) throw error;
      problems.push(...error.problems.map((problem) => (argument ? { ...problem, path: `${argument}.${problem.path}` } : problem)));
    }
  }
  if (problems.length) throw new BadUserInputError(problems[0].field, problems.map((p) => p.message).join('; '), problems);
  return out as { [K in keyof T]: Exclude<ReturnType<T[K]>, undefined> };
}

export function requireText(field: string, value: unknown, options: { min?: number; max: number; trim?: boolean }): string {
  if (typeof value !== 'string') throw new BadUserInputError(field, `${field} must be a string`);
  // No text column holds a NUL (SQLite's driver path fails on one), and no real name contains it.
  if (value.includes('\u0000')) throw new BadUserInputError(field, `${field} must not contain a NUL character`);
  const text = options.trim === false ? value : value.trim();
  const min = options.min ?? 1;
  if (text.length < min) throw new BadUserInputError(field, min === 1 ? `${field} must not be empty` : `${field} must be at least ${min} characters`);
  if (text.length > options.max) throw new BadUserInputError(field, `${field} must be at most ${options.max} characters`);
  return text;
}

export function optionalText(field: string, value: unknown, options: { max: number }): string | undefined {
  if (value === undefined || value === null) return undefined;
  return requireText(field, value, { min: 0, max: options.max });
}

export function requireInt(field: string, value: unknown, options: { min: number; max: number }): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new BadUserInputError(field, `${field} must be a whole number`);
  if (value < options.min || value > options.max) {
    throw new BadUserInputError(field, `${field} must be between ${options.min} and ${options.max}`);
  }
  return value;
}

/** GraphQL IDs are strings; ours are positive integers. */
export function requireId(field: string, value: unknown): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^[1-9]\d{0,15}$/.test(text) || Number(text) > Number.MAX_SAFE_INTEGER) {
    throw new BadUserInputError(field, `${field} is not a valid id`);
  }
  return Number(text);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function requireEmail(field: string, value: unknown): string {
  const email = requireText(field, value, { max: EMAIL_MAX }).toLowerCase();
  if (!EMAIL.test(email)) throw new BadUserInputError(field, `${field} must be a valid email address`);
  return email;
}

export function requireMoney(field: string, value: unknown): string {
  if (typeof value !== 'string' || !isMoneyString(value.trim())) {
    throw new BadUserInputError(field, `${field} must be a decimal string like "19.99" (not negative, at most 2 decimals)`);
  }
  return normalizeMoney(value.trim());
}

/** Idempotency keys: 1 to 100 visible ASCII characters. */
export function requireIdempotencyKey(field: string, value: unknown): string {
  const key = requireText(field, value, { max: 100 });
  if (!/^[\x21-\x7e]+$/.test(key)) throw new BadUserInputError(field, `${field} must be 1-100 visible ASCII characters`);
  return key;
}
