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

export interface RunResult {
  /** Rows the statement matched (MySQL reports found rows, as version checks need). */
  affectedRows: number;
  insertId: number;
}

/** One statement and its values. */
export interface Statement {
  sql: string;
  params?: readonly unknown[];
  /**
   * The stock row it write-locks, when it does: shared transactions (db/unit-group.ts) send their
   * members' statements of one round trip in this order, as a unit alone writes its rows in
   * ascending id, so that two groups do not take the same rows in opposite orders.
   */
  lockKey?: number;
}

/** What one statement of a batch answered: its rows (a read) or what it matched (a write). */
export type StatementResult = Row[] | RunResult;

/** The rows of a batch's read. */
export const rowsOf = (result: StatementResult | undefined): Row[] => (Array.isArray(result) ? result : []);

/** What a batch's write matched (a read counts its rows). */
export const runOf = (result: StatementResult | undefined): RunResult =>
  Array.isArray(result) ? { affectedRows: result.length, insertId: 0 } : (result ?? { affectedRows: 0, insertId: 0 });

/** One database session: a transaction's connection, or the pool (one connection per statement). */
export interface Sql {
  readonly kind: 'mysql' | 'sqlite';
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  get(sql: string, params?: readonly unknown[]): Promise<Row | undefined>;
  run(sql: string, params?: readonly unknown[]): Promise<RunResult>;
  /**
   * Runs `statements` in order in ONE round trip (MySQL: one multi-statement query; SQLite, which
   * is in the process, one after another) and returns each one's result. When one fails, the ones
   * after it are not run and the batch fails with its error; what ran before it is part of the
   * transaction, which the unit of work then rolls back. A statement that must not act when the
   * one before it matched nothing says so in its own SQL (`previousMatched`), because the
   * batch does not stop for a write that matched no row.
   */
  batch(statements: readonly Statement[]): Promise<StatementResult[]>;
  /**
   * A transaction's session only: sends `statement` just before this session's next statement (or
   * batch): in the same round trip as a text batch, or, when that next statement goes alone as a
   * prepared one, in a round trip of its own with the other waiting prefixes. `check` gets its
   * result and may throw, which fails that next statement with the thrown error. The unit's
   * prologue uses it: BEGIN and the write limiter's count, whose row lock serialises the shopper.
   */
  prefix(statement: Statement, check?: (result: StatementResult) => void): void;
  /**
   * A transaction's session only: a write whose answer nothing reads (the order's lines, the
   * emptied cart lines, a new hold row) goes with this session's next round trip like a prefix, and
   * when no statement follows it, in the same round trip as the COMMIT (MySQL: `…; COMMIT` as one
   * text query), which saves the unit a round trip. When it fails, the COMMIT after it does not run:
   * the unit of work rolls back and handles its error as any other statement's (a deadlock is
   * retried). Only for statements whose failure is an error, never a result to look at: what
   * matched is not reported.
   *
   * With `onResult`, a read: it gets the statement's rows when its round trip answers, which for
   * the unit's last statement is the COMMIT's (the cart a mutation answers with, read with the
   * COMMIT instead of in a round trip after it). It sees what the unit wrote and deferred before
   * it. Its rows are the unit's to use only once the unit committed: a unit that failed never
   * answers with them.
   */
  defer(statement: Statement, onResult?: (result: StatementResult) => void): void;
  /** A timestamp as the datetime columns store it (MySQL: DATETIME; SQLite: epoch ms). */
  date(value: Date): unknown;
}

/**
 * An SQL condition that holds when the statement just before this one (in the same session)
 * matched exactly `count` rows: how a statement of a batch depends on the guarded write before
 * it (the ledger row only if the stock write applied). MySQL's ROW_COUNT() counts found rows here
 * (the connection's FOUND_ROWS flag); SQLite's changes() counts the rows the statement changed.
 */
