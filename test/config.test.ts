import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../src/config/env';

const STRONG = 'a-strong-secret-of-at-least-32-bytes-0123456789';
const OTHER_STRONG = 'another-strong-secret-32-bytes-or-more-abcdefgh';

/** The ConfigError thrown for `env`, failing the test when the configuration was accepted. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(Object.keys(env))}`);
}

describe('loadConfig defaults', () => {
  it('boots with nothing set: port 4000, SQLite under ./data, 15-minute holds, generated secrets', () => {
    const { config, warnings } = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      production: false,
      port: 4000,
      host: '0.0.0.0',
      reservationTtlSeconds: 900,
      holdSweepIntervalMs: 5000,
      retry: { maxAttempts: 8, baseDelayMs: 5, maxDelayMs: 200 },
      bootstrapAdmin: null,
      seedDemoData: true,
      debugErrors: false,
      introspection: true,
      workers: 1,
      maxBodyBytes: 1_000_000,
      corsOrigins: [],
      jwt: { issuer: 'flashsale-inventory', audience: 'flashsale-storefront', expiresInSeconds: 3600 },
    });
    const sqlitePath = path.resolve('data', 'flashsale.sqlite');
    expect(config.database).toEqual({ kind: 'sqlite', url: `sqlite://${sqlitePath}`, sqlitePath, poolSize: 1, preparedStatements: 0 });

    // Missing secrets outside production: random ones for this run, with one warning that says
    // how to keep them (a line for .env that works with node alone).
    expect(Buffer.byteLength(config.jwt.secret)).toBeGreaterThanOrEqual(32);
    expect(Buffer.byteLength(config.totpEncryptionKey)).toBeGreaterThanOrEqual(32);
    expect(config.jwt.secret).not.toBe(config.totpEncryptionKey);
    expect(loadConfig({}).config.jwt.secret).not.toBe(config.jwt.secret);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^JWT_SECRET and TOTP_ENCRYPTION_KEY are not set: using a random secret for this run, so tokens .* will not survive a restart\. For stable ones, write them to \.env \(git-ignored, loaded at start\): node -e ".*" >> \.env$/);
    const command = /node -e "(.*)" >> \.env$/.exec(warnings[0])![1];
    const lines = execFileSync(process.execPath, ['-e', command], { encoding: 'utf8' }).trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^JWT_SECRET=[\w-]{64}$/), expect.stringMatching(/^TOTP_ENCRYPTION_KEY=[\w-]{64}$/)]);
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(40) }).warnings[0]).toMatch(/^TOTP_ENCRYPTION_KEY is not set: /);
  });

  it('uses the secrets it is given, warning (outside production) about short ones without echoing them', () => {
    const { config, warnings } = loadConfig({ JWT_SECRET: STRONG, TOTP_ENCRYPTION_KEY: 'short-key' });
    expect(config.jwt.secret).toBe(STRONG);
    expect(config.totpEncryptionKey).toBe('short-key');
    expect(warnings).toEqual(['TOTP_ENCRYPTION_KEY is shorter than 32 bytes: refused in production']);
  });

  it('reads every setting it is given', () => {
    const { config } = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      RESERVATION_TTL_SECONDS: '60',
      HOLD_SWEEP_INTERVAL_MS: '0',
      RETRY_MAX_ATTEMPTS: '3',
      RETRY_BASE_DELAY_MS: '1',
      RETRY_MAX_DELAY_MS: '50',
      JWT_EXPIRES_IN_SECONDS: '600',
      JWT_ISSUER: 'iss',
      JWT_AUDIENCE: 'aud',
      BOOTSTRAP_ADMIN_EMAIL: ' Boss@Example.com ',
      BOOTSTRAP_ADMIN_PASSWORD: 'the first admin password',
      AUTH_RATE_LIMIT_PER_ACCOUNT: '5',
      AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING: '40',
      SEED_DEMO_DATA: 'no',
      DEBUG_ERRORS: '1',
      GRAPHQL_INTROSPECTION: '0',
      MAX_BODY_BYTES: '2048',
      CORS_ORIGINS: 'https://shop.example.com, http://localhost:5173',
      CHECKOUT_LOCKING: 'pessimistic',
      JWT_SECRET: STRONG,
      TOTP_ENCRYPTION_KEY: OTHER_STRONG,
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      reservationTtlSeconds: 60,
      holdSweepIntervalMs: 0,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 50 },
      jwt: { secret: STRONG, issuer: 'iss', audience: 'aud', expiresInSeconds: 600 },
      totpEncryptionKey: OTHER_STRONG,
      bootstrapAdmin: { email: 'boss@example.com', password: 'the first admin password' },
      rateLimits: { authPerAccount: 5, authPerAccountCeiling: 40 },
      seedDemoData: false,
      debugErrors: true,
      introspection: false,
      maxBodyBytes: 2048,
      corsOrigins: ['https://shop.example.com', 'http://localhost:5173'],
      checkoutLocking: 'pessimistic',
    });
    expect(loadConfig({}).config.checkoutLocking).toBe('optimistic');
  });
});

describe('admin accounts', () => {
  it('defaults to a per-account × IP sign-in limit of 10 and a per-account ceiling of 100', () => {
    expect(loadConfig({}).config.rateLimits).toMatchObject({ authPerAccount: 10, authPerAccountCeiling: 100, authPerIp: 50, authWindowSeconds: 900 });
  });

  it.each([['boss@example.com'], ['a@b.co,c@d.co']])('refuses to start with ADMIN_EMAILS set (%j), saying what replaced it', (value) => {
    const error = configError({ ADMIN_EMAILS: value });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^ADMIN_EMAILS is no longer supported/);
    expect(error.problems[0]).toContain('npm run make-admin -- <email>');
    expect(error.problems[0]).toContain('BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD');
    // Set but empty (as a compose file passes an unset variable) is no list: accepted.
    expect(loadConfig({ ADMIN_EMAILS: ' ' }).config.bootstrapAdmin).toBeNull();
  });

  it('reports every BOOTSTRAP_ADMIN_* problem at once, never echoing the password', () => {
    expect(configError({ BOOTSTRAP_ADMIN_EMAIL: 'boss@example.com' }).problems).toEqual([
      'BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD must be set together (or neither)',
    ]);
    expect(configError({ BOOTSTRAP_ADMIN_PASSWORD: 'a long enough password' }).problems).toEqual([
      'BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD must be set together (or neither)',
    ]);
    const error = configError({ BOOTSTRAP_ADMIN_EMAIL: 'not-an-email', BOOTSTRAP_ADMIN_PASSWORD: 'short7!', ADMIN_EMAILS: 'x@example.com' });
    expect(error.problems).toEqual([
      'BOOTSTRAP_ADMIN_EMAIL must be a valid email address (got "not-an-email")',
      'BOOTSTRAP_ADMIN_PASSWORD must be 8 to 128 characters',
      expect.stringMatching(/^ADMIN_EMAILS is no longer supported/),
    ]);
    expect(error.message).not.toContain('short7!');
    expect(configError({ BOOTSTRAP_ADMIN_EMAIL: 'a@b.co', BOOTSTRAP_ADMIN_PASSWORD: 'p'.repeat(129) }).problems).toEqual([
      'BOOTSTRAP_ADMIN_PASSWORD must be 8 to 128 characters',
    ]);
  });
});

describe('DATABASE_URL', () => {
  it('parses a mysql:// URL (credentials, host, port, database) and turns demo seeding off by default', () => {
    const { config } = loadConfig({ DATABASE_URL: 'mysql://shop:p%40ss@db.internal:3307/flashsale', DATABASE_POOL_SIZE: '25' });
    expect(config.database).toEqual({ kind: 'mysql', url: 'mysql://shop:p%40ss@db.internal:3307/flashsale', poolSize: 25, preparedStatements: 64 });
    expect(loadConfig({ DATABASE_URL: 'mysql://shop@db.internal/flashsale', DATABASE_PREPARED_STATEMENTS: '0' }).config.database.preparedStatements).toBe(0);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://shop@db.internal/flashsale', DATABASE_PREPARED_STATEMENTS: '20000' })).toThrow(
      'DATABASE_PREPARED_STATEMENTS must be an integer between 0 and 16382 (got "20000")',
    );
    const url = new URL(config.database.url);
    expect([url.hostname, url.port, url.username, decodeURIComponent(url.password), url.pathname]).toEqual([
      'db.internal',
      '3307',
      'shop',
      'p@ss',
      '/flashsale',
    ]);
    expect(config.seedDemoData).toBe(false);
  });

  it('accepts mariadb:// as MySQL', () => {
    expect(loadConfig({ DATABASE_URL: 'mariadb://root@localhost/shop' }).config.database).toMatchObject({
      kind: 'mysql',
      url: 'mysql://root@localhost/shop',
    });
  });

  it('treats a path, sqlite:// or file:// as an SQLite file', () => {
    const file = path.join(os.tmpdir(), 'x', 'shop.sqlite');
    for (const raw of [file, `sqlite://${file}`, `file://${file}`]) {
      expect(loadConfig({ DATABASE_URL: raw }).config.database).toEqual({ kind: 'sqlite', url: `sqlite://${file}`, sqlitePath: file, poolSize: 1, preparedStatements: 0 });
    }
    expect(loadConfig({ DATABASE_URL: 'shop.sqlite' }).config.database.sqlitePath).toBe(path.resolve('shop.sqlite'));
  });

  it.each([
    ['mysql://root@localhost', /DATABASE_URL must name a database/],
    ['mysql://root@localhost/', /DATABASE_URL must name a database/],
    ['mysql://[bad', /DATABASE_URL is not a valid mysql:\/\/ URL/],
    ['postgres://u@h/db', /DATABASE_URL must be mysql:\/\/… or a SQLite file path \(got scheme "postgres"\)/],
  ])('refuses %s', (raw, message) => {
    const error = configError({ DATABASE_URL: raw });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(message);
  });

  it('refuses several workers on SQLite', () => {
    expect(configError({ WORKERS: '4' }).problems).toEqual(['WORKERS > 1 needs MySQL: the embedded SQLite database is for a single process']);
    expect(loadConfig({ WORKERS: '4', DATABASE_URL: 'mysql://root@localhost/shop' }).config.workers).toBe(4);
  });

  it('reads the WebSocket limits (10 subscriptions per connection, 20 connections per IP; 0 turns one off)', () => {
    expect(loadConfig({}).config.webSocket).toEqual({ maxSubscriptionsPerConnection: 10, maxConnectionsPerIp: 20 });
    expect(loadConfig({ WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '0', WS_MAX_CONNECTIONS_PER_IP: '3' }).config.webSocket).toEqual({ maxSubscriptionsPerConnection: 0, maxConnectionsPerIp: 3 });
    expect(configError({ WS_MAX_CONNECTIONS_PER_IP: '-1' }).problems).toEqual(['WS_MAX_CONNECTIONS_PER_IP must be an integer between 0 and 1000000 (got "-1")']);
  });

  it('reads METRICS_TOKEN (at least 16 bytes, never echoed) and METRICS_PUBLIC', () => {
    expect(loadConfig({}).config.metrics).toEqual({ token: null, public: false, maxOperationNames: 200 });
    expect(loadConfig({ METRICS_TOKEN: 'a-metrics-token-0123', METRICS_PUBLIC: '1', METRICS_MAX_OPERATION_NAMES: '5' }).config.metrics).toEqual({
      token: 'a-metrics-token-0123',
      public: true,
      maxOperationNames: 5,
    });
    const error = configError({ METRICS_TOKEN: 'short-tok', METRICS_PUBLIC: 'maybe' });
    expect(error.problems).toEqual(['METRICS_PUBLIC must be 1/true/yes/on or 0/false/no/off (got "maybe")', 'METRICS_TOKEN must be at least 16 bytes']);
    expect(error.message).not.toContain('short-tok');
  });
});

describe('bad values', () => {
  it('lists every problem at once in one ConfigError', () => {
    const error = configError({
      PORT: 'http',
      RESERVATION_TTL_SECONDS: '0',
      HOLD_SWEEP_INTERVAL_MS: '-1',
      RETRY_MAX_ATTEMPTS: '2.5',
      JWT_EXPIRES_IN_SECONDS: '10',
      WORKERS: '100',
      MAX_BODY_BYTES: '12',
      DATABASE_POOL_SIZE: '0',
      SEED_DEMO_DATA: 'maybe',
      DATABASE_URL: 'postgres://u@h/db',
      CHECKOUT_LOCKING: 'sometimes',
    });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems).toEqual([
      'DATABASE_POOL_SIZE must be an integer between 1 and 500 (got "0")',
      'DATABASE_URL must be mysql://… or a SQLite file path (got scheme "postgres")',
      'PORT must be an integer between 0 and 65535 (got "http")',
      'JWT_EXPIRES_IN_SECONDS must be an integer between 60 and 2592000 (got "10")',
      'RESERVATION_TTL_SECONDS must be an integer between 1 and 86400 (got "0")',
      'HOLD_SWEEP_INTERVAL_MS must be an integer between 0 and 3600000 (got "-1")',
      'RETRY_MAX_ATTEMPTS must be an integer between 1 and 100 (got "2.5")',
      'SEED_DEMO_DATA must be 1/true/yes/on or 0/false/no/off (got "maybe")',
      'WORKERS must be an integer between 1 and 64 (got "100")',
      'MAX_BODY_BYTES must be an integer between 1024 and 50000000 (got "12")',
      'CHECKOUT_LOCKING must be optimistic or pessimistic (got "sometimes")',
    ]);
    expect(error.message.split('\n')).toEqual(['Invalid configuration:', ...error.problems.map((p) => `  - ${p}`)]);
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ PORT: '', RESERVATION_TTL_SECONDS: ' ', SEED_DEMO_DATA: '' }).config).toMatchObject({
      port: 4000,
      reservationTtlSeconds: 900,
      seedDemoData: true,
    });
  });
});

describe('NODE_ENV=production', () => {
  const prod = { NODE_ENV: 'production', DATABASE_URL: 'mysql://app@db/shop' };

  it('refuses to boot without JWT_SECRET and TOTP_ENCRYPTION_KEY', () => {
    expect(configError(prod).problems).toEqual([
      'JWT_SECRET is required when NODE_ENV=production (at least 32 bytes)',
      'TOTP_ENCRYPTION_KEY is required when NODE_ENV=production (at least 32 bytes)',
    ]);
  });

  it('refuses secrets shorter than 32 bytes, without echoing them', () => {
    const weak = 'weak-secret-31-bytes-0123456789';
    expect(Buffer.byteLength(weak)).toBe(31);
    const error = configError({ ...prod, JWT_SECRET: weak, TOTP_ENCRYPTION_KEY: 'hunter2' });
    expect(error.problems).toEqual([
      'JWT_SECRET is too weak: it must be at least 32 bytes',
      'TOTP_ENCRYPTION_KEY is too weak: it must be at least 32 bytes',
    ]);
    expect(error.message).not.toContain(weak);
    expect(error.message).not.toContain('hunter2');
  });

  it('boots with two strong secrets, introspection off unless asked for', () => {
    const { config, warnings } = loadConfig({ ...prod, JWT_SECRET: STRONG, TOTP_ENCRYPTION_KEY: OTHER_STRONG });
    expect(config).toMatchObject({ production: true, introspection: false, jwt: { secret: STRONG }, totpEncryptionKey: OTHER_STRONG });
    expect(warnings).toEqual([]);
    expect(loadConfig({ ...prod, JWT_SECRET: STRONG, TOTP_ENCRYPTION_KEY: OTHER_STRONG, GRAPHQL_INTROSPECTION: '1' }).config.introspection).toBe(true);
  });

  it('the server process (dist/src/main.js) exits non-zero with a clear message and prints no secret', async () => {
    const main = path.join(__dirname, '..', 'dist', 'src', 'main.js');
    expect(fs.existsSync(main)).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-config-'));
    const weak = 'weak-but-visible-secret';
    const run = (extra: Record<string, string>) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(process.execPath, [main], {
          env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', DATABASE_URL: path.join(dir, 'db.sqlite'), PORT: '0', ...extra },
          cwd: dir, // away from a developer's .env
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, output });
        });
      });
    try {
      const missing = await run({});
      expect(missing.code).toBe(1);
      expect(missing.output).toContain('Invalid configuration');
      expect(missing.output).toContain('JWT_SECRET is required when NODE_ENV=production');
      expect(missing.output).toContain('TOTP_ENCRYPTION_KEY is required when NODE_ENV=production');
      expect(missing.output).not.toMatch(/listening/);

      const verbose = await run({ JWT_SECRET: STRONG, TOTP_ENCRYPTION_KEY: OTHER_STRONG, LOG_LEVEL: 'verbose' });
      expect(verbose.code).toBe(1);
      expect(verbose.output).toContain('LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent (got "verbose")');

      const short = await run({ JWT_SECRET: weak, TOTP_ENCRYPTION_KEY: STRONG });
      expect(short.code).toBe(1);
      expect(short.output).toContain('JWT_SECRET is too weak');
      expect(short.output).not.toContain(weak);
      expect(short.output).not.toContain(STRONG);
      // It stopped before touching the database.
      expect(fs.existsSync(path.join(dir, 'db.sqlite'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bounded waits (DATABASE_*_TIMEOUT_MS, READYZ_TIMEOUT_MS, BUY_NOW_QUEUE_*)', () => {
  it('has defaults, reads what it is given, and reports every bad value at once', () => {
    expect(loadConfig({}).config).toMatchObject({
      databaseTimeouts: { statementMs: 5000, queryMs: 8000, acquireMs: 8000, connectMs: 3000, readyMs: 1500 },
      buyNowQueue: { maxWaiting: 1000, maxWaitMs: 5000 },
    });
    const { config } = loadConfig({
      DATABASE_STATEMENT_TIMEOUT_MS: '0',
      DATABASE_QUERY_TIMEOUT_MS: '2000',
      DATABASE_ACQUIRE_TIMEOUT_MS: '1500',
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      READYZ_TIMEOUT_MS: '500',
      BUY_NOW_QUEUE_MAX_WAITING: '3',
      BUY_NOW_QUEUE_MAX_WAIT_MS: '250',
    });
    expect(config.databaseTimeouts).toEqual({ statementMs: 0, queryMs: 2000, acquireMs: 1500, connectMs: 1000, readyMs: 500 });
    expect(config.buyNowQueue).toEqual({ maxWaiting: 3, maxWaitMs: 250 });

    let error: ConfigError | undefined;
    try {
      loadConfig({ DATABASE_ACQUIRE_TIMEOUT_MS: '10', READYZ_TIMEOUT_MS: 'soon', BUY_NOW_QUEUE_MAX_WAITING: '0', DATABASE_STATEMENT_TIMEOUT_MS: '5000', DATABASE_QUERY_TIMEOUT_MS: '1000' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems).toEqual([
      'DATABASE_ACQUIRE_TIMEOUT_MS must be an integer between 100 and 600000 (got "10")',
      'READYZ_TIMEOUT_MS must be an integer between 100 and 60000 (got "soon")',
      'BUY_NOW_QUEUE_MAX_WAITING must be an integer between 1 and 1000000 (got "0")',
      // The rules between variables come after every variable was judged on its own.
      'DATABASE_QUERY_TIMEOUT_MS must be at least DATABASE_STATEMENT_TIMEOUT_MS',
    ]);
  });
});

describe('shared transactions (UNIT_GROUP_*)', () => {
  it('shares on MySQL by default, never on SQLite, and reports bad values', () => {
    const mysqlUrl = { DATABASE_URL: 'mysql://root@127.0.0.1:3306/x' };
    expect(loadConfig(mysqlUrl).config.unitGroups).toEqual({ maxMembers: 32, maxRunning: 1, maxWaiting: 1000, maxWaitMs: 5000 });
    expect(loadConfig({}).config.unitGroups.maxMembers).toBe(1);
    expect(loadConfig({ ...mysqlUrl, UNIT_GROUP_MAX_MEMBERS: '1', UNIT_GROUP_MAX_RUNNING: '3', UNIT_GROUP_MAX_WAITING: '5', UNIT_GROUP_MAX_WAIT_MS: '100' }).config.unitGroups).toEqual({
      maxMembers: 1,
      maxRunning: 3,
      maxWaiting: 5,
      maxWaitMs: 100,
    });
    expect(() => loadConfig({ ...mysqlUrl, UNIT_GROUP_MAX_MEMBERS: '0' })).toThrow('UNIT_GROUP_MAX_MEMBERS must be an integer between 1 and 1000 (got "0")');
  });
});

describe('.env', () => {
  it('the server process loads .env from its working directory, and a variable of the real environment wins over the file', () => {
    const main = path.join(__dirname, '..', 'dist', 'src', 'main.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-dotenv-'));
    // Bad values only, so that the process stops at its configuration check and never serves.
    fs.writeFileSync(path.join(dir, '.env'), 'WORKERS=from-dotenv\nDATABASE_POOL_SIZE=also-from-dotenv\n');
    const run = (extra: Record<string, string>) => {
      try {
        execFileSync(process.execPath, [main], { cwd: dir, env: { PATH: process.env.PATH ?? '', DATABASE_URL: path.join(dir, 'db.sqlite'), PORT: '0', HOST: '127.0.0.1', ...extra }, encoding: 'utf8', stdio: 'pipe', timeout: 20_000 });
        return 'started';
      } catch (error) {
        return (error as { stderr: string }).stderr;
      }
    };
    try {
      const fromFile = run({});
      expect(fromFile).toContain('WORKERS must be an integer between 1 and 64 (got "from-dotenv")');
      expect(fromFile).toContain('DATABASE_POOL_SIZE must be an integer between 1 and 500 (got "also-from-dotenv")');
      const overridden = run({ WORKERS: '1' });
      expect(overridden).not.toContain('WORKERS must be');
      expect(overridden).toContain('DATABASE_POOL_SIZE must be an integer between 1 and 500 (got "also-from-dotenv")');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the schema (booleans, enums, origins, log settings)', () => {
  it.each([['true'], ['TRUE'], ['1'], ['yes'], ['On']])('GRAPHQL_INTROSPECTION=%s turns introspection on in production; DEBUG_ERRORS and ORM_DEBUG take the same words', (word) => {
    const prod = { NODE_ENV: 'production', DATABASE_URL: 'mysql://app@db/shop', JWT_SECRET: STRONG, TOTP_ENCRYPTION_KEY: OTHER_STRONG };
    expect(loadConfig({ ...prod, GRAPHQL_INTROSPECTION: word }).config.introspection).toBe(true);
    expect(loadConfig({ DEBUG_ERRORS: word, ORM_DEBUG: word }).config).toMatchObject({ debugErrors: true, ormDebug: true });
  });

  it.each([['false'], ['0'], ['No'], ['OFF']])('GRAPHQL_INTROSPECTION=%s turns it off outside production', (word) => {
    expect(loadConfig({ GRAPHQL_INTROSPECTION: word, DEBUG_ERRORS: word, ORM_DEBUG: word }).config).toMatchObject({ introspection: false, debugErrors: false, ormDebug: false });
  });

  it('reads LOG_LEVEL (one of pino\'s levels) and LOG_FORMAT (auto, json, pretty)', () => {
    expect(loadConfig({}).config.log).toEqual({ level: 'info', format: 'auto' });
    expect(loadConfig({ LOG_LEVEL: 'trace', LOG_FORMAT: 'pretty' }).config.log).toEqual({ level: 'trace', format: 'pretty' });
    expect(loadConfig({ LOG_LEVEL: 'fatal', LOG_FORMAT: 'json' }).config.log).toEqual({ level: 'fatal', format: 'json' });
  });

  it('refuses LOG_LEVEL=verbose (it is no pino level) instead of falling back to info', () => {
    expect(configError({ LOG_LEVEL: 'verbose' }).problems).toEqual(['LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent (got "verbose")']);
    expect(configError({ LOG_FORMAT: 'xml' }).problems).toEqual(['LOG_FORMAT must be one of auto, json, pretty (got "xml")']);
  });

  it('reports two bad values of the new kinds together, with the old ones', () => {
    const error = configError({ LOG_LEVEL: 'verbose', GRAPHQL_INTROSPECTION: 'maybe', ORM_DEBUG: '2', PORT: '-1' });
    expect(error.problems).toEqual([
      'PORT must be an integer between 0 and 65535 (got "-1")',
      'GRAPHQL_INTROSPECTION must be 1/true/yes/on or 0/false/no/off (got "maybe")',
      'LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent (got "verbose")',
      'ORM_DEBUG must be 1/true/yes/on or 0/false/no/off (got "2")',
    ]);
  });

  it('checks CORS_ORIGINS: origins as a browser sends them (no path, no trailing slash) or *', () => {
    expect(loadConfig({ CORS_ORIGINS: '*' }).config.corsOrigins).toEqual(['*']);
    expect(loadConfig({ CORS_ORIGINS: 'http://localhost:5173,https://shop.example.com' }).config.corsOrigins).toEqual(['http://localhost:5173', 'https://shop.example.com']);
    for (const bad of ['https://shop.example.com/', 'shop.example.com', 'https://shop.example.com/app']) {
      expect(configError({ CORS_ORIGINS: bad }).problems).toEqual([`CORS_ORIGINS must be a comma list of origins (scheme://host[:port], no path) or * (got "${bad}")`]);
    }
  });

  it('documents every variable it reads in docs/CONFIGURATION.md, and nothing it does not read', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'CONFIGURATION.md'), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1]));
    expect([...CONFIG_VARIABLES].sort()).toEqual([...documented].sort());
  });
});
