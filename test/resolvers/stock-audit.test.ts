import { auditStock } from '../../src/services/stock-audit.service';
import { createStockedProduct, expectAuditClean, holdStock, setStockLevel, useServer } from '../kit';

// The audit itself: clean on a consistent ledger, and it names each kind of damage. Damage is
// written with raw SQL on purpose (the only way past the stock repository's guards), and undone
// before each test ends, so the suite's own closing audit is clean too.
const server = useServer();
let stockId: number;
let stocked: { productId: number; warehouseId: number };

const em = () => server.em();

beforeAll(async () => {
  // One row: 10 on hand (ADJUSTMENT), 3 of them held by a cart (RESERVATION and a hold row).
  const created = await createStockedProduct(server, { onHand: 10 });
  stockId = created.stockId;
  stocked = created;
  await holdStock(server, { userId: created.ownerId, productId: created.productId, quantity: 3, expiresAtMs: Date.now() + 60_000 });
});

it('is clean for rows written through the stock repository', async () => {
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

it("reports a flash sale's quota and per-buyer counters that disagree with the units held and sold", async () => {
  const [{ id: productId, owner_id: ownerId }] = await em().execute<{ id: number; owner_id: number }[]>('SELECT id, owner_id FROM products ORDER BY id LIMIT 1');
  const now = new Date();
  await em().execute(
    'INSERT INTO flash_sales (product_id, sale_price, starts_at_ms, ends_at_ms, quota, quota_remaining, per_buyer_limit, regular_price_allowed, version, created_at, updated_at) VALUES (?, ?, ?, ?, 5, 4, 2, ?, 1, ?, ?)',
    [productId, '1.00', 0, 1, false, now, now],
  );
  const [{ id: saleId }] = await em().execute<{ id: number }[]>('SELECT MAX(id) AS id FROM flash_sales');
  await em().execute('INSERT INTO flash_sale_buyers (flash_sale_id, user_id, bought, created_at, updated_at) VALUES (?, ?, 1, ?, ?)', [saleId, ownerId, now, now]);
  const report = await auditStock(em());
  expect(report.problems).toEqual([`flash sale ${saleId}: quota 5, 4 remaining, but 0 held + 0 sold`, `flash sale ${saleId} buyer ${ownerId}: counter 1, but 0 held + 0 sold`]);
  await em().execute('DELETE FROM flash_sale_buyers WHERE flash_sale_id = ?', [saleId]);
  await em().execute('DELETE FROM flash_sales WHERE id = ?', [saleId]);
  await expectAuditClean(server);
});

it('reports a sold counter that disagrees with the order lines', async () => {
  await em().execute('UPDATE stocks SET sold = sold + 2 WHERE id = ?', [stockId]);
  const report = await auditStock(em());
  expect(report.problems).toEqual([`stock ${stockId}: sold 2 but its order lines (not cancelled) total 0`]);
  await em().execute('UPDATE stocks SET sold = sold - 2 WHERE id = ?', [stockId]);
  await expectAuditClean(server);
});

describe('incremental', () => {
  it('checks only what moved since the last clean checkpoint, and catches a break after it', async () => {
    const full = await auditStock(em(), { mode: 'full', checkpoint: true });
    expect(full).toMatchObject({ ok: true, mode: 'full' });
    const quiet = await auditStock(em(), { mode: 'incremental' });
    expect(quiet).toMatchObject({ ok: true, mode: 'incremental', movementsChecked: 0, stocksChecked: 0 });

    await setStockLevel(server, { ...stocked, onHand: 12 });
    const [last] = await em().execute<{ id: number }[]>('SELECT MAX(id) AS id FROM stock_movements WHERE stock_id = ?', [stockId]);
    const moved = await auditStock(em(), { mode: 'incremental' });
    expect(moved).toMatchObject({ ok: true, mode: 'incremental', movementsChecked: 1, stocksChecked: 1, lastMovementId: Number(last.id) });

    await em().execute('UPDATE stock_movements SET on_hand_after = 13 WHERE id = ?', [last.id]);
    const broken = await auditStock(em(), { mode: 'incremental', checkpoint: true });
    expect(broken.ok).toBe(false);
    expect(broken.problems).toEqual([`stock ${stockId}: movement ${last.id} records on_hand_after 13, reserved_after 3; the chain gives 12, 3`]);
    // A failed run writes no checkpoint: the next incremental run still sees the break.
    expect((await auditStock(em(), { mode: 'incremental' })).ok).toBe(false);
    await em().execute('UPDATE stock_movements SET on_hand_after = 12 WHERE id = ?', [last.id]);
    expect(await auditStock(em(), { mode: 'incremental' })).toMatchObject({ ok: true, movementsChecked: 1 });
  });

  it('runs in full when no checkpoint exists', async () => {
    await em().execute('DELETE FROM stock_audit_checkpoints');
    expect(await auditStock(em(), { mode: 'incremental' })).toMatchObject({ ok: true, mode: 'full', stocksChecked: 1 });
  });
});
