import type { LoggerNamespace, Options } from '@mikro-orm/core';
import { defineConfig as defineMysql } from '@mikro-orm/mysql';
import { defineConfig as defineSqlite } from '@mikro-orm/better-sqlite';
import { Migrator } from '@mikro-orm/migrations';
import fs from 'node:fs';
import path from 'node:path';
import { ENTITIES } from '../entities';
import type { AppConfig, DatabaseTimeouts } from './env';
import { stripLiterals } from '../common/safe-error';
import { logger } from './logger';

const MIGRATIONS_DIR = path.join(__dirname, '..', 'migrations');
/** The repository root, whether this file runs from src/config or from dist/src/config. */
const REPO_ROOT = fs.existsSync(path.join(__dirname, '..', '..', 'package.json'))
  ? path.join(__dirname, '..', '..')
  : path.join(__dirname, '..', '..', '..');

/** knex's own messages (plain strings such as "Connection Error: …"), as JSON lines of our logger. */
const knexLog = {
  debug: (message: unknown) => logger.debug('knex', { detail: stripLiterals(String(message)) }),
  warn: (message: unknown) => logger.warn('knex', { detail: stripLiterals(String(message)) }),
  error: (message: unknown) => logger.error('knex', { detail: stripLiterals(String(message)) }),
  deprecate: (method: unknown, alternative: unknown) => logger.warn('knex deprecation', { detail: `${String(method)} is deprecated: use ${String(alternative)}` }),
};

type QueryCallback = (error: (Error & { code?: string }) | null, ...rest: unknown[]) => void;

/** mysql2's code for a statement that got no answer within its `timeout` (db/faults.ts: SERVICE_UNAVAILABLE). */
const CLIENT_TIMEOUT = 'PROTOCOL_SEQUENCE_TIMEOUT';
interface Mysql2Connection {
  query(sql: unknown, values?: unknown, callback?: unknown): unknown;
  execute(sql: unknown, values?: unknown, callback?: unknown): unknown;
  destroy(): void;
}

/**
 * Every statement on `connection` gets mysql2's client-side `timeout` (the caller's own, if it set
 * one, wins), for knex's queries and ours (db/sql.ts) alike. A connection whose statement timed out
 * is destroyed: the server may still be running that statement (or frozen), so the next user of the
 * connection would queue behind it; the pool then opens a fresh one, and the server rolls back what
 * the dead connection had not committed.
 */
function boundQueries(connection: Mysql2Connection, timeoutMs: number): void {
  const query = connection.query.bind(connection);
  connection.query = (sql: unknown, values?: unknown, callback?: unknown) => {
    const options = typeof sql === 'string' ? { sql, timeout: timeoutMs } : { timeout: timeoutMs, ...(sql as object) };
    const [params, done] = typeof values === 'function' ? [undefined, values as QueryCallback] : [values, callback as QueryCallback | undefined];
    if (!done) return query(options, params);
    return query(options, params, (error: (Error & { code?: string }) | null, ...rest: unknown[]) => {
      if (error?.code === CLIENT_TIMEOUT) connection.destroy();
      done(error, ...rest);
    });
  };
  // A prepared statement (db/sql.ts): mysql2 times only the EXECUTE, not the PREPARE before it, so
  // the whole of it gets one timer here, with the same outcome as a query's timeout.
  const execute = connection.execute.bind(connection);
  connection.execute = (sql: unknown, values?: unknown, callback?: unknown) => {
    const done = callback as QueryCallback;
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      connection.destroy();
      done(Object.assign(new Error('Query inactivity timeout'), { code: CLIENT_TIMEOUT, fatal: true }));
    }, timeoutMs);
    return execute(sql, values, (error: (Error & { code?: string }) | null, ...rest: unknown[]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done(error, ...rest);
    });
  };
}

/**
 * The pool's `afterCreate`: the client-side statement limit, then the session's server-side one.
 * MariaDB limits every statement (`max_statement_time`, seconds); MySQL only reads
 * (`max_execution_time`, ms), so there the client-side timeout is what bounds writes. The server's
 * flavour is asked once, on the first connection.
 */
