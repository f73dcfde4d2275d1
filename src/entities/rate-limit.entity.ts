import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One rate-limit counter: `hits` attempts since `windowStartMs` for a bucket such as
 * `login:ip:203.0.113.7`. Written only by RateLimitService with one atomic upsert, so every
 * server process shares the counters. A window starts at the first attempt after the previous
 * one ran out (no boundary at which the counts of two windows could be combined).
 */
@Entity({ tableName: 'rate_limits' })
export class RateLimit {
  @PrimaryKey({ type: 'string', length: 120 })
  bucket!: string;

  @Property({ type: 'bigint', index: 'rate_limits_window_start_idx' })
  windowStartMs!: string;

  @Property({ type: 'integer' })
  hits!: number;
}
