import { Stock, StockMovement, StockMovementKind, Warehouse } from '../../src/entities';
import { AdjustStockDocument, DeleteWarehouseDocument, SetStockDocument } from '../generated/catalog';
import { createProductAs, createWarehouseAs, errorCode, registerUser, setStockAs, TEST_DB, type TestUser, useCluster } from '../kit';

// Races through the real HTTP API. On MySQL the requests are split between this process and a
// second server process (`dist/src/main.js`: run `npm run build` first) against the same database,
// so nothing can rely on in-process state. Several server processes on one SQLite file are not
// supported, so on SQLite only the in-process server takes part.
const cluster = useCluster({ audit: 'afterEach' });
let seller: TestUser;

beforeAll(async () => {
  seller = await registerUser(cluster.server);
});

const em = () => cluster.server.em();
/** The seller's client on server process number `i` (round robin). */
const via = (i: number) => cluster.clientFor(seller, i);

it(`runs against ${TEST_DB === 'mysql' ? 'two server processes' : 'one in-process server'}`, () => {
  expect(cluster.urls).toHaveLength(TEST_DB === 'mysql' ? 2 : 1);
});

it('50 parallel +1 and 50 parallel −1 on one row leave the starting quantity, with 100 ledger rows', async () => {
  const w = await createWarehouseAs(seller);
  const p = await createProductAs(seller);
  const start = await setStockAs(seller, w.id, p.id, 100);
  const input = { warehouseId: w.id, productId: p.id };

  const results = await Promise.all(
    Array.from({ length: 100 }, (_, i) => via(i >> 1).request(AdjustStockDocument, { input: { ...input, delta: i % 2 ? -1 : 1, reason: `race ${i}` } })),
  );
  expect(results.filter((r) => r.errors).map((r) => r.errors)).toEqual([]);

  const stock = await em().findOneOrFail(Stock, Number(start.id));
  expect({ onHand: stock.onHand, reserved: stock.reserved, version: stock.version }).toEqual({ onHand: 100, reserved: 0, version: start.version + 100 });
  const movements = await em().find(StockMovement, { stock: stock.id, id: { $gt: 0 } }, { orderBy: { id: 'asc' } });
  const raced = movements.slice(1);
  expect(raced).toHaveLength(100);
  expect(raced.every((m) => m.kind === StockMovementKind.ADJUSTMENT && Math.abs(m.onHandDelta) === 1 && m.reservedDelta === 0)).toBe(true);
  expect(raced.filter((m) => m.onHandDelta === 1)).toHaveLength(50);
  expect(new Set(raced.map((m) => m.reason)).size).toBe(100);
  // Every intermediate level was a real state of the row: the chain has no gaps or repeats.
  expect(raced.map((m) => m.onHandAfter)).toEqual(
    raced.reduce<number[]>((acc, m) => [...acc, (acc.at(-1) ?? 100) + m.onHandDelta], []),
  );
});

it('30 parallel −1 on a row of 20 remove exactly 20 and refuse 10 with INSUFFICIENT_STOCK', async () => {
  const w = await createWarehouseAs(seller);
  const p = await createProductAs(seller);
  const start = await setStockAs(seller, w.id, p.id, 20);
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) => via(i).request(AdjustStockDocument, { input: { warehouseId: w.id, productId: p.id, delta: -1 } })),
  );
  const codes = results.map((r) => errorCode(r) ?? 'OK');
  expect(codes.filter((c) => c === 'OK')).toHaveLength(20);
  expect(codes.filter((c) => c === 'INSUFFICIENT_STOCK')).toHaveLength(10);
  expect((await em().findOneOrFail(Stock, Number(start.id))).onHand).toBe(0);
  expect(await em().count(StockMovement, { stock: Number(start.id) })).toBe(21);
});

it('20 parallel setStock with the same expectedVersion: exactly 1 wins, 19 get CONFLICT', async () => {
  const w = await createWarehouseAs(seller);
  const p = await createProductAs(seller);
  const start = await setStockAs(seller, w.id, p.id, 1);
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      via(i).request(SetStockDocument, { input: { warehouseId: w.id, productId: p.id, onHand: 100 + i, expectedVersion: start.version } }),
    ),
  );
  const winners = results.filter((r) => !r.errors);
  expect(winners).toHaveLength(1);
  expect(results.map((r) => errorCode(r)).filter((c) => c === 'CONFLICT')).toHaveLength(19);
  const winner = winners[0].data!.setStock;
  const stock = await em().findOneOrFail(Stock, Number(start.id));
  expect({ onHand: stock.onHand, version: stock.version }).toEqual({ onHand: winner.onHand, version: start.version + 1 });
  expect(await em().count(StockMovement, { stock: stock.id })).toBe(2);
});

it('20 parallel setStock without expectedVersion all apply (retried on conflict); the ledger ends at the stored value', async () => {
  const w = await createWarehouseAs(seller);
  const p = await createProductAs(seller);
  const start = await setStockAs(seller, w.id, p.id, 1);
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => via(i).request(SetStockDocument, { input: { warehouseId: w.id, productId: p.id, onHand: 200 + i } })),
  );
  expect(results.filter((r) => r.errors).map((r) => r.errors)).toEqual([]);
  const stock = await em().findOneOrFail(Stock, Number(start.id));
  expect(stock.onHand).toBeGreaterThanOrEqual(200);
  expect(stock.onHand).toBeLessThan(220);
  const movements = await em().find(StockMovement, { stock: stock.id }, { orderBy: { id: 'asc' } });
  expect(movements).toHaveLength(21);
  expect(movements.at(-1)!.onHandAfter).toBe(stock.onHand);
  expect(movements.slice(1).map((m) => m.onHandAfter).sort()).toEqual(Array.from({ length: 20 }, (_, i) => 200 + i));
});

it('a warehouse deleted while adjustments race ends archived and empty', async () => {
  const w = await createWarehouseAs(seller);
  const p = await createProductAs(seller);
  const start = await setStockAs(seller, w.id, p.id, 10);
  const adjustments = Array.from({ length: 20 }, (_, i) =>
    via(i).request(AdjustStockDocument, { input: { warehouseId: w.id, productId: p.id, delta: 1 } }),
  );
  const deletion = via(1).request(DeleteWarehouseDocument, { id: w.id });
  const [deleted, ...adjusted] = await Promise.all([deletion, ...adjustments]);
  expect(errorCode(deleted)).toBeUndefined();
  // Each adjustment either landed before the delete (and was zeroed by it) or found no warehouse.
  expect(adjusted.map((r) => errorCode(r) ?? 'OK').filter((c) => c !== 'OK' && c !== 'NOT_FOUND')).toEqual([]);
  expect((await em().findOneOrFail(Warehouse, Number(w.id))).archivedAt).toBeInstanceOf(Date);
  const stock = await em().findOneOrFail(Stock, Number(start.id));
  expect(stock.onHand).toBe(0);
  const last = await em().findOneOrFail(StockMovement, { stock: stock.id }, { orderBy: { id: 'desc' } });
  expect([last.reason, last.onHandAfter]).toEqual(['warehouse deleted', 0]);
});
