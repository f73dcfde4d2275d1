import { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/knex';
import type { RowDataPacket } from 'mysql2';
import type { AppConfig } from './env';
import { buildOrmOptions } from './orm';
import { logger } from './logger';

/**
 * Connects and brings the schema up to date: MySQL runs the committed migrations; the embedded
 * SQLite database gets its schema straight from the entities, with no manual step.
 */
/** MikroORM over one of our SQL drivers (MySQL or SQLite). */
export type Orm = MikroORM<AbstractSqlDriver, SqlEntityManager>;

export async function openDatabase(config: AppConfig, options: { migrate?: boolean } = {}): Promise<Orm> {
  const orm = (await MikroORM.init(buildOrmOptions(config))) as unknown as Orm;
  if (config.database.kind === 'sqlite' && config.database.sqlitePath !== ':memory:') {
    // WAL: readers don't block the writer. synchronous = FULL syncs the WAL at every commit: with
    // NORMAL a power loss could take back commits (orders) that were already acknowledged.
    await orm.em.getConnection().execute('pragma journal_mode = WAL');
    await orm.em.getConnection().execute('pragma synchronous = FULL');
  }
  if (options.migrate !== false) await migrateDatabase(orm, config);
  return orm;
}

/**
 * Per-statement bound of a migration and of operator commands that read whole tables (the full
 * stock audit): a backfill of millions of rows takes minutes, far past the request path's
 * DATABASE_STATEMENT_TIMEOUT_MS, and a migration cut off halfway leaves DDL that MySQL cannot roll
 * back. Still bounded, by the longest limit the configuration accepts.
 */
const LONG_STATEMENT_MS = 3_600_000;

/** The configuration with the statement timeouts of a long operator task (see LONG_STATEMENT_MS). */
export function withLongStatements(config: AppConfig): AppConfig {
  return { ...config, databaseTimeouts: { ...config.databaseTimeouts, statementMs: LONG_STATEMENT_MS, queryMs: LONG_STATEMENT_MS } };
}

async function migrateDatabase(orm: Orm, config: AppConfig): Promise<void> {
  if (config.database.kind === 'mysql') {
    // Several processes may boot at once: a server-wide named lock lets one migrate at a time.
    const mysql = await import('mysql2/promise');
    const lock = await mysql.createConnection(config.database.url);
    try {
      const [rows] = await lock.query<RowDataPacket[]>("SELECT GET_LOCK('flashsale_migrations', 120) AS got");
      if (rows[0]?.got !== 1) throw new Error('timed out waiting for another process to finish migrating');
      if ((await orm.getMigrator().getPendingMigrations()).length === 0) return;
      // Pending migrations run on an ORM of their own whose statements may take long (backfills).
      const migrating = (await MikroORM.init(buildOrmOptions(withLongStatements(config)))) as unknown as Orm;
      try {
        const executed = await migrating.getMigrator().up();
        if (executed.length) logger.info('migrations applied', { migrations: executed.map((m) => m.name) });
      } finally {
        await migrating.close(true);
      }
    } finally {
      await lock.query("SELECT RELEASE_LOCK('flashsale_migrations')").catch(() => undefined);
      await lock.end();
    }
  } else {
    await syncSqliteSchema(orm);
  }
}

/**
 * SQLite: a new file gets the schema from the entities. An existing file is checked, not altered:
 * MikroORM's SQLite diff reports phantom changes on every boot (rebuilding tables) and emits
 * `ALTER TABLE ADD CONSTRAINT`, which SQLite does not have, so "update" cannot be trusted there.
 */
async function syncSqliteSchema(orm: Orm): Promise<void> {
  const connection = orm.em.getConnection();
  const tables = await connection.execute<{ name: string }[]>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  if (tables.length === 0) {
    await orm.getSchemaGenerator().createSchema();
    await createSqliteNameSearch(orm);
    return;
  }
  const missing: string[] = [];
  for (const meta of Object.values(orm.getMetadata().getAll())) {
    if (meta.abstract || meta.embeddable || meta.virtual || !meta.tableName) continue;
    const columns = await connection.execute<{ name: string }[]>(`PRAGMA table_info(\`${meta.tableName}\`)`);
    if (columns.length === 0) {
      missing.push(`table ${meta.tableName}`);
      continue;
    }
    const present = new Set(columns.map((c) => c.name));
    for (const prop of meta.props) {
      const stored = prop.persist !== false && (prop.kind === 'scalar' || prop.kind === 'm:1' || (prop.kind === '1:1' && prop.owner));
      for (const field of stored ? (prop.fieldNames ?? []) : []) if (!present.has(field)) missing.push(`column ${meta.tableName}.${field}`);
    }
  }
  if (!missing.length && !(await hasSqliteNameSearch(orm))) await createSqliteNameSearch(orm);
  if (missing.length) {
    throw new Error(
      `The SQLite database was created for an older data model (missing ${missing.join(', ')}): ` +
        'delete the file to recreate it (demo data is seeded again), or use MySQL, which runs migrations',
    );
  }
}

/**
 * SQLite's side of `ProductFilter.search`: an FTS5 index of `products.name` (external content: it
 * stores the words, not a copy of the names), kept in step by triggers in the same transaction as
 * every insert, rename and delete of a product. unicode61 (FTS5's default tokenizer) splits on
 * what is not a letter or digit and folds case and accents, as MySQL's FULLTEXT index does under
 * utf8mb4_general_ci. A file made before the index existed gets it, filled from its products.
 */
const SQLITE_NAME_SEARCH = [
  "CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5(name, content='products', content_rowid='id')",
  'CREATE TRIGGER IF NOT EXISTS products_fts_insert AFTER INSERT ON products BEGIN INSERT INTO products_fts(rowid, name) VALUES (new.id, new.name); END',
  "CREATE TRIGGER IF NOT EXISTS products_fts_delete AFTER DELETE ON products BEGIN INSERT INTO products_fts(products_fts, rowid, name) VALUES ('delete', old.id, old.name); END",
  'CREATE TRIGGER IF NOT EXISTS products_fts_rename AFTER UPDATE OF name ON products BEGIN ' +
    "INSERT INTO products_fts(products_fts, rowid, name) VALUES ('delete', old.id, old.name); INSERT INTO products_fts(rowid, name) VALUES (new.id, new.name); END",
  "INSERT INTO products_fts(products_fts) VALUES ('rebuild')",
];

async function hasSqliteNameSearch(orm: Orm): Promise<boolean> {
  const rows = await orm.em.getConnection().execute<{ name: string }[]>("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name = 'products_fts_rename'");
  return rows.length > 0;
}

async function createSqliteNameSearch(orm: Orm): Promise<void> {
  await orm.em.getConnection().transactional(async (trx) => {
    for (const statement of SQLITE_NAME_SEARCH) await orm.em.getConnection().execute(statement, [], 'run', trx);
  });
}
