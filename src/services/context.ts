import type { SqlEntityManager } from '@mikro-orm/knex';
import type { AppConfig } from '../config/env';
import type { UserRole } from '../entities';
import type { Services } from '../container';

/** The SQL flavour of MikroORM's EntityManager: MySQL and SQLite both provide it. */
export type Em = SqlEntityManager;

export interface Viewer {
  id: number;
  role: UserRole;
}

/**
 * Everything a service method needs, passed explicitly as its first argument. `em` is the
 * request's own fork (or, inside a unit of work, the transaction's fork): never a global one.
 */
export interface RequestContext {
  em: Em;
  viewer: Viewer | null;
  /** Set when a token was sent but is bad, expired or revoked: reported wherever auth matters. */
  authError?: Error;
  config: AppConfig;
  services: Services;
  ip: string;
  requestId: string;
}