export const previousMatched = (sql: Sql, count = 1): string => (sql.kind === 'mysql' ? `ROW_COUNT() = ${count}` : `changes() = ${count}`);

interface MysqlResultHeader {
  affectedRows: number;
  insertId: number;
}
interface MysqlConnection {
  query(sql: string, params: readonly unknown[], callback: (error: Error | null, result: unknown) => void): void;
  execute(sql: string, params: readonly unknown[], callback: (error: Error | null, result: unknown) => void): void;
}
interface SqliteStatement {
  reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
}

/**
 * Server errors that a statement of a `…; COMMIT` batch can answer but the COMMIT cannot (a
 * deadlock, a lock wait timeout, a duplicate key, a foreign key, a bad value): when the batch
 * fails with one of these, the statement failed, the COMMIT did not run, and the transaction is
 * known not to have committed. Any other failure of that round trip leaves the outcome unknown.
 */
const STATEMENT_ERRORS = new Set([1213, 1205, 1062, 1451, 1452, 1216, 1217, 1048, 1364, 1406, 1264, 1366, 1969]);

/** A statement that was to go with the COMMIT failed, so the COMMIT never ran: the transaction did not commit (it was rolled back). */
export class DeferredStatementFailed extends Error {
  constructor(readonly cause: Error) {
    super(`a statement sent with COMMIT failed: ${cause.message}`);
    this.name = 'DeferredStatementFailed';
  }
}

/** `asText`: never as a prepared statement (BEGIN and the limiter's count, which go as a text batch). */
type Execute = (statements: readonly Statement[], asText?: boolean) => Promise<StatementResult[]>;

function toResult(result: unknown): StatementResult {
  if (Array.isArray(result)) return result as Row[];
  const header = result as MysqlResultHeader;
  return { affectedRows: header.affectedRows, insertId: header.insertId };
}

/** The statements as one query (the connection allows multiple statements), their results in order. */
function mysqlQuery(connection: MysqlConnection, statements: readonly Statement[]): Promise<StatementResult[]> {
  const one = statements.length === 1;
  const text = one ? statements[0].sql : statements.map((s) => s.sql).join(';\n');
  const params = one ? (statements[0].params ?? []) : statements.flatMap((s) => s.params ?? []);
  return new Promise((resolve, reject) => {
    connection.query(text, params, (error, result) => {
      if (error) return reject(error);
      if (one) return resolve([toResult(result)]);
      const results = result as unknown[];
      if (!Array.isArray(results) || results.length !== statements.length) {
        return reject(new Error(`a batch of ${statements.length} statements answered ${Array.isArray(results) ? results.length : 1} results`));
      }
      resolve(results.map(toResult));
    });
  });
}

/** The server has no room for another prepared statement (max_prepared_stmt_count), or cannot prepare this one. */
const NOT_PREPARABLE = new Set([1461, 1295]);

/**
 * One statement as a server-side prepared statement (binary protocol), which the connection keeps
 * (mysql2's per-connection LRU, DATABASE_PREPARED_STATEMENTS): the server parses its text once per
 * connection rather than on every run, about half its CPU for the joins of the cart path
 * (docs/BENCHMARKS.md § Third pass). Integers travel as doubles, which MySQL compares with
 * integer columns through their indexes. A statement the server will not prepare goes as text.
 */
function mysqlPrepared(connection: MysqlConnection, statement: Statement): Promise<StatementResult[]> {
  const params = (statement.params ?? []).map((p) => (p === undefined ? null : p));
  return new Promise((resolve, reject) => {
    connection.execute(statement.sql, params, (error, result) => {
      if (!error) return resolve([toResult(result)]);
      if (NOT_PREPARABLE.has(Number((error as { errno?: number }).errno))) return resolve(mysqlQuery(connection, [statement]));
      reject(error);
    });
  });
}

