import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../common/limits';
import { requireEmail } from '../common/validate';

type DatabaseKind = 'mysql' | 'sqlite';

/** pino's levels; anything else (`verbose`, `warning`) is refused at start. */
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];
/** `auto`: pino-pretty outside production when stderr is a terminal, JSON lines otherwise. */
const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export interface LogSettings {
  level: LogLevel;
  format: (typeof LOG_FORMATS)[number];
}

export interface AppConfig {
  nodeEnv: string;
  production: boolean;
  port: number;
  host: string;
  database: {
    kind: DatabaseKind;
    url: string;
    sqlitePath?: string;
    poolSize: number;
    /** MySQL: server-side prepared statements kept per connection (an LRU); 0: every statement as text. */
    preparedStatements: number;
  };
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
  /** Log the ORM's SQL statements at debug level (never their values). */
  ormDebug: boolean;
  /** The process's logger (src/config/logger.ts): LOG_LEVEL and LOG_FORMAT. */
  log: LogSettings;
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
   * `maxOperationNames` bounds the distinct operation names the latency histogram labels.
   */
  metrics: { token: string | null; public: boolean; maxOperationNames: number };
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
  /** Shopper mutations of different shoppers sharing one transaction (db/unit-group.ts, UNIT_GROUP_*); maxMembers 1: each alone. */
  unitGroups: { maxMembers: number; maxRunning: number; maxWaiting: number; maxWaitMs: number };
  /** Serve the storefront (the bundle `npm run build` makes) at /storefront: on by default outside production. */
  storefront: boolean;
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
const MIN_METRICS_TOKEN_BYTES = 16;

type Env = Record<string, string | undefined>;

/*
 * The schema (zod): one entry per variable, with its type, bounds and default. zod rather than
 * envalid because the configuration is more than a flat list of typed strings: the database URL
 * turns into a kind and a path, some defaults depend on other variables (NODE_ENV, the database),
 * some rules span several variables, and messages must never quote a secret. zod does all of that
 * with plain schemas (`z.stringbool`, `z.enum`, bounds, transforms) and infers the parsed type;
 * envalid would need a custom validator for every bounded integer and exits the process by default.
 *
 * An empty value counts as unset (a compose file passes an unset variable as ""). A message is the
 * rest of a sentence that starts with the variable's name; the value is quoted after it
 * (`(got "…")`) except for the variables in NOT_QUOTED.
 */
const unsetIfBlank = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(unsetIfBlank, schema);

function integer(fallback: number, min: number, max: number) {
  const error = `must be an integer between ${min} and ${max}`;
  return optional(z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error }).default(fallback));
}

const FLAG_WORDS = { truthy: ['1', 'true', 'yes', 'on'], falsy: ['0', 'false', 'no', 'off'] };
/** A boolean: 1/true/yes/on or 0/false/no/off, in any case; unset is `undefined` (the caller's default). */
const flag = () => optional(z.stringbool({ ...FLAG_WORDS, error: 'must be 1/true/yes/on or 0/false/no/off' }).optional());

function oneOf<const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) {
  const error = values.length === 2 ? `must be ${values[0]} or ${values[1]}` : `must be one of ${values.join(', ')}`;
  return optional(z.enum(values, { error }).default(fallback));
}

const text = (fallback: string) => optional(z.string().default(fallback));
const maybeText = () => optional(z.string().optional());

