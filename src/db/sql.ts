import { logger } from '../config/logger';
import type { Em } from './context';

/**
 * The parameterised SQL the services run. Statements go straight to the driver connection that
 * MikroORM's pool (or its transaction) holds, not through `em.execute`: on the checkout hot path
 * the ORM's per-statement layers (query formatting, knex raw, logging hooks) cost several times
 * the driver call itself (docs/BENCHMARKS.md § Findings). Pooling and error types stay MikroORM's:
 * a unit of work is a transaction on a connection of the ORM's pool (`beginTransaction`), and
 * driver errors are converted by MikroORM's exception converter, so
 * `UniqueConstraintViolationException` and friends mean the same on both paths.
 */

/** A row as the driver returns it (MySQL and SQLite differ in number/string types). */
export type Row = Record<string, unknown>;

/** A numeric column as a number (drivers may return strings or bigints; NULL is 0). */
export const num = (value: unknown): number => Number(value ?? 0);

/** `?,?,…` placeholders for an IN list of `count` values. */
export const marks = (count: number): string => Array.from({ length: count }, () => '?').join(',');

/** ` FOR UPDATE` on MySQL (a locking read of the latest committed row, not the snapshot); nothing on SQLite, which serialises writers. */
export const currentRead = (sql: Sql): string => (sql.kind === 'mysql' ? ' FOR UPDATE' : '');

/**
 * The database server's clock as epoch milliseconds, as an SQL expression: what flash-sale
 * windows are compared with, so that processes with skewed clocks agree (MySQL: NOW(3) of the
 * statement; SQLite: its own 'now', fixed for the statement).
 */
export const dbNowMs = (sql: Sql): string =>
  sql.kind === 'mysql' ? 'CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)' : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

interface RunResult {
  /** Rows the statement matched (MySQL reports found rows, as version checks need). */
  affectedRows: number;
  insertId: number;
}

/** One database session: a transaction's connection, or the pool (one connection per statement). */
export interface Sql {
  readonly kind: 'mysql' | 'sqlite';
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  get(sql: string, params?: readonly unknown[]): Promise<Row | undefined>;
  run(sql: string, params?: readonly unknown[]): Promise<RunResult>;
  /** A timestamp as the datetime columns store it (MySQL: DATETIME; SQLite: epoch ms). */
  date(value: Date): unknown;
}

interface MysqlResultHeader {
  affectedRows: number;
  insertId: number;
}
interface MysqlConnection {
  query(sql: string, params: readonly unknown[], callback: (error: Error | null, result: unknown) => void): void;
}
interface SqliteStatement {
  reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
}

type Execute = (sql: string, params: readonly unknown[]) => Promise<Row[] | RunResult>;

function mysqlExecute(connection: MysqlConnection, sql: string, params: readonly unknown[]): Promise<Row[] | RunResult> {
  return new Promise((resolve, reject) => {
    connection.query(sql, params, (error, result) => {
      if (error) return reject(error);
      if (Array.isArray(result)) return resolve(result as Row[]);
      const header = result as MysqlResultHeader;
      resolve({ affectedRows: header.affectedRows, insertId: header.insertId });
    });
  });
}

/** better-sqlite3 compiles a statement once per text; the texts we run are few (IN lists aside). */
const sqliteStatements = new WeakMap<SqliteDatabase, Map<string, SqliteStatement>>();
const SQLITE_STATEMENT_CACHE = 500;

function sqliteExecute(db: SqliteDatabase, sql: string, params: readonly unknown[]): Row[] | RunResult {
  let cache = sqliteStatements.get(db);
  if (!cache) sqliteStatements.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) {
    if (cache.size >= SQLITE_STATEMENT_CACHE) cache.clear();
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  // better-sqlite3 binds neither booleans nor dates: the same conversions as the ORM's knex client.
  const bound = params.map((p) => (p instanceof Date ? p.getTime() : typeof p === 'boolean' ? Number(p) : p));
  if (statement.reader) return statement.all(...bound) as Row[];
  const result = statement.run(...bound);
  return { affectedRows: result.changes, insertId: Number(result.lastInsertRowid) };
}

class DriverSql implements Sql {
  constructor(
    readonly kind: 'mysql' | 'sqlite',
    private readonly execute: Execute,
    private readonly platformDate: (value: Date) => unknown,
  ) {}

  async all(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const result = await this.execute(sql, params);
    return Array.isArray(result) ? result : [];
  }

  async get(sql: string, params: readonly unknown[] = []): Promise<Row | undefined> {
    return (await this.all(sql, params))[0];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<RunResult> {
    const result = await this.execute(sql, params);
    return Array.isArray(result) ? { affectedRows: result.length, insertId: 0 } : result;
  }

  date(value: Date): unknown {
    return this.platformDate(value);
  }
}

interface KnexClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown> | unknown;
  /** One statement on `connection`, without knex's query builder, events or transaction layers. */
  _query(connection: unknown, obj: { sql: string }): Promise<unknown>;
}

