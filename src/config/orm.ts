import type { LoggerNamespace, Options } from '@mikro-orm/core';
import { defineConfig as defineMysql } from '@mikro-orm/mysql';
import { defineConfig as defineSqlite } from '@mikro-orm/better-sqlite';
import { Migrator } from '@mikro-orm/migrations';
import fs from 'node:fs';
import path from 'node:path';
import { ENTITIES } from '../entities';
import type { AppConfig } from './env';
import { logger } from './logger';

const MIGRATIONS_DIR = path.join(__dirname, '..', 'migrations');
/** The repository root, whether this file runs from src/config or from dist/src/config. */
const REPO_ROOT = fs.existsSync(path.join(__dirname, '..', '..', 'package.json'))
  ? path.join(__dirname, '..', '..')
  : path.join(__dirname, '..', '..', '..');

/** MikroORM options for the configured database. The same entities serve MySQL and SQLite. */
export function buildOrmOptions(config: AppConfig): Options {
  const common = {
    entities: ENTITIES,
    discovery: { warnWhenNoEntities: true },
    // Debug SQL goes through our logger only when asked, and only the statements: `debug: true`
    // would enable the `query-params` namespace too, which inlines the values (password hashes,
    // emails) into each logged statement.
    debug: process.env.ORM_DEBUG === '1' ? (['query', 'info'] as LoggerNamespace[]) : false,
    colors: false,
    logger: (msg: string) => logger.debug('orm', { sql: msg }),
    forceUtcTimezone: true,
    allowGlobalContext: false,
    serialization: { forceObject: true },
  };
  if (config.database.kind === 'mysql') {
    // `?socketPath=/run/mysqld/mysqld.sock`: a database on the same host over its Unix socket, which
    // costs the server far less CPU per statement than TCP loopback (docs/BENCHMARKS.md).
    const socketPath = new URL(config.database.url).searchParams.get('socketPath');
    return defineMysql({
      ...common,
      clientUrl: config.database.url,
      ...(socketPath ? { driverOptions: { connection: { socketPath } } } : {}),
      pool: { min: 0, max: config.database.poolSize },
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
  return defineSqlite({ ...common, dbName: file });
}
