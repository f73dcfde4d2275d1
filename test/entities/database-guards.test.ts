import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { loadConfig } from '../../src/config/env';
import { openDatabase } from '../../src/config/database';
import { createTestDatabase, type Em, TEST_DB, useServer } from '../kit';

// No stock audit afterwards: the stock row is written past the ledger, on purpose.
const server = useServer({ audit: false });
let em: Em;
let stockId: number;

const now = () => em.getPlatform().processDateProperty(new Date());

beforeAll(async () => {
  em = server.em();
  const user = await em.execute<{ insertId: number }>(
    "INSERT INTO users (email, name, password_hash, role, token_version, totp_enabled, created_at, updated_at) VALUES ('g@x.io', 'g', 'h', 'CUSTOMER', 0, 0, ?, ?)",
    [now(), now()],
    'run',
  );
  const product = await em.execute<{ insertId: number }>(
    "INSERT INTO products (owner_id, name, description, price, category, created_at, updated_at) VALUES (?, 'p', '', '1.00', 'c', ?, ?)",
    [user.insertId, now(), now()],
    'run',
  );
  const warehouse = await em.execute<{ insertId: number }>(
    "INSERT INTO warehouses (owner_id, name, location, created_at, updated_at) VALUES (?, 'w', '', ?, ?)",
    [user.insertId, now(), now()],
    'run',
  );
  const stock = await em.execute<{ insertId: number }>(
    'INSERT INTO stocks (warehouse_id, product_id, on_hand, reserved, version, created_at, updated_at) VALUES (?, ?, 5, 2, 1, ?, ?)',
    [warehouse.insertId, product.insertId, now(), now()],
    'run',
  );
  stockId = stock.insertId;
});

describe('the database guards the stock invariants even against a buggy writer', () => {
  it.each([
    ['on_hand below zero', 'UPDATE stocks SET on_hand = -1, reserved = 0 WHERE id = ?'],
    ['reserved below zero', 'UPDATE stocks SET reserved = -1 WHERE id = ?'],
    ['reserved above on hand', 'UPDATE stocks SET reserved = on_hand + 1 WHERE id = ?'],
  ])('refuses %s', async (_name, sql) => {
    // MySQL reports 3819, MariaDB 4025, SQLite "CHECK constraint failed": all name the constraint.
    await expect(em.execute(sql, [stockId], 'run')).rejects.toThrow(/stocks_(on_hand|reserved)_/);
    const row = await em.execute<{ on_hand: number; reserved: number }>('SELECT on_hand, reserved FROM stocks WHERE id = ?', [stockId], 'get');
    expect({ onHand: Number(row.on_hand), reserved: Number(row.reserved) }).toEqual({ onHand: 5, reserved: 2 });
  });

  it('allows one stock row per warehouse and product', async () => {
    const row = await em.execute<{ warehouse_id: number; product_id: number }>('SELECT warehouse_id, product_id FROM stocks WHERE id = ?', [stockId], 'get');
    await expect(
      em.execute(
        'INSERT INTO stocks (warehouse_id, product_id, on_hand, reserved, version, created_at, updated_at) VALUES (?, ?, 0, 0, 1, ?, ?)',
        [row.warehouse_id, row.product_id, now(), now()],
        'run',
      ),
    ).rejects.toBeInstanceOf(UniqueConstraintViolationException);
  });
});

/** Columns, indexes, checks and foreign keys of a MySQL database, as the server itself reports them. */
async function describeSchema(database: string): Promise<Record<string, unknown[]>> {
  const q = (sql: string) => em.execute<Record<string, unknown>[]>(sql, [database]);
  return {
    columns: await q(
      'SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME <> \'mikro_orm_migrations\' ORDER BY 1, 2',
    ),
    indexes: await q(
      'SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME <> \'mikro_orm_migrations\' ORDER BY 1, 2, 3',
    ),
    checks: await q('SELECT CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? ORDER BY 1'),
    foreignKeys: await q(
      'SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY 1, 2',
    ),
  };
}

(TEST_DB === 'sqlite' ? describe : describe.skip)('embedded SQLite durability', () => {
  it('runs WAL with synchronous = FULL: an acknowledged order survives a power loss', async () => {
    // Through the app's own connection, the one every request uses.
    expect(await server.em().execute('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(await server.em().execute('PRAGMA synchronous')).toEqual([{ synchronous: 2 }]); // 2 = FULL (NORMAL is 1)
  });
});

(TEST_DB === 'mysql' ? describe : describe.skip)('MySQL migrations', () => {
  it('the committed migrations produce exactly the schema the entities describe', async () => {
    expect(await server.app.orm.getMigrator().getPendingMigrations()).toEqual([]);
    // A second database built straight from the entities, introspected by the same server.
    const fromEntities = await createTestDatabase('mysql');
    const { config } = loadConfig({ DATABASE_URL: fromEntities.url, JWT_SECRET: 'x'.repeat(40), TOTP_ENCRYPTION_KEY: 'y'.repeat(40) });
    const orm = await openDatabase(config, { migrate: false });
    try {
      await orm.getSchemaGenerator().createSchema();
      const migrated = await describeSchema(new URL(server.db.url).pathname.slice(1));
      const generated = await describeSchema(new URL(fromEntities.url).pathname.slice(1));
      expect(migrated.columns.length).toBeGreaterThan(50);
      expect(migrated).toEqual(generated);
    } finally {
      await orm.close(true);
      await fromEntities.drop();
    }
  });
});