const platformKind = (em: Em): 'mysql' | 'sqlite' => (em.getPlatform().constructor.name.toLowerCase().includes('sqlite') ? 'sqlite' : 'mysql');

function sqlOn(em: Em, acquire: () => Promise<unknown>, release: (connection: unknown) => unknown): Sql {
  const kind = platformKind(em);
  const driver = em.getDriver();
  const platform = em.getPlatform();
  // ORM_DEBUG (config.ormDebug turns the ORM's debug on): log each statement, never its values.
  const debugSql = Boolean(em.config.get('debug'));
  const execute: Execute = async (sql, params) => {
    if (debugSql) logger.debug('sql', { sql });
    let connection: unknown;
    try {
      // A failed acquisition (connection refused, pool wait timed out) is a driver error like any other.
      connection = await acquire();
      return kind === 'mysql'
        ? await mysqlExecute(connection as MysqlConnection, sql, params)
        : sqliteExecute(connection as SqliteDatabase, sql, params);
    } catch (error) {
      throw driver.convertException(error as Error);
    } finally {
      if (connection !== undefined) await release(connection);
    }
  };
  return new DriverSql(kind, execute, (value) => platform.processDateProperty(value));
}

const pooled = new WeakMap<object, Sql>();

/**
 * The session for `em`: inside `em.transactional` (the seed, the stock audit, the test kit) the
 * transaction's own connection (so every statement is part of it); outside, the pool, one
 * connection per statement (autocommit). Units of work get theirs from `beginTransaction`.
 */
export function sqlFor(em: Em): Sql {
  const trx = em.getTransactionContext() as { client: KnexClient; isCompleted(): boolean } | undefined;
  if (trx) {
    const connection = trx.client.acquireConnection();
    const live = () => {
      // After COMMIT/ROLLBACK the connection is back in the pool, maybe someone else's: never use it.
      if (trx.isCompleted()) throw new Error('statement after the end of its transaction');
      return connection;
    };
    return sqlOn(em, live, () => undefined);
  }
  const client = em.getConnection().getKnex().client as KnexClient;
  let sql = pooled.get(client);
  if (!sql) {
    sql = sqlOn(em, () => client.acquireConnection(), (connection) => client.releaseConnection(connection));
    pooled.set(client, sql);
  }
  return sql;
}

/** A transaction on one pooled connection: its statements in `sql`, then exactly one of commit or rollback. */
export interface DriverTransaction {
  readonly sql: Sql;
  /** COMMIT. If it fails the outcome is unknown, and the connection is not used again. */
  commit(): Promise<void>;
  /** ROLLBACK (a failure is logged, and the connection is not used again). */
  rollback(): Promise<void>;
}

/**
 * BEGIN on a connection of the ORM's pool, without the ORM's transaction: what a unit of work runs
 * is only our SQL (repositories take a `Sql`, never an EntityManager), so `em.transactional`'s
 * fork, context and knex transaction object were pure cost on every shopper mutation
 * (docs/BENCHMARKS.md § Cart path). BEGIN, COMMIT and ROLLBACK still go through the knex client
 * (`_query`), so what watches it (the fault suite's COMMIT hook) sees them as before; errors are
 * MikroORM's converted exceptions, as on every statement of db/sql.ts. A connection whose COMMIT
 * or ROLLBACK failed is destroyed rather than pooled again: its session state is unknown.
 */
export async function beginTransaction(em: Em): Promise<DriverTransaction> {
  const kind = platformKind(em);
  const driver = em.getDriver();
  const client = em.getConnection().getKnex().client as KnexClient;
  const convert = (error: unknown) => driver.convertException(error as Error);
  let connection: unknown;
  try {
    connection = await client.acquireConnection();
  } catch (error) {
    throw convert(error);
  }
  let open = true;
  const end = async (statement: 'COMMIT' | 'ROLLBACK') => {
    open = false;
    try {
      await client._query(connection, { sql: statement });
    } catch (error) {
      // mysql2: a destroyed connection fails the pool's validation and is replaced. The one SQLite connection stays.
      if (kind === 'mysql') (connection as { destroy?: () => void }).destroy?.();
      throw convert(error);
    } finally {
      await client.releaseConnection(connection);
    }
  };
  try {
    await client._query(connection, { sql: 'BEGIN' });
  } catch (error) {
    open = false;
    if (kind === 'mysql') (connection as { destroy?: () => void }).destroy?.();
    await client.releaseConnection(connection);
    throw convert(error);
  }
  const live = () => {
    // After COMMIT/ROLLBACK the connection is back in the pool, maybe someone else's: never use it.
    if (!open) throw new Error('statement after the end of its transaction');
    return Promise.resolve(connection);
  };
  return {
    sql: sqlOn(em, live, () => undefined),
    commit: () => end('COMMIT'),
    rollback: () =>
      end('ROLLBACK').catch((error: unknown) => {
        logger.warn('rollback failed', { error: error as Error });
      }),
  };
}
