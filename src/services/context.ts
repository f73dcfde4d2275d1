import type { Orm } from '../config/database';
import type { DbContext } from '../db/context';
import type { UserRole } from '../entities';

export type { Em } from '../db/context';

export interface Viewer {
  id: number;
  role: UserRole;
}

/**
 * One request, passed explicitly as every service method's first argument: its own EntityManager
 * fork (inside a unit of work, the transaction's fork), who is calling, from where, and an id for
 * the logs. It carries no services: those come to each service through its constructor.
 */
export interface RequestContext extends DbContext {
  viewer: Viewer | null;
  /** Set when a token was sent but is bad, expired or revoked: reported wherever auth matters. */
  authError?: Error;
  ip: string;
}

/**
 * A context for work that belongs to no request (background jobs, the buyNow batcher, the stock
 * watcher): a fresh fork of its own, no viewer. Long-lived objects make one of these instead of
 * borrowing some request's fork, which ends with that request.
 */
export function systemContext(orm: Orm, name: string): RequestContext {
  return { em: orm.em.fork(), viewer: null, ip: 'internal', requestId: name };
}
