import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { openDatabase, type Orm } from '../src/config/database';
import { loadConfig, type AppConfig } from '../src/config/env';
import { Product, StockMovementKind, User, UserRole, Warehouse } from '../src/entities';
import { createServices } from '../src/container';
import { hashPassword } from '../src/services/password.service';
import { applyStockChangeOrRetry, ensureStockRow } from '../src/repositories/stock.repository';
import { sqlFor } from '../src/db/sql';

/**
 * Setup data for the benchmark, written straight through MikroORM and the stock store (not
 * through the GraphQL API, which is what is being measured): buyers share one precomputed argon2
 * hash (hashing one per buyer would cost ~50 ms each for nothing) and get tokens from the same
 * TokenService the servers use, with the same per-run secret.
 */

export interface BenchDatabase {
  name: string;
  url: string;
  serverVersion: string;
  drop(): Promise<void>;
}

function connectionOptions(serverUrl: string) {
  const url = new URL(serverUrl.replace(/^mariadb:/, 'mysql:'));
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password),
    socketPath: url.searchParams.get('socketPath') ?? undefined,
  };
}

/** Creates `flashsale_bench_<random>` on the given MySQL/MariaDB server. */
export async function createBenchDatabase(serverUrl: string): Promise<BenchDatabase> {
  const name = `flashsale_bench_${randomBytes(5).toString('hex')}`;
  const admin = await mysql.createConnection(connectionOptions(serverUrl));
  const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const url = new URL(serverUrl.replace(/^mariadb:/, 'mysql:'));
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    serverVersion: String(rows[0].v),
    async drop() {
      const conn = await mysql.createConnection(connectionOptions(serverUrl));
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
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
  ) {}

  static async create(env: Record<string, string>, buyerCount: number): Promise<Fixtures> {
    const { config } = loadConfig(env);
    const orm = await openDatabase(config);
    const em = orm.em.fork();
    const passwordHash = await hashPassword(randomBytes(12).toString('hex'));
    const seller = em.create(User, { email: 'seller@bench.invalid', name: 'Bench seller', passwordHash, role: UserRole.CUSTOMER });
    const users = Array.from({ length: buyerCount }, (_, i) =>
      em.create(User, { email: `buyer${i}@bench.invalid`, name: `Bench buyer ${i}`, passwordHash, role: UserRole.CUSTOMER }),
    );
    await em.flush();
    const tokens = createServices(config, orm).tokens;
    const buyers = users.map((u) => ({ id: u.id, token: tokens.issue(u) }));
    return new Fixtures(orm, config, seller, buyers);
  }

  /**
   * A fresh warehouse with `products` new products, each stocked with `unitsEach` units through
   * the guarded stock store (one ADJUSTMENT ledger row each), so the ledger audit starts clean.
   */
  async createCatalog(label: string, products: number, unitsEach: number, price = '10.00'): Promise<Catalog> {
    const em = this.orm.em.fork();
    const warehouse = em.create(Warehouse, { owner: this.seller.id, name: `${label} warehouse`, location: 'bench' });
    const rows = Array.from({ length: products }, (_, i) =>
      em.create(Product, { owner: this.seller.id, name: `${label} product ${i}`, description: '', price, category: 'bench' }),
    );
    await em.flush();
    const stockIds: number[] = [];
    await em.transactional(async (tx) => {
      for (const product of rows) {
        const stockId = await ensureStockRow(sqlFor(tx), warehouse.id, product.id);
        await applyStockChangeOrRetry(sqlFor(tx), {
          stockId,
          kind: StockMovementKind.ADJUSTMENT,
          onHandDelta: unitsEach,
          reservedDelta: 0,
          actorId: this.seller.id,
          reason: 'benchmark stock',
        });
        stockIds.push(stockId);
      }
    });
    const productIds = rows.map((p) => p.id);
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
