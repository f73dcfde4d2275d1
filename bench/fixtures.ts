import { randomBytes } from 'node:crypto';
import { openDatabase, type Orm } from '../src/config/database';
import { loadConfig, type AppConfig } from '../src/config/env';
import { createServices, type Services } from '../src/container';
import { sqlFor } from '../src/db/sql';
import { insertSale, readDbNowMs } from '../src/repositories/flash-sale.repository';
import { Product, User, Warehouse } from '../src/entities';
import { createMysqlDatabase, type MysqlDatabase } from '../test/kit/db';
import { insertUsers, setStockLevels } from '../test/kit/fixtures';
import { forkEm, issueToken, UserRole, type Em } from '../test/kit/internals';

/**
 * Setup data for the benchmark, written straight through MikroORM and the stock repository (not
 * through the GraphQL API, which is what is being measured), by the test kit's fixtures: buyers
 * share one precomputed argon2 hash (hashing one per buyer would cost ~50 ms each for nothing) and
 * get tokens from the same TokenService the servers use, with the same per-run secret.
 */

export type BenchDatabase = MysqlDatabase;

/** Creates `flashsale_bench_<random>` on the given MySQL/MariaDB server (the test kit's database creation). */
export function createBenchDatabase(serverUrl: string): Promise<BenchDatabase> {
  return createMysqlDatabase(serverUrl, { prefix: 'flashsale_bench_' });
}

/** Secrets for this run: taken from the environment when set, otherwise random per run. */
export function benchSecrets(): { JWT_SECRET: string; TOTP_ENCRYPTION_KEY: string } {
  const pick = (name: string) => {
    const value = process.env[name];
    return value && Buffer.byteLength(value) >= 32 ? value : randomBytes(48).toString('base64url');
  };
  return { JWT_SECRET: pick('JWT_SECRET'), TOTP_ENCRYPTION_KEY: pick('TOTP_ENCRYPTION_KEY') };
}

export interface Buyer {
  id: number;
  token: string;
}

export interface Catalog {
  warehouseId: number;
  productIds: number[];
  stockIds: number[];
  /** stock id → product id */
  productOfStock: Map<number, number>;
  unitsEach: number;
  price: string;
}

export class Fixtures {
  private constructor(
    readonly orm: Orm,
    readonly config: AppConfig,
    readonly seller: User,
    readonly buyers: Buyer[],
    /** An ADMIN (scenario D reads the ledger, orders and warehouses of the seller's catalog). */
    readonly admin: Buyer,
    private readonly services: Services,
    private readonly password: string,
  ) {}

  static async create(env: Record<string, string>, buyerCount: number): Promise<Fixtures> {
    const { config } = loadConfig(env);
    const orm = await openDatabase(config);
    const db = { em: () => forkEm(orm) };
    // Nobody signs in with a password: a random one per run.
    const password = randomBytes(12).toString('hex');
    const [seller] = await insertUsers(db, 1, { prefix: 'bench-seller', password });
    const users = await insertUsers(db, buyerCount, { prefix: 'bench-buyer', password });
    const [admin] = await insertUsers(db, 1, { prefix: 'bench-admin', password, role: UserRole.ADMIN });
    const services = createServices(config, orm);
    const buyers = users.map((u) => ({ id: u.id, token: issueToken(services, u) }));
    return new Fixtures(orm, config, seller, buyers, { id: admin.id, token: issueToken(services, admin) }, services, password);
  }

  /** More buyers (with tokens), for a scenario where each buyer is used up (A-sale: a per-buyer limit). */
  async addBuyers(count: number, prefix: string): Promise<Buyer[]> {
    const users = await insertUsers(this, count, { prefix, password: this.password });
    return users.map((u) => ({ id: u.id, token: issueToken(this.services, u) }));
  }

  /** A sale-only flash sale of a product, running from a second ago (by the database clock) for an hour. */
  async createFlashSale(productId: number, terms: { salePrice: string; quota: number; perBuyerLimit: number }): Promise<number> {
    return this.em().transactional(async (tx) => {
      const sql = sqlFor(tx as Em);
      const nowMs = await readDbNowMs(sql);
      return insertSale(sql, { productId, ...terms, startsAtMs: nowMs - 1000, endsAtMs: nowMs + 3_600_000, regularPriceAllowed: false });
    });
  }

  em(): Em {
    return forkEm(this.orm);
  }

  /**
   * A fresh warehouse with `products` new products, each stocked with `unitsEach` units through
   * the guarded stock write (one ADJUSTMENT ledger row each), so the ledger audit starts clean.
   */
  async createCatalog(label: string, products: number, unitsEach: number, price = '10.00'): Promise<Catalog> {
    const em = this.em();
    const warehouse = em.create(Warehouse, { owner: this.seller.id, name: `${label} warehouse`, location: 'bench' });
    const rows = Array.from({ length: products }, (_, i) =>
      em.create(Product, { owner: this.seller.id, name: `${label} product ${i}`, description: '', price, category: 'bench' }),
    );
    await em.flush();
    const productIds = rows.map((p) => p.id);
    const stockIds = await setStockLevels(
      this,
      productIds.map((productId) => ({ warehouseId: warehouse.id, productId, onHand: unitsEach, actorId: this.seller.id, reason: 'benchmark stock' })),
    );
    return {
      warehouseId: warehouse.id,
      productIds,
      stockIds,
      productOfStock: new Map(stockIds.map((s, i) => [s, productIds[i]])),
      unitsEach,
      price,
    };
  }

  async close(): Promise<void> {
    await this.orm.close(true);
  }
}
