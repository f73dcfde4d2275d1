import type { SqlEntityManager } from '@mikro-orm/knex';

/** The SQL flavour of MikroORM's EntityManager: MySQL and SQLite both provide it. */
export type Em = SqlEntityManager;

/**
 * What the database layer needs of whoever calls it: an EntityManager of its own (a request's
 * fork, or a system context's) and a name for the logs.
 */
export interface DbContext {
  em: Em;
  requestId: string;
}
