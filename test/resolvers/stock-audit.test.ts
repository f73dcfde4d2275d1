import { Product, StockMovementKind, User, Warehouse } from '../../src/entities';
import type { Em } from '../../src/services/context';
import { auditStock } from '../../src/services/stock-audit.service';
import { applyStockChangeOrRetry, ensureStockRow, insertHold } from '../../src/repositories/stock.repository';
import { sqlFor } from '../../src/db/sql';
import { expectAuditClean } from '../helpers/audit';
import { startTestServer, type TestServer } from '../helpers/server';

// The audit itself: clean on a consistent ledger, and it names each kind of damage. Damage is
// written with raw SQL on purpose (the only way past stock-store's guards).
let server: TestServer;
let stockId: number;

const em = (): Em => server.app.orm.em.fork();

beforeAll(async () => {
  server = await startTestServer();
  await em().transactional(async (tx) => {
    const owner = tx.create(User, { email: 'audit@example.com', name: 'Audit', passwordHash: 'x' });
    const warehouse = tx.create(Warehouse, { owner, name: 'W', location: 'L' });
    const product = tx.create(Product, { owner, name: 'P', price: '1.00', category: 'c' });
    await tx.flush();
    stockId = await ensureStockRow(sqlFor(tx), warehouse.id, product.id);
    await applyStockChangeOrRetry(sqlFor(tx), { stockId, kind: StockMovementKind.ADJUSTMENT, onHandDelta: 10, reservedDelta: 0 });
    await applyStockChangeOrRetry(sqlFor(tx), { stockId, kind: StockMovementKind.RESERVATION, onHandDelta: 0, reservedDelta: 3 });
    const cart = await tx.execute<{ insertId: number }>('INSERT INTO carts (user_id, created_at, updated_at) VALUES (?, ?, ?)', [owner.id, new Date(), new Date()], 'run');
    const item = await tx.execute<{ insertId: number }>(
      'INSERT INTO cart_items (cart_id, product_id, quantity, unit_price, version, created_at, updated_at) VALUES (?, ?, 3, 1, 1, ?, ?)',
      [cart.insertId, product.id, new Date(), new Date()],
      'run',
    );
    await insertHold(sqlFor(tx), { cartItemId: item.insertId, stockId, quantity: 3, expiresAtMs: Date.now() + 60_000 });
  });
});
afterAll(async () => {
  await server?.stop();
});

it('is clean for rows written through stock-store', async () => {
  await expect(expectAuditClean(server)).resolves.toEqual({ stocksChecked: 1 });
});

it('reports a row that disagrees with its ledger and its holds', async () => {
  await em().execute('UPDATE stocks SET on_hand = on_hand + 1, reserved = reserved - 1 WHERE id = ?', [stockId]);
  const report = await auditStock(em());
  expect(report.ok).toBe(false);
  expect(report.problems).toEqual(
    expect.arrayContaining([
      `stock ${stockId}: on_hand 11 but ledger sums to 10`,
      `stock ${stockId}: reserved 2 but ledger sums to 3`,
      `stock ${stockId}: reserved 2 but its holds total 3`,
      `stock ${stockId}: last movement ends at 10/3, the row holds 11/2`,
    ]),
  );
  await expect(expectAuditClean(server)).rejects.toThrow(/problem/);
  await em().execute('UPDATE stocks SET on_hand = on_hand - 1, reserved = reserved + 1 WHERE id = ?', [stockId]);
  await expectAuditClean(server);
});

it('reports a broken movement chain', async () => {
  const [first] = await em().execute<{ id: number }[]>('SELECT id FROM stock_movements WHERE stock_id = ? ORDER BY id LIMIT 1', [stockId]);
  await em().execute('UPDATE stock_movements SET on_hand_after = 9 WHERE id = ?', [first.id]);
  const report = await auditStock(em());
  expect(report.problems).toEqual([`stock ${stockId}: movement ${first.id} records on_hand_after 9, reserved_after 0; the chain gives 10, 0`]);
  await em().execute('UPDATE stock_movements SET on_hand_after = 10 WHERE id = ?', [first.id]);
  await expectAuditClean(server);
});