/** `mysql://…` (or `mariadb://…`) naming a database, or an SQLite file (a path, `sqlite://`, `file://`). */
const databaseUrl = optional(z.string().trim().optional()).transform((raw, ctx): { kind: DatabaseKind; url: string; sqlitePath?: string } => {
  const value = raw ?? '';
  if (value.startsWith('mysql://') || value.startsWith('mariadb://')) {
    let url: URL;
    try {
      url = new URL(value.replace(/^mariadb:/, 'mysql:'));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not a valid mysql:// URL' });
      return { kind: 'mysql', url: value };
    }
    if (!url.pathname || url.pathname === '/') ctx.addIssue({ code: 'custom', message: 'must name a database, e.g. mysql://user:pass@host:3306/shop' });
    return { kind: 'mysql', url: url.toString() };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && !value.startsWith('sqlite://') && !value.startsWith('file://')) {
    ctx.addIssue({ code: 'custom', message: `must be mysql://… or a SQLite file path (got scheme "${value.split(':')[0]}")` });
  }
  const file = value.replace(/^(sqlite|file):\/\//, '') || path.join('data', 'flashsale.sqlite');
  const sqlitePath = file === ':memory:' ? file : path.resolve(file);
  return { kind: 'sqlite', url: `sqlite://${sqlitePath}`, sqlitePath };
});

/** A comma list of origins (`scheme://host[:port]`, as a browser sends them) or `*`. */
const originList = optional(z.string().optional()).transform((raw, ctx) => {
  const origins = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const isOrigin = (o: string) => {
    try {
      return new URL(o).origin === o;
    } catch {
      return false;
    }
  };
  if (!origins.every((o) => o === '*' || isOrigin(o))) ctx.addIssue({ code: 'custom', message: 'must be a comma list of origins (scheme://host[:port], no path) or *' });
  return origins;
});

const bootstrapEmail = optional(
  z
    .string()
    .trim()
    .transform((email, ctx) => {
      try {
        return requireEmail('BOOTSTRAP_ADMIN_EMAIL', email);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a valid email address' });
        return z.NEVER;
      }
    })
    .optional(),
);

const passwordLength = `must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`;

/** Every variable the server reads, in the order their problems are reported. */
const VARIABLES = {
  NODE_ENV: text('development'),
  DATABASE_POOL_SIZE: integer(10, 1, 500),
  DATABASE_PREPARED_STATEMENTS: integer(64, 0, 16_382),
  DATABASE_URL: databaseUrl,
  PORT: integer(4000, 0, 65535),
  HOST: text('0.0.0.0'),
  DATABASE_STATEMENT_TIMEOUT_MS: integer(5000, 0, 3_600_000),
  DATABASE_QUERY_TIMEOUT_MS: integer(8000, 0, 3_600_000),
  DATABASE_ACQUIRE_TIMEOUT_MS: integer(8000, 100, 600_000),
  DATABASE_CONNECT_TIMEOUT_MS: integer(3000, 100, 600_000),
  READYZ_TIMEOUT_MS: integer(1500, 100, 60_000),
  // Secrets: required and checked in production (see secretFrom), never quoted.
  JWT_SECRET: z.string().optional(),
  JWT_ISSUER: text('flashsale-inventory'),
  JWT_AUDIENCE: text('flashsale-storefront'),
  JWT_EXPIRES_IN_SECONDS: integer(3600, 60, 60 * 60 * 24 * 30),
  TOTP_ENCRYPTION_KEY: z.string().optional(),
  RESERVATION_TTL_SECONDS: integer(900, 1, 60 * 60 * 24),
  HOLD_SWEEP_INTERVAL_MS: integer(5000, 0, 60 * 60 * 1000),
  HOLD_SWEEP_BATCH_SIZE: integer(100, 1, 5000),
  HOLD_SWEEP_BATCHES: integer(20, 1, 10_000),
  STOCK_WATCH_INTERVAL_MS: integer(500, 50, 60_000),
  RETRY_MAX_ATTEMPTS: integer(8, 1, 100),
  RETRY_BASE_DELAY_MS: integer(5, 0, 10_000),
  RETRY_MAX_DELAY_MS: integer(200, 0, 60_000),
  BOOTSTRAP_ADMIN_EMAIL: bootstrapEmail,
  BOOTSTRAP_ADMIN_PASSWORD: optional(z.string().min(MIN_PASSWORD_LENGTH, passwordLength).max(MAX_PASSWORD_LENGTH, passwordLength).optional()),
  SEED_DEMO_DATA: flag(),
  DEBUG_ERRORS: flag(),
  GRAPHQL_INTROSPECTION: flag(),
  WORKERS: integer(1, 1, 64),
  MAX_BODY_BYTES: integer(1_000_000, 1024, 50_000_000),
  CORS_ORIGINS: originList,
  GRAPHQL_MAX_DEPTH: integer(10, 1, 100),
  GRAPHQL_MAX_ALIASES: integer(15, 0, 1000),
  GRAPHQL_MAX_DIRECTIVES: integer(20, 0, 1000),
  GRAPHQL_MAX_TOKENS: integer(1000, 100, 100_000),
  GRAPHQL_MAX_COST: integer(5000, 100, 10_000_000),
  GRAPHQL_MAX_RESULT_NODES: integer(20_000, 100, 10_000_000),
  AUTH_RATE_LIMIT_PER_ACCOUNT: integer(10, 0, 1_000_000),
  AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING: integer(100, 0, 1_000_000),
  AUTH_RATE_LIMIT_PER_IP: integer(50, 0, 1_000_000),
  AUTH_RATE_LIMIT_WINDOW_SECONDS: integer(900, 1, 60 * 60 * 24),
  WRITE_RATE_LIMIT_PER_USER: integer(120, 0, 1_000_000),
  WRITE_RATE_LIMIT_WINDOW_SECONDS: integer(60, 1, 60 * 60 * 24),
  STOCK_WRITE_RATE_LIMIT_PER_USER: integer(2000, 0, 1_000_000),
  STOCK_WRITE_RATE_LIMIT_WINDOW_SECONDS: integer(60, 1, 60 * 60 * 24),
  REGISTER_RATE_LIMIT_PER_IP: integer(100, 0, 1_000_000),
  REGISTER_RATE_LIMIT_WINDOW_SECONDS: integer(3600, 1, 60 * 60 * 24),
  METRICS_PUBLIC: flag(),
  METRICS_MAX_OPERATION_NAMES: integer(200, 0, 10_000),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: integer(10, 0, 10_000),
  WS_MAX_CONNECTIONS_PER_IP: integer(20, 0, 1_000_000),
  MAX_HOLD_PER_PRODUCT: integer(10, 1, 10_000),
  BUY_NOW_QUEUE_MAX_WAITING: integer(1000, 1, 1_000_000),
  BUY_NOW_QUEUE_MAX_WAIT_MS: integer(5000, 10, 600_000),
  UNIT_GROUP_MAX_MEMBERS: integer(32, 1, 1000),
  UNIT_GROUP_MAX_RUNNING: integer(1, 1, 1000),
  UNIT_GROUP_MAX_WAITING: integer(1000, 1, 1_000_000),
  UNIT_GROUP_MAX_WAIT_MS: integer(5000, 10, 600_000),
  STOREFRONT: flag(),
  CHECKOUT_LOCKING: oneOf(['optimistic', 'pessimistic'], 'optimistic'),
  // Registration is not verified: listing an address handed ADMIN to whoever registered it first.
  ADMIN_EMAILS: maybeText().refine((value) => value === undefined, {
    message:
      'is no longer supported (self-registration never grants a role): promote an account with `npm run make-admin -- <email>`, or set BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD to create the first admin at start',
  }),
  METRICS_TOKEN: optional(
    z
      .string()
      .refine((token) => Buffer.byteLength(token, 'utf8') >= MIN_METRICS_TOKEN_BYTES, `must be at least ${MIN_METRICS_TOKEN_BYTES} bytes`)
      .optional(),
  ),
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  LOG_FORMAT: oneOf(LOG_FORMATS, 'auto'),
  ORM_DEBUG: flag(),
};

/** Secrets, and messages that say everything: their value is never quoted back. */
const NOT_QUOTED = new Set(['DATABASE_URL', 'JWT_SECRET', 'TOTP_ENCRYPTION_KEY', 'BOOTSTRAP_ADMIN_PASSWORD', 'METRICS_TOKEN', 'ADMIN_EMAILS']);

const envSchema = z.object(VARIABLES);
type Variables = z.output<typeof envSchema>;

/** The names of every variable the configuration reads (docs/CONFIGURATION.md lists each). */
export const CONFIG_VARIABLES = Object.keys(VARIABLES);

/**
 * Every variable parsed at once: one problem per bad variable, in the schema's order, and the
 * values, with the default standing in for each bad one so that the rules between variables still
 * judge the rest.
 */
function readVariables(env: Env): { values: Variables; problems: string[] } {
  const parsed = envSchema.safeParse(env);
  if (parsed.success) return { values: parsed.data, problems: [] };
  const problems: string[] = [];
  const bad = new Set<string>();
  for (const issue of parsed.error.issues) {
    const name = String(issue.path[0]);
    if (bad.has(name)) continue;
    bad.add(name);
    problems.push(NOT_QUOTED.has(name) ? `${name} ${issue.message}` : `${name} ${issue.message} (got "${env[name]}")`);
  }
  const values = envSchema.parse({ ...env, ...Object.fromEntries([...bad].map((name) => [name, undefined])) });
  return { values, problems };
}

/**
 * LOG_LEVEL and LOG_FORMAT for the process's logger, which exists before any configuration is
 * loaded (CLI commands, imports): a bad value falls back to the default here, and `loadConfig`
 * refuses it at start.
 */
export function logSettings(env: Env = process.env): LogSettings {
  const level = VARIABLES.LOG_LEVEL.safeParse(env.LOG_LEVEL);
  const format = VARIABLES.LOG_FORMAT.safeParse(env.LOG_FORMAT);
  return { level: level.success ? level.data : 'info', format: format.success ? format.data : 'auto' };
}

/** The one warning for secrets generated for this run, with how to make them stable (`.env`, src/config/dotenv.ts). */
function generatedSecretsAdvice(names: string[]): string {
  const line = `for (const k of ${JSON.stringify(names).replace(/"/g, "'")}) console.log(k + '=' + require('crypto').randomBytes(48).toString('base64url'))`;
  return (
    `${names.join(' and ')} ${names.length > 1 ? 'are' : 'is'} not set: using a random secret for this run, so tokens (the IDE's saved one too) and TOTP secrets will not survive a restart. ` +
    `For stable ones, write them to .env (git-ignored, loaded at start): node -e "${line}" >> .env`
  );
}

function secretFrom(name: string, raw: string | undefined, production: boolean, problems: string[], warnings: string[], generated: string[]): string {
  if (!raw) {
    if (production) {
      problems.push(`${name} is required when NODE_ENV=production (at least ${MIN_SECRET_BYTES} bytes)`);
      return '';
    }
    generated.push(name);
    return randomBytes(MIN_SECRET_BYTES).toString('base64url');
  }
  if (Buffer.byteLength(raw, 'utf8') < MIN_SECRET_BYTES) {
    if (production) problems.push(`${name} is too weak: it must be at least ${MIN_SECRET_BYTES} bytes`);
    else warnings.push(`${name} is shorter than ${MIN_SECRET_BYTES} bytes: refused in production`);
  }
  return raw;
}

/** The rules between variables, after each variable was judged on its own. */
function checkRules(env: Env, v: Variables, problems: string[]): void {
  if (v.DATABASE_QUERY_TIMEOUT_MS && v.DATABASE_STATEMENT_TIMEOUT_MS && v.DATABASE_QUERY_TIMEOUT_MS < v.DATABASE_STATEMENT_TIMEOUT_MS) {
    // The server's own limit should end a slow statement first, with its clean error, not the client's.
    problems.push('DATABASE_QUERY_TIMEOUT_MS must be at least DATABASE_STATEMENT_TIMEOUT_MS');
  }
  const given = (name: string) => unsetIfBlank(env[name]) !== undefined;
  if (given('BOOTSTRAP_ADMIN_EMAIL') !== given('BOOTSTRAP_ADMIN_PASSWORD')) {
    problems.push('BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD must be set together (or neither)');
  }
  if (v.DATABASE_URL.kind === 'sqlite' && v.WORKERS > 1) {
    problems.push('WORKERS > 1 needs MySQL: the embedded SQLite database is for a single process');
  }
}

/**
 * Reads and validates the whole configuration from the environment at once (the schema above,
 * then the rules between variables), so that every problem is reported together. Secrets are
 * never echoed back.
 */
export function loadConfig(env: Env = process.env): { config: AppConfig; warnings: string[] } {
  const { values: v, problems } = readVariables(env);
  const warnings: string[] = [];
  const generatedSecrets: string[] = [];
  const production = v.NODE_ENV === 'production';
  const database = v.DATABASE_URL;
  const config: AppConfig = {
    nodeEnv: v.NODE_ENV,
    production,
    port: v.PORT,
    host: v.HOST,
    database:
      database.kind === 'mysql'
        ? { ...database, poolSize: v.DATABASE_POOL_SIZE, preparedStatements: v.DATABASE_PREPARED_STATEMENTS }
        : { ...database, poolSize: 1, preparedStatements: 0 },
    databaseTimeouts: {
      statementMs: v.DATABASE_STATEMENT_TIMEOUT_MS,
      queryMs: v.DATABASE_QUERY_TIMEOUT_MS,
      acquireMs: v.DATABASE_ACQUIRE_TIMEOUT_MS,
      connectMs: v.DATABASE_CONNECT_TIMEOUT_MS,
      readyMs: v.READYZ_TIMEOUT_MS,
    },
    jwt: {
      secret: secretFrom('JWT_SECRET', v.JWT_SECRET, production, problems, warnings, generatedSecrets),
      issuer: v.JWT_ISSUER,
      audience: v.JWT_AUDIENCE,
      expiresInSeconds: v.JWT_EXPIRES_IN_SECONDS,
    },
    totpEncryptionKey: secretFrom('TOTP_ENCRYPTION_KEY', v.TOTP_ENCRYPTION_KEY, production, problems, warnings, generatedSecrets),
    reservationTtlSeconds: v.RESERVATION_TTL_SECONDS,
    holdSweepIntervalMs: v.HOLD_SWEEP_INTERVAL_MS,
    holdSweepBatchSize: v.HOLD_SWEEP_BATCH_SIZE,
    holdSweepBatches: v.HOLD_SWEEP_BATCHES,
    stockWatchIntervalMs: v.STOCK_WATCH_INTERVAL_MS,
    retry: { maxAttempts: v.RETRY_MAX_ATTEMPTS, baseDelayMs: v.RETRY_BASE_DELAY_MS, maxDelayMs: v.RETRY_MAX_DELAY_MS },
    bootstrapAdmin: v.BOOTSTRAP_ADMIN_EMAIL && v.BOOTSTRAP_ADMIN_PASSWORD ? { email: v.BOOTSTRAP_ADMIN_EMAIL, password: v.BOOTSTRAP_ADMIN_PASSWORD } : null,
    seedDemoData: v.SEED_DEMO_DATA ?? database.kind === 'sqlite',
    debugErrors: v.DEBUG_ERRORS ?? false,
    introspection: v.GRAPHQL_INTROSPECTION ?? !production,
    ormDebug: v.ORM_DEBUG ?? false,
    log: { level: v.LOG_LEVEL, format: v.LOG_FORMAT },
    workers: v.WORKERS,
    maxBodyBytes: v.MAX_BODY_BYTES,
    corsOrigins: v.CORS_ORIGINS,
    graphqlLimits: {
      maxDepth: v.GRAPHQL_MAX_DEPTH,
      maxAliases: v.GRAPHQL_MAX_ALIASES,
      maxDirectives: v.GRAPHQL_MAX_DIRECTIVES,
      maxTokens: v.GRAPHQL_MAX_TOKENS,
      maxCost: v.GRAPHQL_MAX_COST,
      maxResultNodes: v.GRAPHQL_MAX_RESULT_NODES,
    },
    rateLimits: {
      authPerAccount: v.AUTH_RATE_LIMIT_PER_ACCOUNT,
      authPerAccountCeiling: v.AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING,
      authPerIp: v.AUTH_RATE_LIMIT_PER_IP,
      authWindowSeconds: v.AUTH_RATE_LIMIT_WINDOW_SECONDS,
      writesPerUser: v.WRITE_RATE_LIMIT_PER_USER,
      writeWindowSeconds: v.WRITE_RATE_LIMIT_WINDOW_SECONDS,
      stockWritesPerUser: v.STOCK_WRITE_RATE_LIMIT_PER_USER,
      stockWriteWindowSeconds: v.STOCK_WRITE_RATE_LIMIT_WINDOW_SECONDS,
      registrationsPerIp: v.REGISTER_RATE_LIMIT_PER_IP,
      registrationWindowSeconds: v.REGISTER_RATE_LIMIT_WINDOW_SECONDS,
    },
    metrics: { token: v.METRICS_TOKEN ?? null, public: v.METRICS_PUBLIC ?? false, maxOperationNames: v.METRICS_MAX_OPERATION_NAMES },
    webSocket: { maxSubscriptionsPerConnection: v.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION, maxConnectionsPerIp: v.WS_MAX_CONNECTIONS_PER_IP },
    maxHoldPerProduct: v.MAX_HOLD_PER_PRODUCT,
    checkoutLocking: v.CHECKOUT_LOCKING,
    buyNowQueue: { maxWaiting: v.BUY_NOW_QUEUE_MAX_WAITING, maxWaitMs: v.BUY_NOW_QUEUE_MAX_WAIT_MS },
    // SQLite has one connection: a group would only queue behind it.
    unitGroups: {
      maxMembers: database.kind === 'sqlite' ? 1 : v.UNIT_GROUP_MAX_MEMBERS,
      maxRunning: v.UNIT_GROUP_MAX_RUNNING,
      maxWaiting: v.UNIT_GROUP_MAX_WAITING,
      maxWaitMs: v.UNIT_GROUP_MAX_WAIT_MS,
    },
    storefront: v.STOREFRONT ?? !production,
  };
  checkRules(env, v, problems);
  if (generatedSecrets.length) warnings.unshift(generatedSecretsAdvice(generatedSecrets));
  if (problems.length) throw new ConfigError(problems);
  return { config, warnings };
}
