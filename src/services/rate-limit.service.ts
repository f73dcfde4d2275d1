import { DeadlockException, LockWaitTimeoutException } from '@mikro-orm/core';
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { RateLimitedError } from '../common/errors';
import type { AppConfig } from '../config/env';
import type { DbContext } from '../db/context';
import { sqlFor, type Sql, type Statement, type StatementResult } from '../db/sql';
import { countHit, countHitStatement, deleteWindowsStartedBefore, type WindowCount } from '../repositories/rate-limit.repository';
import type { RequestContext } from './context';

/**
 * A unit's write count (RateLimitService.countWriteInUnit) found the shopper over the limit: the
 * unit rolls back and its caller counts the attempt again on its own, which answers RATE_LIMITED.
 */
export class WriteRefused extends Error {
  constructor() {
    super('write limit reached');
    this.name = 'WriteRefused';
  }
}

/** One limit: at most `limit` attempts per `windowSeconds` in `bucket` (0 turns it off). */
export interface RateRule {
  bucket: string;
  limit: number;
  windowSeconds: number;
  /** Units this attempt counts (default 1; a bulk stock write counts its items). */
  cost?: number;
}


/** Whom a password attempt is against: an account found by its email, or an email with no account. */
export type PasswordTarget = { userId: number } | { email: string };

/** Attempts at counting one request when the database reports a deadlock (then nothing was counted). */
const MAX_ATTEMPTS = 5;

/** Emails are hashed: bounded bucket names, and no attacker-chosen text stored verbatim. */
const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 40);

/**
 * An email as a case- and accent-insensitive collation (utf8mb4_unicode_ci / general_ci) compares
 * it: canonical decomposition, combining marks dropped, lower case. Used only for emails that match
 * no account; a found account is counted by its id.
 */
const foldEmail = (email: string) => email.trim().normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/**
 * The client part of an address: IPv4 as it is, IPv6 by its /64 (one subscriber usually holds a
 * whole /64, so single addresses would be free to rotate through).
 */
