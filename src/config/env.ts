import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../common/limits';
import { requireEmail } from '../common/validate';

type DatabaseKind = 'mysql' | 'sqlite';

export interface AppConfig {
  nodeEnv: string;
  production: boolean;
  port: number;
  host: string;
  database: { kind: DatabaseKind; url: string; sqlitePath?: string; poolSize: number };
  /** Bounds on every wait for the database (MySQL: SQLite is in-process). See docs/SECURITY.md. */
  databaseTimeouts: DatabaseTimeouts;
  jwt: { secret: string; issuer: string; audience: string; expiresInSeconds: number };
  totpEncryptionKey: string;
  reservationTtlSeconds: number;
  holdSweepIntervalMs: number;
  /**
   * The sweeper's pace: each tick releases up to holdSweepBatches transactions of up to
   * holdSweepBatchSize lapsed holds (a transaction's hot rows stay locked while it runs, so a
   * batch is kept small), i.e. at most batchSize × batches holds per interval per process.
   */
  holdSweepBatchSize: number;
  holdSweepBatches: number;
  stockWatchIntervalMs: number;
  retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  /**
   * An ADMIN created at start when no admin exists yet (BOOTSTRAP_ADMIN_EMAIL and
   * BOOTSTRAP_ADMIN_PASSWORD), or null. The only other way to ADMIN is `npm run make-admin`.
   */
  bootstrapAdmin: { email: string; password: string } | null;
  seedDemoData: boolean;
  debugErrors: boolean;
  introspection: boolean;
  workers: number;
  maxBodyBytes: number;
  corsOrigins: string[];
  /**
   * Document limits checked before anything runs (graphql-armor; the cost in src/graphql/cost.ts);
   * a refusal runs no resolver. maxResultNodes caps the fields one operation may resolve.
   */
  graphqlLimits: { maxDepth: number; maxAliases: number; maxDirectives: number; maxTokens: number; maxCost: number; maxResultNodes: number };
  /**
   * Attempts per window, counted in the database so that every server process shares them.
   * A limit of 0 turns that limit off.
   */
  rateLimits: {
    /**
     * Password checks (login, changePassword, setupTotp, disableTotp) per account AND client IP,
     * so a stranger elsewhere cannot spend the owner's budget; verifyTotp/disableTotp codes per
     * account (they need the account's token).
     */
    authPerAccount: number;
    /** Password checks per account over all IPs: the ceiling a distributed guesser hits. */
    authPerAccountCeiling: number;
    /** The same operations per client IP (IPv6: per /64). */
    authPerIp: number;
    authWindowSeconds: number;
    /** addToCart, updateCartItem, removeFromCart, clearCart, checkout and buyNow, per user. */
    writesPerUser: number;
    writeWindowSeconds: number;
    /** Stock writes per user, in items: setStock and adjustStock count 1, setStocks its items. */
    stockWritesPerUser: number;
    stockWriteWindowSeconds: number;
    /** register per client IP: each registration costs a password hash. */
    registrationsPerIp: number;
    registrationWindowSeconds: number;
  };
  /**
   * Who may read /metrics: with a token, only `Authorization: Bearer <token>` (else 401); without
   * one, everyone outside production, and in production no one (404) unless `public`.
   */
  metrics: { token: string | null; public: boolean };
  /** graphql-ws: live operations per connection and open connections per client IP (0: no limit). */
  webSocket: { maxSubscriptionsPerConnection: number; maxConnectionsPerIp: number };
  /** Most units of one product one user may hold in the cart or buy in one buyNow. */
  maxHoldPerProduct: number;
  /**
   * `optimistic` (the default): buyNow plans from a plain read and writes with a guarded UPDATE,
   * retrying when it loses a race. `pessimistic`: on MySQL it first locks the product's stock rows
   * (`SELECT … FOR UPDATE`), for comparison in the benchmark (docs/BENCHMARKS.md).
   */
  checkoutLocking: 'optimistic' | 'pessimistic';
  /** buyNow requests waiting for their product's batch: beyond either bound, SERVICE_UNAVAILABLE at once. */
  buyNowQueue: { maxWaiting: number; maxWaitMs: number };
}

