/**
 * Everything the test kit (and, through it, the benchmark) takes from src/, and the only file of
 * the kit that imports src/. When src/ moves things around, re-point them here: suites and the
 * benchmark import the kit, never these paths.
 */
import type { App } from '../../src/app';
import type { Orm } from '../../src/config/database';
import type { User } from '../../src/entities';
import type { Services } from '../../src/container';
import type { Em, RequestContext } from '../../src/services/context';

export { createApp, type App } from '../../src/app';
export { loadConfig } from '../../src/config/env';
export type { Orm } from '../../src/config/database';
export type { Services } from '../../src/container';
export { Cart, CartItem, Order, OrderLine, OrderStatus, Product, StockMovementKind, User, UserRole, Warehouse } from '../../src/entities';
export { hashPassword } from '../../src/services/password.service';
export { auditStock } from '../../src/services/stock-audit.service';
export { applyStockChange, ensureStockRow, insertHold, readStock } from '../../src/repositories/stock.repository';
export { allocateStock } from '../../src/services/stock-allocation';
export { sqlFor } from '../../src/db/sql';
export { readDbNowMs } from '../../src/repositories/flash-sale.repository';
export type { Em, RequestContext } from '../../src/services/context';

/** A fresh EntityManager of its own on the ORM (MikroORM refuses work on the global one). */
export function forkEm(orm: Orm): Em {
  return orm.em.fork() as Em;
}

/** A token for `user` from the same TokenService the servers use. */
export function issueToken(services: Services, user: Pick<User, 'id' | 'role' | 'tokenVersion'>): string {
  return services.tokens.issue(user);
}

/** A request context with no viewer, on a fresh EntityManager: what a background job runs with. */
export function systemContext(app: Pick<App, 'orm'>): RequestContext {
  return { em: forkEm(app.orm), viewer: null, ip: 'test', requestId: 'test' };
}
