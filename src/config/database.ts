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
  if (options.migrate !== false) await migrateDatabase(orm, config);
  return orm;
}

export async function migrateDatabase(orm: Orm, config: AppConfig): Promise<void> {
  if (config.database.kind === 'mysql') {
    // Several processes may boot at once: a server-wide named lock lets one migrate at a time.
    const mysql = await import('mysql2/promise');
    const lock = await mysql.createConnection(config.database.url);
    try {
      const [rows] = await lock.query<RowDataPacket[]>("SELECT GET_LOCK('flashsale_migrations', 120) AS got");
      if (rows[0]?.got !== 1) throw new Error('timed out waiting for another process to finish migrating');
      const executed = await orm.getMigrator().up();
      if (executed.length) logger.info('migrations applied', { migrations: executed.map((m) => m.name) });
    } finally {
      await lock.query("SELECT RELEASE_LOCK('flashsale_migrations')").catch(() => undefined);
      await lock.end();
    }
  } else {
    await orm.getSchemaGenerator().updateSchema({ safe: true });
  }
}