function ipBucket(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (!isIPv6(ip)) return ip.slice(0, 64);
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * Attempt counters in the database (table rate_limits), so every server process, on any machine,
 * shares them. Each attempt is one atomic upsert per bucket that either starts a new window (the
 * previous one ran out) or adds one; the statement itself returns the count it left, so no two
 * attempts can both see "under the limit" for the last slot. Every attempt counts, including refused ones.
 */
export class RateLimitService {
  constructor(private readonly config: AppConfig['rateLimits']) {}

  /**
   * A password check (login, changePassword, setupTotp, disableTotp) against `target`: the account
   * the database found (its id), or, for an email with no account, the email folded the way the
   * users.email collation compares it (case and accents ignored), so every spelling the database
   * treats as one address shares one count. Three budgets: per account AND client IP (the tight
   * one: a stranger elsewhere cannot spend the owner's), per account over all IPs (the ceiling a
   * distributed guesser hits), and per IP.
   */
  async consumePasswordAttempt(ctx: RequestContext, target: PasswordTarget): Promise<void> {
    const { authPerAccount, authPerAccountCeiling, authPerIp, authWindowSeconds } = this.config;
    const account = 'userId' in target ? `user:${target.userId}` : `email:${digest(foldEmail(target.email))}`;
    const ip = ipBucket(ctx.ip);
    await this.consumeOrThrow(ctx, [
      { bucket: `password:account-ip:${digest(`${account}|${ip}`)}`, limit: authPerAccount, windowSeconds: authWindowSeconds },
      { bucket: `password:account:${account}`, limit: authPerAccountCeiling, windowSeconds: authWindowSeconds },
      { bucket: `password:ip:${ip}`, limit: authPerIp, windowSeconds: authWindowSeconds },
    ]);
  }

  /**
   * verifyTotp and disableTotp: one-time code guesses, per account (only the account's token can
   * make them, so a stranger cannot spend this budget) and per IP.
   */
  async consumeTotpAttempt(ctx: RequestContext, userId: number): Promise<void> {
    const { authPerAccount, authPerIp, authWindowSeconds } = this.config;
    await this.consumeOrThrow(ctx, [
      { bucket: `totp:account:${userId}`, limit: authPerAccount, windowSeconds: authWindowSeconds },
      { bucket: `totp:ip:${ipBucket(ctx.ip)}`, limit: authPerIp, windowSeconds: authWindowSeconds },
    ]);
  }

  /** register, per client IP: every registration costs an argon2 hash. */
  async consumeRegistration(ctx: RequestContext): Promise<void> {
    const { registrationsPerIp, registrationWindowSeconds } = this.config;
    await this.consumeOrThrow(ctx, [{ bucket: `register:ip:${ipBucket(ctx.ip)}`, limit: registrationsPerIp, windowSeconds: registrationWindowSeconds }]);
  }

  /** Cart and checkout mutations, per user. */
  async consumeWrite(ctx: RequestContext, userId: number): Promise<void> {
    await this.consumeOrThrow(ctx, [this.writeRule(userId)]);
  }

  /**
   * The same count as consumeWrite, as the first statement of the caller's unit of work (`sql`),
   * sent in one round trip with the unit's next statement (`Sql.prefix`): the upsert write-locks
   * the shopper's counter row until the unit ends, so it doubles as the shopper lock
   * (ShopperMutation). Over the limit, that next statement fails with WriteRefused and the unit
   * rolls back, the count with it; the caller then counts the attempt on its own (consumeWrite),
   * which throws RATE_LIMITED with the window's retryAfter. With the limiter off
   * (WRITE_RATE_LIMIT_PER_USER=0) it counts nothing and returns false: the caller then needs
   * another lock. A deadlock between concurrent first upserts of one key is the unit's to retry.
   */
  countWriteInUnit(sql: Sql, userId: number): boolean {
    const counted = this.countWriteAhead(sql, userId);
    if (!counted) return false;
    sql.prefix(counted.statement, (result) => {
      if (counted.refused(result)) throw new WriteRefused();
    });
    return true;
  }

  /**
   * The buyNow batch's count: the same count for each request of the batch, as prefixes of its
   * transaction (the batch's first round trip), each answered on its own. `refused()` tells, once
   * that round trip is back, whether that request was over the limit; the batch answers it
   * WriteRefused, and its count commits with the batch. Null with the limiter off.
   */
  countWriteInBatch(sql: Sql, userId: number): { refused: () => boolean } | null {
    const counted = this.countWriteAhead(sql, userId);
    if (!counted) return null;
    let refused = false;
    sql.prefix(counted.statement, (result) => {
      refused = counted.refused(result);
    });
    return { refused: () => refused };
  }

  private countWriteAhead(sql: Sql, userId: number): { statement: Statement; refused: (result: StatementResult) => boolean } | null {
    const rule = this.writeRule(userId);
    if (rule.limit <= 0) return null;
    const { statement, hitsOf } = countHitStatement(sql, rule, Date.now());
    return { statement, refused: (result) => hitsOf(result) > rule.limit };
  }

  private writeRule(userId: number): RateRule {
    const { writesPerUser, writeWindowSeconds } = this.config;
    return { bucket: `write:user:${userId}`, limit: writesPerUser, windowSeconds: writeWindowSeconds };
  }

  /**
   * Stock writes (setStock, adjustStock, every item of setStocks), per user: `items` units of a
   * budget of their own, so that a seller's bulk import does not spend the cart budget and a
   * token cannot write unbounded ledger rows.
   */
  async consumeStockWrites(ctx: RequestContext, userId: number, items: number): Promise<void> {
    const { stockWritesPerUser, stockWriteWindowSeconds } = this.config;
    if (items <= 0) return;
    await this.consumeOrThrow(ctx, [{ bucket: `stock:user:${userId}`, limit: stockWritesPerUser, windowSeconds: stockWriteWindowSeconds, cost: items }]);
  }

  /**
   * Counts one attempt in every rule's bucket (all of them, even when one is already over), then
   * throws RATE_LIMITED with the seconds until the latest refusing window ends.
   */
  async consumeOrThrow(ctx: RequestContext, rules: RateRule[]): Promise<void> {
    const active = rules.filter((r) => r.limit > 0);
    if (!active.length) return;
    const nowMs = Date.now();
    const counts = await this.countAttempt(ctx, active, nowMs);
    let retryAfterMs = 0;
    for (const rule of active) {
      const count = counts.get(rule.bucket);
      if (count && count.hits > rule.limit) retryAfterMs = Math.max(retryAfterMs, count.windowStartMs + rule.windowSeconds * 1000 - nowMs, 1);
    }
    if (retryAfterMs > 0) throw new RateLimitedError(retryAfterMs / 1000);
  }

  /**
   * Drops counters whose window has run out (the background sweeper); returns how many. Each
   * bucket prefix is swept by its own window (a counter dropped early resets its budget: the
   * hourly registration budget once reset after 15 minutes); a bucket of no known prefix is kept
   * for the longest window of all.
   */
  async deleteExpired(ctx: DbContext, nowMs = Date.now()): Promise<number> {
    const { authWindowSeconds, writeWindowSeconds, stockWriteWindowSeconds, registrationWindowSeconds } = this.config;
    const windows: [string, number][] = [
      ['password:', authWindowSeconds],
      ['totp:', authWindowSeconds],
      ['write:', writeWindowSeconds],
      ['stock:', stockWriteWindowSeconds],
      ['register:', registrationWindowSeconds],
    ];
    const sql = sqlFor(ctx.em);
    let deleted = 0;
    for (const [prefix, seconds] of windows) deleted += await deleteWindowsStartedBefore(sql, nowMs - seconds * 1000, { prefix });
    const longest = Math.max(...windows.map(([, seconds]) => seconds)) * 1000;
    return deleted + (await deleteWindowsStartedBefore(sql, nowMs - longest, { exceptPrefixes: windows.map(([prefix]) => prefix) }));
  }

  /**
   * Counts the attempt in each rule's bucket, in the rules' order, each with ONE atomic statement
   * that starts a new window (the previous one ran out) or adds one and returns the count it left
   * (MySQL through LAST_INSERT_ID(expr), SQLite through RETURNING). Every attempt therefore sees
   * its own exact position in the window, however many processes race, with no transaction around
   * it. InnoDB can report a deadlock between concurrent upserts of a new key; the statement then
   * changed nothing and is simply run again.
   */
  private async countAttempt(ctx: RequestContext, rules: RateRule[], nowMs: number): Promise<Map<string, WindowCount>> {
    const sql = sqlFor(ctx.em);
    const counts = new Map<string, WindowCount>();
    for (const rule of rules) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          counts.set(rule.bucket, await countHit(sql, rule, nowMs, rule.cost ?? 1));
          break;
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          const transient = error instanceof DeadlockException || error instanceof LockWaitTimeoutException || code === 'SQLITE_BUSY';
          if (!transient || attempt >= MAX_ATTEMPTS) throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
        }
      }
    }
    return counts;
  }
}
