import { DeadlockException, LockWaitTimeoutException } from '@mikro-orm/core';
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { RateLimitedError } from '../common/errors';
import type { AppConfig } from '../config/env';
import type { Em, RequestContext } from './context';
import { marks, type Row } from './sql';

/** One limit: at most `limit` attempts per `windowSeconds` in `bucket` (0 turns it off). */
export interface RateRule {
  bucket: string;
  limit: number;
  windowSeconds: number;
}


/** Attempts at counting one request when the database reports a deadlock (then nothing was counted). */
const MAX_ATTEMPTS = 5;

/** Emails are hashed: bounded bucket names, and no attacker-chosen text stored verbatim. */
const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 40);

/**
 * The client part of an address: IPv4 as it is, IPv6 by its /64 (one subscriber usually holds a
 * whole /64, so single addresses would be free to rotate through).
 */
export function ipBucket(ip: string): string {
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
 * previous one ran out) or adds one; the counts are read back in the same transaction, whose row
 * locks keep other attempts out until it commits, so no two attempts can both see "under the
 * limit" for the last slot. Every attempt counts, including refused ones.
 */
export class RateLimitService {
  constructor(private readonly config: AppConfig) {}

  /** login (per email) and changePassword's password check: the same per-account and per-IP budget. */
  async consumePasswordAttempt(ctx: RequestContext, email: string): Promise<void> {
    const { authPerAccount, authPerIp, authWindowSeconds } = this.config.rateLimits;
    await this.consumeOrThrow(ctx, [
      { bucket: `password:account:${digest(email.trim().toLowerCase())}`, limit: authPerAccount, windowSeconds: authWindowSeconds },
      { bucket: `password:ip:${ipBucket(ctx.ip)}`, limit: authPerIp, windowSeconds: authWindowSeconds },
    ]);
  }

  /** verifyTotp and disableTotp: one-time code guesses, per account and per IP. */
  async consumeTotpAttempt(ctx: RequestContext, userId: number): Promise<void> {
    const { authPerAccount, authPerIp, authWindowSeconds } = this.config.rateLimits;
    await this.consumeOrThrow(ctx, [
      { bucket: `totp:account:${userId}`, limit: authPerAccount, windowSeconds: authWindowSeconds },
      { bucket: `totp:ip:${ipBucket(ctx.ip)}`, limit: authPerIp, windowSeconds: authWindowSeconds },
    ]);
  }

  /** register, per client IP: every registration costs an argon2 hash. */
  async consumeRegistration(ctx: RequestContext): Promise<void> {
    const { registrationsPerIp, registrationWindowSeconds } = this.config.rateLimits;
    await this.consumeOrThrow(ctx, [{ bucket: `register:ip:${ipBucket(ctx.ip)}`, limit: registrationsPerIp, windowSeconds: registrationWindowSeconds }]);
  }

  /** Cart and checkout mutations, per user. */
  async consumeWrite(ctx: RequestContext, userId: number): Promise<void> {
    const { writesPerUser, writeWindowSeconds } = this.config.rateLimits;
    await this.consumeOrThrow(ctx, [{ bucket: `write:user:${userId}`, limit: writesPerUser, windowSeconds: writeWindowSeconds }]);
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

  /** Drops counters whose window has run out (the background sweeper); returns how many. */
  async deleteExpired(em: Em, nowMs = Date.now()): Promise<number> {
    const longest = Math.max(this.config.rateLimits.authWindowSeconds, this.config.rateLimits.writeWindowSeconds) * 1000;
    const result = await em.execute<{ affectedRows: number }>('DELETE FROM rate_limits WHERE window_start_ms < ?', [nowMs - longest], 'run');
    return result.affectedRows;
  }

  /**
   * One transaction: the upserts (always in the rules' order, so two attempts lock buckets in the
   * same order), then the counts. InnoDB can still report a deadlock between concurrent upserts of
   * a new key; the transaction then rolled back (nothing counted) and is simply run again.
   */
  private async countAttempt(ctx: RequestContext, rules: RateRule[], nowMs: number): Promise<Map<string, { hits: number; windowStartMs: number }>> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await ctx.em.fork({ clear: true }).transactional(async (em) => {
          for (const rule of rules) await this.hit(em, rule, nowMs);
          const rows = await em.execute<Row[]>(
            `SELECT bucket, window_start_ms, hits FROM rate_limits WHERE bucket IN (${marks(rules.length)})`,
            rules.map((r) => r.bucket),
          );
          return new Map(rows.map((r) => [String(r.bucket), { hits: Number(r.hits), windowStartMs: Number(r.window_start_ms) }]));
        });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const transient = error instanceof DeadlockException || error instanceof LockWaitTimeoutException || code === 'SQLITE_BUSY';
        if (!transient || attempt >= MAX_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }

  private async hit(em: Em, rule: RateRule, nowMs: number): Promise<void> {
    const staleAt = nowMs - rule.windowSeconds * 1000;
    // `hits` is assigned first: MySQL evaluates the assignments left to right with the new values,
    // SQLite with the old ones, and so both see the window as it was.
    const sql =
      this.config.database.kind === 'mysql'
        ? 'INSERT INTO rate_limits (bucket, window_start_ms, hits) VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE ' +
          'hits = IF(window_start_ms <= ?, 1, hits + 1), window_start_ms = IF(window_start_ms <= ?, ?, window_start_ms)'
        : 'INSERT INTO rate_limits (bucket, window_start_ms, hits) VALUES (?, ?, 1) ON CONFLICT (bucket) DO UPDATE SET ' +
          'hits = CASE WHEN window_start_ms <= ? THEN 1 ELSE hits + 1 END, window_start_ms = CASE WHEN window_start_ms <= ? THEN ? ELSE window_start_ms END';
    await em.execute(sql, [rule.bucket, nowMs, staleAt, staleAt, nowMs], 'run');
  }
}