function sessionSetup(timeouts: DatabaseTimeouts) {
  let flavour: Promise<'mariadb' | 'mysql'> | undefined;
  const run = (connection: Mysql2Connection, sql: string) =>
    new Promise<unknown>((resolve, reject) => connection.query(sql, [], (error: Error | null, rows: unknown) => (error ? reject(error) : resolve(rows))));
  return (connection: Mysql2Connection, done: (error: Error | null, connection: unknown) => void) => {
    // Bounded first: the setup statements below must not hang on a database that froze after the handshake.
    if (timeouts.queryMs > 0) boundQueries(connection, timeouts.queryMs);
    void (async () => {
      if (timeouts.statementMs > 0) {
        flavour ??= run(connection, 'SELECT VERSION() AS v').then((rows) => (/mariadb/i.test(String((rows as { v: unknown }[])[0]?.v)) ? 'mariadb' : 'mysql'));
        flavour.catch(() => (flavour = undefined));
        const kind = await flavour;
        await run(connection, kind === 'mariadb' ? `SET SESSION max_statement_time = ${timeouts.statementMs / 1000}` : `SET SESSION max_execution_time = ${timeouts.statementMs}`);
      }
    })().then(
      () => done(null, connection),
      (error: Error) => done(error, connection),
    );
  };
}

/** MikroORM options for the configured database. The same entities serve MySQL and SQLite. */
export function buildOrmOptions(config: AppConfig): Options {
  const common = {
    entities: ENTITIES,
    discovery: { warnWhenNoEntities: true },
    // Debug SQL goes through our logger only when asked, and only the statements: `debug: true`
    // would enable the `query-params` namespace too, which inlines the values (password hashes,
    // emails) into each logged statement.
    debug: config.ormDebug ? (['query', 'info'] as LoggerNamespace[]) : false,
    colors: false,
    logger: (msg: string) => logger.debug('orm', { sql: msg }),
    forceUtcTimezone: true,
    allowGlobalContext: false,
    serialization: { forceObject: true },
  };
  const timeouts = config.databaseTimeouts;
  if (config.database.kind === 'mysql') {
    // `?socketPath=/run/mysqld/mysqld.sock`: a database on the same host over its Unix socket, which
    // costs the server far less CPU per statement than TCP loopback (docs/BENCHMARKS.md).
    const socketPath = new URL(config.database.url).searchParams.get('socketPath');
    return defineMysql({
      ...common,
      clientUrl: config.database.url,
      // A unit of work sends the statements that need no answer in between as one query
      // (db/sql.ts `batch`, `prefix`): one round trip instead of several. Every value is still
      // bound by the driver's escaping, never spliced into the text (docs/SECURITY.md).
      multipleStatements: true,
      driverOptions: {
        connection: {
          connectTimeout: timeouts.connectMs,
          // db/sql.ts sends a statement that goes alone as a prepared one when this is above 0.
          maxPreparedStatements: config.database.preparedStatements,
          ...(socketPath ? { socketPath } : {}),
        },
        acquireConnectionTimeout: timeouts.acquireMs,
        log: knexLog,
      },
      pool: { min: 0, max: config.database.poolSize, afterCreate: sessionSetup(timeouts) },
      timezone: '+00:00',
      extensions: [Migrator],
      migrations: {
        path: MIGRATIONS_DIR,
        pathTs: path.join(REPO_ROOT, 'src', 'migrations'),
        glob: '!(*.d).{js,ts}',
        // MySQL commits DDL implicitly, so a migration transaction would promise what it cannot keep.
        transactional: false,
        allOrNothing: false,
        snapshot: false,
        emit: 'ts',
      },
    });
  }
  const file = config.database.sqlitePath ?? ':memory:';
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  return defineSqlite({ ...common, dbName: file, driverOptions: { log: knexLog } });
}
