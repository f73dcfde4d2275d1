import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Orm } from '../config/database';
import { logger } from '../config/logger';
import { Product, StockMovementKind, User, UserRole, Warehouse } from '../entities';
import { hashPassword } from './password.service';
import { insertSale, readDbNowMs } from '../repositories/flash-sale.repository';
import { applyStockChangeOrRetry, ensureStockRow } from '../repositories/stock.repository';
import { sqlFor } from '../db/sql';

/** Demo accounts for a local try-out (documented in the README); seeded only into an empty database. */
export const DEMO_USERS = [
  { email: 'admin@example.com', name: 'Demo Admin', password: 'admin-password-1', role: UserRole.ADMIN },
  { email: 'seller@example.com', name: 'Demo Seller', password: 'seller-password-1', role: UserRole.CUSTOMER },
  { email: 'buyer@example.com', name: 'Demo Buyer', password: 'buyer-password-1', role: UserRole.CUSTOMER },
];

const DEMO_PRODUCTS = [
  { name: 'Flash-sale headphones', description: 'Noise cancelling, 30 h battery', price: '59.90', category: 'audio', stock: [40, 10] },
  { name: 'Mechanical keyboard', description: 'Hot-swappable switches', price: '89.00', category: 'computers', stock: [25, 25] },
  { name: '4K monitor 27"', description: 'IPS, 144 Hz', price: '329.99', category: 'computers', stock: [5, 0] },
  { name: 'Espresso machine', description: '15 bar pump', price: '199.50', category: 'kitchen', stock: [12, 8] },
];

const HOUR_MS = 3_600_000;

/**
 * The demo's flash sales (README, docs/API.md): the headphones on sale now (sale-only, 20 units,
 * 2 per buyer, for a week) and the monitor announced for tomorrow (regular price until then).
 */
const DEMO_SALES = [
  { product: 0, salePrice: '39.90', fromHours: -1, toHours: 7 * 24, quota: 20, perBuyerLimit: 2, regularPriceAllowed: false },
  { product: 2, salePrice: '249.99', fromHours: 24, toHours: 26, quota: 3, perBuyerLimit: 1, regularPriceAllowed: true },
];

/**
 * Fills an empty database with demo users, two warehouses, stocked products and two flash sales. Does nothing when
 * any user exists, so it is safe on every start and from several processes (the unique email
 * key stops a second concurrent seed).
 */
export async function seedDemoDataIfEmpty(orm: Orm): Promise<boolean> {
  const em = orm.em.fork();
  if ((await em.count(User, {})) > 0) return false;
  try {
    await em.transactional(async (tx) => {
      const users: Record<string, User> = {};
      for (const u of DEMO_USERS) {
        users[u.email] = tx.create(User, { email: u.email, name: u.name, role: u.role, passwordHash: await hashPassword(u.password) });
      }
      const seller = users['seller@example.com'];
      const warehouses = [
        tx.create(Warehouse, { owner: seller, name: 'Jakarta DC', location: 'Jakarta' }),
        tx.create(Warehouse, { owner: seller, name: 'Surabaya DC', location: 'Surabaya' }),
      ];
      const products = DEMO_PRODUCTS.map((p) =>
        tx.create(Product, { owner: seller, name: p.name, description: p.description, price: p.price, category: p.category }),
      );
      await tx.flush();
      for (const [i, p] of DEMO_PRODUCTS.entries()) {
        for (const [w, quantity] of p.stock.entries()) {
          const stockId = await ensureStockRow(sqlFor(tx), warehouses[w].id, products[i].id);
          if (quantity > 0) {
            await applyStockChangeOrRetry(sqlFor(tx), {
              stockId,
              kind: StockMovementKind.ADJUSTMENT,
              onHandDelta: quantity,
              reservedDelta: 0,
              actorId: seller.id,
              reason: 'demo data',
            });
          }
        }
      }
      const nowMs = await readDbNowMs(sqlFor(tx));
      for (const sale of DEMO_SALES) {
        await insertSale(sqlFor(tx), {
          productId: products[sale.product].id,
          salePrice: sale.salePrice,
          startsAtMs: nowMs + sale.fromHours * HOUR_MS,
          endsAtMs: nowMs + sale.toHours * HOUR_MS,
          quota: sale.quota,
          perBuyerLimit: sale.perBuyerLimit,
          regularPriceAllowed: sale.regularPriceAllowed,
        });
      }
    });
  } catch (error) {
    if ((await orm.em.fork().count(User, {})) > 0) return false; // another process seeded first
    throw error;
  }
  logger.info('seeded demo data', { users: DEMO_USERS.map((u) => u.email) });
  return true;
}

/**
 * Creates the operator's first ADMIN (BOOTSTRAP_ADMIN_EMAIL / BOOTSTRAP_ADMIN_PASSWORD) when the
 * database has no admin yet; otherwise does nothing, so it runs on every start. Several processes
 * starting at once are safe: the unique email key lets one insert win and the others find its row.
 * An address already held by an account that is not an admin is never promoted (registration is
 * not verified: that would hand ADMIN to whoever registered it first); that is logged as an error
 * and no admin is created. The password is never logged.
 */
export async function createBootstrapAdminIfNone(orm: Orm, admin: { email: string; password: string }): Promise<'created' | 'admin-exists' | 'refused'> {
  const em = orm.em.fork();
  if ((await em.count(User, { role: UserRole.ADMIN })) > 0) return 'admin-exists';
  if (!(await em.findOne(User, { email: admin.email }))) {
    em.create(User, { email: admin.email, name: 'Admin', role: UserRole.ADMIN, passwordHash: await hashPassword(admin.password) });
    try {
      await em.flush();
      logger.info('created the bootstrap admin', { email: admin.email });
      return 'created';
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
  }
  // The address is taken: by another process's bootstrap admin (fine) or by someone else's account.
  const holder = await orm.em.fork().findOne(User, { email: admin.email });
  if (holder?.role === UserRole.ADMIN) return 'admin-exists';
  logger.error('BOOTSTRAP_ADMIN_EMAIL belongs to an account that is not an admin: not promoted, no admin created (if the account is yours: npm run make-admin -- <email>)', {
    email: admin.email,
  });
  return 'refused';
}