function mysqlExecute(connection: MysqlConnection, statements: readonly Statement[], prepared: boolean): Promise<StatementResult[]> {
  return prepared && statements.length === 1 ? mysqlPrepared(connection, statements[0]) : mysqlQuery(connection, statements);
}

/** Whether `em`'s MySQL connections keep prepared statements (DATABASE_PREPARED_STATEMENTS above 0). */
function usesPreparedStatements(em: Em): boolean {
  const options = em.config.get('driverOptions') as { connection?: { maxPreparedStatements?: number } } | undefined;
  return Number(options?.connection?.maxPreparedStatements ?? 0) > 0;
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

export interface Pending {
  statement: Statement;
  check?: (result: StatementResult) => void;
  /** A `defer`red statement: it may go with the COMMIT. */
  deferred?: boolean;
  /** A deferred read's receiver of its rows (`Sql.defer`). */
  onResult?: (result: StatementResult) => void;
}

/** Hands each sent waiting statement its result: a prefix to its check (which may throw), a deferred read to its receiver. */
export function answerPending(sent: readonly Pending[], results: readonly StatementResult[]): void {
  sent.forEach((p, i) => {
    p.check?.(results[i]);
    p.onResult?.(results[i]);
  });
}

/** `all`, `get` and `run` as one-statement batches: what every session shares, whatever its `batch` does. */
export abstract class BatchSql implements Sql {
  abstract readonly kind: 'mysql' | 'sqlite';
  abstract batch(statements: readonly Statement[]): Promise<StatementResult[]>;
  abstract prefix(statement: Statement, check?: (result: StatementResult) => void): void;
  abstract defer(statement: Statement, onResult?: (result: StatementResult) => void): void;
  abstract date(value: Date): unknown;

  async all(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return rowsOf((await this.batch([{ sql, params }]))[0]);
  }

  async get(sql: string, params: readonly unknown[] = []): Promise<Row | undefined> {
    return (await this.all(sql, params))[0];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<RunResult> {
    return runOf((await this.batch([{ sql, params }]))[0]);
  }
}

class DriverSql extends BatchSql {
  /** Statements waiting to go with the next round trip (a transaction's session only). */
  private readonly pending: Pending[] = [];

  constructor(
    readonly kind: 'mysql' | 'sqlite',
    private readonly execute: Execute,
    private readonly platformDate: (value: Date) => unknown,
    private readonly session: boolean,
    /** A statement that goes alone is a prepared one (DATABASE_PREPARED_STATEMENTS): waiting prefixes then go first, as text. */
    private readonly preparedAlone = false,
  ) {
    super();
  }

  async batch(statements: readonly Statement[]): Promise<StatementResult[]> {
    if (!this.pending.length) return statements.length ? this.execute(statements) : [];
    const before = this.pending.splice(0);
    // With prepared statements, a statement that goes alone costs the server far less parsing than as
    // part of a text batch (measured: the cart path's first reads), so the prefixes (BEGIN, the
    // limiter's count) take their own round trip and the statement keeps its prepared form.
    if (this.preparedAlone && statements.length === 1) {
      answerPending(before, await this.execute(before.map((p) => p.statement), true));
      return this.execute(statements);
    }
    const results = await this.execute([...before.map((p) => p.statement), ...statements], true);
    answerPending(before, results);
    return results.slice(before.length);
  }

  prefix(statement: Statement, check?: (result: StatementResult) => void): void {
    this.wait('prefix', { statement, check });
  }

  defer(statement: Statement, onResult?: (result: StatementResult) => void): void {
    this.wait('defer', { statement, deferred: true, onResult });
  }

  private wait(method: 'prefix' | 'defer', entry: Pending): void {
    if (!this.session) throw new Error(`${method}() needs a transaction: on the pool the next statement may be anyone's`);
    this.pending.push(entry);
  }

  /** Whether a waiting statement must be sent, and checked, before the COMMIT: a prefix other than `except` (deferred writes may go with it). */
  hasPendingBeforeCommit(except: string[] = []): boolean {
    return this.pending.some((p) => !p.deferred && !except.includes(p.statement.sql));
  }

  /** Takes the statements still waiting for a round trip (what COMMIT and ROLLBACK leave unsent). */
  takePending(): Pending[] {
    return this.pending.splice(0);
  }

  date(value: Date): unknown {
    return this.platformDate(value);
  }
}

interface KnexClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown> | unknown;
  /** One statement on `connection`, without knex's query builder, events or transaction layers. */
  _query(connection: unknown, obj: { sql: string; bindings?: readonly unknown[] }): Promise<unknown>;
}

const platformKind = (em: Em): 'mysql' | 'sqlite' => (em.getPlatform().constructor.name.toLowerCase().includes('sqlite') ? 'sqlite' : 'mysql');

function sqlOn(em: Em, acquire: () => Promise<unknown>, release: (connection: unknown) => unknown, session = false): DriverSql {
  const kind = platformKind(em);
  const driver = em.getDriver();
  const platform = em.getPlatform();
  // ORM_DEBUG (config.ormDebug turns the ORM's debug on): log each statement, never its values.
  const debugSql = Boolean(em.config.get('debug'));
  const prepared = kind === 'mysql' && usesPreparedStatements(em);
  const execute: Execute = async (statements, asText = false) => {
    if (debugSql) for (const s of statements) logger.debug('sql', { sql: s.sql });
    let connection: unknown;
    try {
      // A failed acquisition (connection refused, pool wait timed out) is a driver error like any other.
      connection = await acquire();
      if (kind === 'mysql') return await mysqlExecute(connection as MysqlConnection, statements, prepared && !asText);
      return statements.map((s) => sqliteExecute(connection as SqliteDatabase, s.sql, s.params ?? []));
    } catch (error) {
      throw driver.convertException(error as Error);
    } finally {
      if (connection !== undefined) await release(connection);
    }
  };
  return new DriverSql(kind, execute, (value) => platform.processDateProperty(value), session, prepared);
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
  /** Sends the prefixes still waiting for a round trip (a prefix no statement followed); their checks may throw. Deferred writes wait for the COMMIT. */
  flush(): Promise<void>;
  /**
   * COMMIT, with the deferred writes still waiting in the same round trip. When one of those fails
   * (DeferredStatementFailed) the transaction did not commit and is rolled back. If it fails
   * otherwise the outcome is unknown, and the connection is not used again.
   */
  commit(): Promise<void>;
  /** ROLLBACK (a failure is logged, and the connection is not used again). */
  rollback(): Promise<void>;
}

/**
 * BEGIN on a connection of the ORM's pool, without the ORM's transaction: what a unit of work runs
 * is only our SQL (repositories take a `Sql`, never an EntityManager), so `em.transactional`'s
 * fork, context and knex transaction object were pure cost on every shopper mutation
 * (docs/BENCHMARKS.md § Cart path). On MySQL the BEGIN is not a round trip of its own: it is a
 * prefix of the unit's first statement (`Sql.prefix`, with the limiter's count), and a unit that
 * ran no statement sends neither BEGIN nor COMMIT. A prefix that no statement followed is sent by
 * `flush`, which the unit of work calls before COMMIT.
 * COMMIT and ROLLBACK go through the knex client (`_query`), so what watches it (the fault
 * suite's COMMIT hook) sees them as before; errors are MikroORM's converted exceptions, as on
 * every statement of db/sql.ts. A connection whose COMMIT or ROLLBACK failed is destroyed rather
 * than pooled again: its session state is unknown.
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
  /** Whether anything reached the server (the BEGIN with it): only then is there a transaction to end. */
  let begun = kind === 'sqlite';
  const destroy = () => {
    // mysql2: a destroyed connection fails the pool's validation and is replaced. The one SQLite connection stays.
    if (kind === 'mysql') (connection as { destroy?: () => void }).destroy?.();
  };
  const live = () => {
    // After COMMIT/ROLLBACK the connection is back in the pool, maybe someone else's: never use it.
    if (!open) throw new Error('statement after the end of its transaction');
    begun = true;
    return Promise.resolve(connection);
  };
  const sql = sqlOn(em, live, () => undefined, true);
  /**
   * The deferred writes, then COMMIT. MySQL: one query (with the BEGIN if nothing was sent yet);
   * SQLite, in the process: one by one, then the COMMIT. A write that fails is
   * DeferredStatementFailed (known not committed); on MySQL only for the errors that a statement
   * answers and a COMMIT cannot (STATEMENT_ERRORS), any other failure leaves the outcome unknown.
   */
  const commitWith = async (deferred: Pending[]) => {
    if (kind === 'sqlite') {
      let results: StatementResult[];
      try {
        results = await sql.batch(deferred.map((p) => p.statement));
      } catch (error) {
        throw new DeferredStatementFailed(error as Error);
      }
      open = false;
      await client._query(connection, { sql: 'COMMIT' });
      answerPending(deferred, results);
      return;
    }
    open = false;
    const statements = [...(begun ? [] : [{ sql: 'BEGIN' }]), ...deferred.map((p) => p.statement)];
    let answered: { response?: unknown[] } | undefined;
    try {
      const text = [...statements.map((s) => s.sql), 'COMMIT'].join(';\n');
      answered = (await client._query(connection, { sql: text, bindings: statements.flatMap((s) => s.params ?? []) })) as typeof answered;
    } catch (error) {
      const errno = Number((error as { errno?: number }).errno);
      if (!(error as { fatal?: boolean }).fatal && STATEMENT_ERRORS.has(errno)) throw new DeferredStatementFailed(convert(error));
      throw error;
    }
    // Committed. The answers in statement order (the BEGIN's first when it went too), the COMMIT's last.
    const results = (answered?.response?.[0] as unknown[] | undefined) ?? [];
    answerPending(deferred, results.slice(statements.length - deferred.length).map(toResult));
  };
  const finish = async (statement: 'COMMIT' | 'ROLLBACK') => {
    // The unit of work sends the prefixes that wait before it commits (`flush`); what is left here is
    // the BEGIN (if nothing followed it) and deferred writes, which go with the COMMIT.
    const unflushed = statement === 'COMMIT' && sql.hasPendingBeforeCommit(['BEGIN']);
    const waiting = sql.takePending();
    if (unflushed) {
      open = false;
      await client.releaseConnection(connection);
      throw new Error('statements still waiting at COMMIT: flush() them first');
    }
    const deferred = statement === 'COMMIT' ? waiting.filter((p) => p.deferred) : [];
    try {
      if (deferred.length) {
        await commitWith(deferred);
      } else {
        open = false;
        if (begun) await client._query(connection, { sql: statement });
      }
    } catch (error) {
      open = false;
      if (error instanceof DeferredStatementFailed) {
        // The COMMIT never ran: end the transaction, and the unit handles the statement's error.
        await client._query(connection, { sql: 'ROLLBACK' }).catch(() => destroy());
        throw error;
      }
      destroy();
      throw convert(error);
    } finally {
      open = false;
      await client.releaseConnection(connection);
    }
  };
  if (kind === 'mysql') {
    sql.prefix({ sql: 'BEGIN' });
  } else {
    try {
      await client._query(connection, { sql: 'BEGIN' });
    } catch (error) {
      open = false;
      await client.releaseConnection(connection);
      throw convert(error);
    }
  }
  return {
    sql,
    flush: async () => {
      if (sql.hasPendingBeforeCommit(['BEGIN'])) await sql.batch([]);
    },
    commit: () => finish('COMMIT'),
    rollback: () =>
      finish('ROLLBACK').catch((error: unknown) => {
        logger.warn('rollback failed', { error: error as Error });
      }),
  };
}