export interface DatabaseTimeouts {
  /** Server-side limit per statement (MariaDB max_statement_time; MySQL MAX_EXECUTION_TIME, reads only). 0: off. */
  statementMs: number;
  /** Client-side limit per statement, waiting for the database's answer included (mysql2 `timeout`). 0: off. */
  queryMs: number;
  /** Longest wait for a pooled connection (knex acquireConnectionTimeout). */
  acquireMs: number;
  /** Longest wait for a new connection's handshake (mysql2 connectTimeout). */
  connectMs: number;
  /** /readyz answers 503 when the database has not answered `SELECT 1` within this. */
  readyMs: number;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const MIN_SECRET_BYTES = 32;

type Env = Record<string, string | undefined>;

function intFrom(env: Env, name: string, fallback: number, problems: string[], min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
    return fallback;
  }
  return value;
}

function boolFrom(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  problems.push(`${name} must be 1/true/yes/on or 0/false/no/off (got "${env[name]}")`);
  return fallback;
}

function listFrom(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function parseBootstrapAdmin(env: Env, problems: string[]): AppConfig['bootstrapAdmin'] {
  const email = (env.BOOTSTRAP_ADMIN_EMAIL ?? '').trim();
  const password = env.BOOTSTRAP_ADMIN_PASSWORD ?? '';
  if (!email && !password) return null;
  if (!email || !password) {
    problems.push('BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD must be set together (or neither)');
    return null;
  }
  let normalised = '';
  try {
    normalised = requireEmail('BOOTSTRAP_ADMIN_EMAIL', email);
  } catch {
    problems.push(`BOOTSTRAP_ADMIN_EMAIL must be a valid email address (got "${email}")`);
  }
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    // The password itself is never echoed.
    problems.push(`BOOTSTRAP_ADMIN_PASSWORD must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
  }
  return normalised ? { email: normalised, password } : null;
}

function parseTimeouts(env: Env, problems: string[]): DatabaseTimeouts {
  const timeouts = {
    statementMs: intFrom(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 5000, problems, 0, 3_600_000),
    queryMs: intFrom(env, 'DATABASE_QUERY_TIMEOUT_MS', 8000, problems, 0, 3_600_000),
    acquireMs: intFrom(env, 'DATABASE_ACQUIRE_TIMEOUT_MS', 8000, problems, 100, 600_000),
    connectMs: intFrom(env, 'DATABASE_CONNECT_TIMEOUT_MS', 3000, problems, 100, 600_000),
    readyMs: intFrom(env, 'READYZ_TIMEOUT_MS', 1500, problems, 100, 60_000),
  };
  if (timeouts.queryMs && timeouts.statementMs && timeouts.queryMs < timeouts.statementMs) {
    // The server's own limit should end a slow statement first, with its clean error, not the client's.
    problems.push('DATABASE_QUERY_TIMEOUT_MS must be at least DATABASE_STATEMENT_TIMEOUT_MS');
  }
  return timeouts;
}

function parseDatabase(env: Env, problems: string[]): AppConfig['database'] {
  const poolSize = intFrom(env, 'DATABASE_POOL_SIZE', 10, problems, 1, 500);
  const raw = (env.DATABASE_URL ?? '').trim();
  if (raw.startsWith('mysql://') || raw.startsWith('mariadb://')) {
    try {
      const url = new URL(raw.replace(/^mariadb:/, 'mysql:'));
      if (!url.pathname || url.pathname === '/') problems.push('DATABASE_URL must name a database, e.g. mysql://user:pass@host:3306/shop');
      return { kind: 'mysql', url: url.toString(), poolSize };
    } catch {
      problems.push('DATABASE_URL is not a valid mysql:// URL');
      return { kind: 'mysql', url: raw, poolSize };
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) && !raw.startsWith('sqlite://') && !raw.startsWith('file://')) {
    problems.push(`DATABASE_URL must be mysql://… or a SQLite file path (got scheme "${raw.split(':')[0]}")`);
  }
  const file = raw.replace(/^(sqlite|file):\/\//, '') || path.join('data', 'flashsale.sqlite');
  const sqlitePath = file === ':memory:' ? file : path.resolve(file);
  return { kind: 'sqlite', url: `sqlite://${sqlitePath}`, sqlitePath, poolSize: 1 };
}

function secretFrom(env: Env, name: string, production: boolean, problems: string[], warnings: string[]): string {
  const raw = env[name];
  if (!raw) {
    if (production) {
      problems.push(`${name} is required when NODE_ENV=production (at least ${MIN_SECRET_BYTES} bytes)`);
      return '';
    }
    warnings.push(`${name} is not set: using a random secret for this run (tokens and TOTP secrets will not survive a restart)`);
    return randomBytes(MIN_SECRET_BYTES).toString('base64url');
  }
  if (Buffer.byteLength(raw, 'utf8') < MIN_SECRET_BYTES) {
    if (production) problems.push(`${name} is too weak: it must be at least ${MIN_SECRET_BYTES} bytes`);
    else warnings.push(`${name} is shorter than ${MIN_SECRET_BYTES} bytes: refused in production`);
  }
  return raw;
}

/**
 * Reads and validates the whole configuration from the environment at once, so that every problem
 * is reported together. Secrets are never echoed back.
 */
export function loadConfig(env: Env = process.env): { config: AppConfig; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const nodeEnv = env.NODE_ENV ?? 'development';
  const production = nodeEnv === 'production';
  const database = parseDatabase(env, problems);
  const config: AppConfig = {
    nodeEnv,
    production,
    port: intFrom(env, 'PORT', 4000, problems, 0, 65535),
    host: env.HOST ?? '0.0.0.0',
    database,
    databaseTimeouts: parseTimeouts(env, problems),
    jwt: {
      secret: secretFrom(env, 'JWT_SECRET', production, problems, warnings),
      issuer: env.JWT_ISSUER ?? 'flashsale-inventory',
      audience: env.JWT_AUDIENCE ?? 'flashsale-storefront',
      expiresInSeconds: intFrom(env, 'JWT_EXPIRES_IN_SECONDS', 3600, problems, 60, 60 * 60 * 24 * 30),
    },
    totpEncryptionKey: secretFrom(env, 'TOTP_ENCRYPTION_KEY', production, problems, warnings),
    reservationTtlSeconds: intFrom(env, 'RESERVATION_TTL_SECONDS', 900, problems, 1, 60 * 60 * 24),
    holdSweepIntervalMs: intFrom(env, 'HOLD_SWEEP_INTERVAL_MS', 5000, problems, 0, 60 * 60 * 1000),
    holdSweepBatchSize: intFrom(env, 'HOLD_SWEEP_BATCH_SIZE', 100, problems, 1, 5000),
    holdSweepBatches: intFrom(env, 'HOLD_SWEEP_BATCHES', 20, problems, 1, 10_000),
    stockWatchIntervalMs: intFrom(env, 'STOCK_WATCH_INTERVAL_MS', 500, problems, 50, 60_000),
    retry: {
      maxAttempts: intFrom(env, 'RETRY_MAX_ATTEMPTS', 8, problems, 1, 100),
      baseDelayMs: intFrom(env, 'RETRY_BASE_DELAY_MS', 5, problems, 0, 10_000),
      maxDelayMs: intFrom(env, 'RETRY_MAX_DELAY_MS', 200, problems, 0, 60_000),
    },
    bootstrapAdmin: parseBootstrapAdmin(env, problems),
    seedDemoData: boolFrom(env, 'SEED_DEMO_DATA', database.kind === 'sqlite', problems),
    debugErrors: env.DEBUG_ERRORS === '1',
    introspection: production ? env.GRAPHQL_INTROSPECTION === '1' : env.GRAPHQL_INTROSPECTION !== '0',
    workers: intFrom(env, 'WORKERS', 1, problems, 1, 64),
    maxBodyBytes: intFrom(env, 'MAX_BODY_BYTES', 1_000_000, problems, 1024, 50_000_000),
    corsOrigins: listFrom(env, 'CORS_ORIGINS'),
    graphqlLimits: {
      maxDepth: intFrom(env, 'GRAPHQL_MAX_DEPTH', 10, problems, 1, 100),
      maxAliases: intFrom(env, 'GRAPHQL_MAX_ALIASES', 15, problems, 0, 1000),
      maxDirectives: intFrom(env, 'GRAPHQL_MAX_DIRECTIVES', 20, problems, 0, 1000),
      maxTokens: intFrom(env, 'GRAPHQL_MAX_TOKENS', 1000, problems, 100, 100_000),
      maxCost: intFrom(env, 'GRAPHQL_MAX_COST', 5000, problems, 100, 10_000_000),
      maxResultNodes: intFrom(env, 'GRAPHQL_MAX_RESULT_NODES', 20_000, problems, 100, 10_000_000),
    },
    rateLimits: {
      authPerAccount: intFrom(env, 'AUTH_RATE_LIMIT_PER_ACCOUNT', 10, problems, 0, 1_000_000),
      authPerAccountCeiling: intFrom(env, 'AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING', 100, problems, 0, 1_000_000),
      authPerIp: intFrom(env, 'AUTH_RATE_LIMIT_PER_IP', 50, problems, 0, 1_000_000),
      authWindowSeconds: intFrom(env, 'AUTH_RATE_LIMIT_WINDOW_SECONDS', 900, problems, 1, 60 * 60 * 24),
      writesPerUser: intFrom(env, 'WRITE_RATE_LIMIT_PER_USER', 120, problems, 0, 1_000_000),
      writeWindowSeconds: intFrom(env, 'WRITE_RATE_LIMIT_WINDOW_SECONDS', 60, problems, 1, 60 * 60 * 24),
      stockWritesPerUser: intFrom(env, 'STOCK_WRITE_RATE_LIMIT_PER_USER', 2000, problems, 0, 1_000_000),
      stockWriteWindowSeconds: intFrom(env, 'STOCK_WRITE_RATE_LIMIT_WINDOW_SECONDS', 60, problems, 1, 60 * 60 * 24),
      registrationsPerIp: intFrom(env, 'REGISTER_RATE_LIMIT_PER_IP', 100, problems, 0, 1_000_000),
      registrationWindowSeconds: intFrom(env, 'REGISTER_RATE_LIMIT_WINDOW_SECONDS', 3600, problems, 1, 60 * 60 * 24),
    },
    metrics: { token: env.METRICS_TOKEN ? env.METRICS_TOKEN : null, public: boolFrom(env, 'METRICS_PUBLIC', false, problems) },
    webSocket: {
      maxSubscriptionsPerConnection: intFrom(env, 'WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', 10, problems, 0, 10_000),
      maxConnectionsPerIp: intFrom(env, 'WS_MAX_CONNECTIONS_PER_IP', 20, problems, 0, 1_000_000),
    },
    maxHoldPerProduct: intFrom(env, 'MAX_HOLD_PER_PRODUCT', 10, problems, 1, 10_000),
    checkoutLocking: env.CHECKOUT_LOCKING === 'pessimistic' ? 'pessimistic' : 'optimistic',
    buyNowQueue: {
      maxWaiting: intFrom(env, 'BUY_NOW_QUEUE_MAX_WAITING', 1000, problems, 1, 1_000_000),
      maxWaitMs: intFrom(env, 'BUY_NOW_QUEUE_MAX_WAIT_MS', 5000, problems, 10, 600_000),
    },
  };
  if (env.CHECKOUT_LOCKING !== undefined && !['optimistic', 'pessimistic'].includes(env.CHECKOUT_LOCKING)) {
    problems.push(`CHECKOUT_LOCKING must be optimistic or pessimistic (got "${env.CHECKOUT_LOCKING}")`);
  }
  if ((env.ADMIN_EMAILS ?? '').trim() !== '') {
    // Registration is not verified: listing an address handed ADMIN to whoever registered it first.
    problems.push(
      'ADMIN_EMAILS is no longer supported (self-registration never grants a role): promote an account with `npm run make-admin -- <email>`, or set BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD to create the first admin at start',
    );
  }
  if (config.metrics.token !== null && Buffer.byteLength(config.metrics.token, 'utf8') < 16) {
    problems.push('METRICS_TOKEN must be at least 16 bytes');
  }
  if (config.database.kind === 'sqlite' && config.workers > 1) {
    problems.push('WORKERS > 1 needs MySQL: the embedded SQLite database is for a single process');
  }
  if (problems.length) throw new ConfigError(problems);
  return { config, warnings };
}
