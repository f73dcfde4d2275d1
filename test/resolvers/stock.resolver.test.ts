import { Stock, StockMovement } from '../../src/entities';
import { AdjustStockDocument, DeleteProductDocument, SetStockDocument, SetStocksDocument, StockMovementsDocument } from '../generated/catalog';
import { createProductAs, createWarehouseAs, errorCode, expectData, holdStock, setStockAs, type TestUser, useSellerStrangerAdmin } from '../kit';

const { server, seller, stranger, admin } = useSellerStrangerAdmin();

const em = () => server.em();
const counts = async () => ({ stocks: await em().count(Stock, {}), movements: await em().count(StockMovement, {}) });

async function fixture() {
  const w = await createWarehouseAs(seller);
  const p = await createProductAs(seller);
  return { w, p, ids: { warehouseId: w.id, productId: p.id } };
}

async function ledger(productId: string, user = seller) {
  return expectData(await user.client.request(StockMovementsDocument, { productId, first: 100 })).stockMovements.edges.map((e) => e.node);
}

describe('setStock', () => {
  it('creates the row on first use and records each change in the ledger', async () => {
    const { w, p, ids } = await fixture();
    const first = await setStockAs(seller, w.id, p.id, 10);
    expect(first).toMatchObject({ onHand: 10, reserved: 0, available: 10, version: 2, warehouse: { id: w.id }, product: { id: p.id } });
    const second = expectData(await seller.client.request(SetStockDocument, { input: { ...ids, onHand: 4 } })).setStock;
    expect(second).toMatchObject({ id: first.id, onHand: 4, version: 3 });
    // Setting the same value again records nothing.
    const same = expectData(await seller.client.request(SetStockDocument, { input: { ...ids, onHand: 4 } })).setStock;
    expect(same.version).toBe(3);
    expect((await ledger(p.id)).map((m) => [m.kind, m.delta, m.onHandDelta, m.reservedDelta, m.onHandAfter, m.reservedAfter, m.actor?.id])).toEqual([
      ['ADJUSTMENT', 10, 10, 0, 10, 0, String(seller.id)],
      ['ADJUSTMENT', -6, -6, 0, 4, 0, String(seller.id)],
    ]);
  });

  it('is a compare-and-set with expectedVersion', async () => {
    const { ids } = await fixture();
    const created = expectData(await seller.client.request(SetStockDocument, { input: { ...ids, onHand: 1 } })).setStock;
    const ok = expectData(await seller.client.request(SetStockDocument, { input: { ...ids, onHand: 2, expectedVersion: created.version } })).setStock;
    expect(ok).toMatchObject({ onHand: 2, version: created.version + 1 });
    const stale = await seller.client.request(SetStockDocument, { input: { ...ids, onHand: 3, expectedVersion: created.version } });
    expect(errorCode(stale)).toBe('CONFLICT');
    expect((await em().findOneOrFail(Stock, Number(created.id))).onHand).toBe(2);
    // A compare-and-set to the same value still bumps the version: it claims that version.
    const claim = expectData(await seller.client.request(SetStockDocument, { input: { ...ids, onHand: 2, expectedVersion: ok.version } })).setStock;
    expect(claim).toMatchObject({ onHand: 2, version: ok.version + 1 });
  });

  it('never goes below what active holds reserve; lapsed holds are released first', async () => {
    const { p, ids } = await fixture();
    await setStockAs(seller, ids.warehouseId, p.id, 10);
    await holdStock(server, { userId: stranger.id, productId: Number(p.id), quantity: 3, expiresAtMs: Date.now() + 60_000 });
    await holdStock(server, { userId: admin.id, productId: Number(p.id), quantity: 4, expiresAtMs: Date.now() - 1 });
    const view = expectData(await seller.client.request(SetStockDocument, { input: { ...ids, onHand: 10 } })).setStock;
    // The setStock released the lapsed hold (EXPIRY) on its way.
    expect(view).toMatchObject({ onHand: 10, reserved: 3, available: 7 });
    const below = await seller.client.request(SetStockDocument, { input: { ...ids, onHand: 2 } });
    expect(below.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'onHand' });
    expect(below.errors?.[0].message).toMatch(/3 units reserved/);
    const exact = expectData(await seller.client.request(SetStockDocument, { input: { ...ids, onHand: 3 } })).setStock;
    expect(exact).toMatchObject({ onHand: 3, reserved: 3, available: 0 });
    const kinds = (await ledger(p.id)).map((m) => [m.kind, m.delta, m.actor?.id ?? null]);
    expect(kinds).toEqual([
      ['ADJUSTMENT', 10, String(seller.id)],
      ['RESERVATION', 3, String(stranger.id)],
      ['RESERVATION', 4, String(admin.id)],
      ['EXPIRY', -4, null],
      ['ADJUSTMENT', -7, String(seller.id)],
    ]);
  });

  it('reports reserved without lapsed holds even before they are swept', async () => {
    const { p, ids } = await fixture();
    await setStockAs(seller, ids.warehouseId, p.id, 10);
    await holdStock(server, { userId: stranger.id, productId: Number(p.id), quantity: 6, expiresAtMs: Date.now() - 1 });
    const stock = await em().findOneOrFail(Stock, { product: Number(p.id) });
    expect(stock.reserved).toBe(6); // the row still counts it
    const res = await seller.client.request(SetStocksDocument, { input: [] });
    expect(expectData(res).setStocks).toEqual([]);
    const viaLedger = (await ledger(p.id)).at(-1)!;
    expect(viaLedger).toMatchObject({ kind: 'RESERVATION', delta: 6 });
    const adjusted = expectData(await seller.client.request(AdjustStockDocument, { input: { ...ids, delta: 1 } })).adjustStock;
    expect(adjusted).toMatchObject({ onHand: 11, reserved: 0, available: 11 });
  });

  it.each([
    ['onHand', { onHand: -1 }],
    ['onHand', { onHand: 1_000_000_001 }],
    ['expectedVersion', { expectedVersion: 0 }],
    ['warehouseId', { warehouseId: 'abc' }],
    ['productId', { productId: '0' }],
  ])('refuses a bad %s and changes nothing', async (field, patch) => {
    const { ids } = await fixture();
    const before = await counts();
    const res = await seller.client.request(SetStockDocument, { input: { ...ids, onHand: 1, ...patch } });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await counts()).toEqual(before);
  });

  it('lets only the warehouse owner stock their own live products', async () => {
    const { w, p, ids } = await fixture();
    const strangerWarehouse = await createWarehouseAs(stranger);
    const strangerProduct = await createProductAs(stranger);
    const archived = await createProductAs(seller);
    await seller.client.request(DeleteProductDocument, { id: archived.id });
    const before = await counts();
    const cases: [TestUser | null, { warehouseId: string; productId: string }, string][] = [
      [null, ids, 'UNAUTHENTICATED'],
      [stranger, ids, 'NOT_FOUND'], // someone else's warehouse: not even its existence is told
      [admin, ids, 'FORBIDDEN'],
      [seller, { warehouseId: strangerWarehouse.id, productId: p.id }, 'NOT_FOUND'],
      [seller, { warehouseId: w.id, productId: strangerProduct.id }, 'FORBIDDEN'],
      [stranger, { warehouseId: strangerWarehouse.id, productId: p.id }, 'FORBIDDEN'],
      [seller, { warehouseId: '999999', productId: p.id }, 'NOT_FOUND'],
      [seller, { warehouseId: w.id, productId: '999999' }, 'NOT_FOUND'],
      [seller, { warehouseId: w.id, productId: archived.id }, 'NOT_FOUND'],
    ];
    for (const [user, target, code] of cases) {
      const client = user ? user.client : server.client;
      expect([code, errorCode(await client.request(SetStockDocument, { input: { ...target, onHand: 5 } }))]).toEqual([code, code]);
      expect([code, errorCode(await client.request(AdjustStockDocument, { input: { ...target, delta: 5 } }))]).toEqual([code, code]);
    }
    expect(await counts()).toEqual(before);
  });
});

describe('adjustStock', () => {
  it('adds and removes relative amounts with a reason in the ledger', async () => {
    const { p, ids } = await fixture();
    expect(expectData(await seller.client.request(AdjustStockDocument, { input: { ...ids, delta: 5, reason: 'delivery #7' } })).adjustStock).toMatchObject({
      onHand: 5,
    });
    expect(expectData(await seller.client.request(AdjustStockDocument, { input: { ...ids, delta: -3 } })).adjustStock).toMatchObject({ onHand: 2 });
    expect((await ledger(p.id)).map((m) => [m.kind, m.delta, m.onHandAfter, m.reason])).toEqual([
      ['ADJUSTMENT', 5, 5, 'delivery #7'],
      ['ADJUSTMENT', -3, 2, null],
    ]);
  });

  it('refuses to go below the reserved quantity with INSUFFICIENT_STOCK', async () => {
    const { p, ids } = await fixture();
    await setStockAs(seller, ids.warehouseId, p.id, 5);
    await holdStock(server, { userId: stranger.id, productId: Number(p.id), quantity: 2, expiresAtMs: Date.now() + 60_000 });
    const res = await seller.client.request(AdjustStockDocument, { input: { ...ids, delta: -4 } });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'INSUFFICIENT_STOCK', productId: p.id, available: 3 });
    expect((await em().findOneOrFail(Stock, { product: Number(p.id) })).onHand).toBe(5);
    expect(expectData(await seller.client.request(AdjustStockDocument, { input: { ...ids, delta: -3 } })).adjustStock).toMatchObject({
      onHand: 2,
      reserved: 2,
      available: 0,
    });
  });

  it('releases lapsed holds when they are in the way', async () => {
    const { p, ids } = await fixture();
    await setStockAs(seller, ids.warehouseId, p.id, 5);
    await holdStock(server, { userId: stranger.id, productId: Number(p.id), quantity: 5, expiresAtMs: Date.now() - 1 });
    expect(expectData(await seller.client.request(AdjustStockDocument, { input: { ...ids, delta: -5 } })).adjustStock).toMatchObject({
      onHand: 0,
      reserved: 0,
    });
  });

  it('refuses a removal from a product never stocked there, without creating the row', async () => {
    const { ids } = await fixture();
    const before = await counts();
    const res = await seller.client.request(AdjustStockDocument, { input: { ...ids, delta: -1 } });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'INSUFFICIENT_STOCK', available: 0 });
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['delta', { delta: 0 }],
    ['delta', { delta: 1_000_000_001 }],
    ['reason', { reason: 'r'.repeat(501) }],
  ])('refuses a bad %s', async (field, patch) => {
    const { ids } = await fixture();
    const res = await seller.client.request(AdjustStockDocument, { input: { ...ids, delta: 1, ...patch } });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('refuses to go over the on-hand maximum', async () => {
    const { p, ids } = await fixture();
    await setStockAs(seller, ids.warehouseId, p.id, 1_000_000_000);
    const res = await seller.client.request(AdjustStockDocument, { input: { ...ids, delta: 1 } });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'delta' });
    expect((await em().findOneOrFail(Stock, { product: Number(p.id) })).onHand).toBe(1_000_000_000);
  });
});

describe('setStocks', () => {
  it('applies each item on its own and answers in input order', async () => {
    const { w, p, ids } = await fixture();
    const p2 = await createProductAs(seller);
    const foreign = await createProductAs(stranger);
    const res = expectData(
      await seller.client.request(SetStocksDocument, {
        input: [
          { ...ids, onHand: 5 },
          { warehouseId: w.id, productId: foreign.id, onHand: 5 },
          { warehouseId: w.id, productId: p2.id, onHand: -1 },
          { warehouseId: w.id, productId: p2.id, onHand: 8 },
          { ...ids, onHand: 6 }, // same row as the first: applied after it
          { warehouseId: 'nope', productId: p.id, onHand: 1 },
          { ...ids, onHand: 7, expectedVersion: 1 },
        ],
      }),
    ).setStocks;
    expect(res.map((r) => (r.ok ? ['ok', r.stock!.product.id, r.stock!.onHand] : ['error', r.error!.code]))).toEqual([
      ['ok', p.id, 6],
      ['error', 'FORBIDDEN'],
      ['error', 'BAD_USER_INPUT'],
      ['ok', p2.id, 8],
      ['ok', p.id, 6],
      ['error', 'BAD_USER_INPUT'],
      ['error', 'CONFLICT'],
    ]);
    expect(res[2].error!.message).toMatch(/onHand/);
    expect((await ledger(p.id)).map((m) => m.onHandAfter)).toEqual([5, 6]);
  });

  it('takes at most 500 items and needs a signed-in user', async () => {
    const { ids } = await fixture();
    const many = Array.from({ length: 501 }, () => ({ ...ids, onHand: 1 }));
    const res = await seller.client.request(SetStocksDocument, { input: many });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input' });
    expect(errorCode(await server.client.request(SetStocksDocument, { input: [{ ...ids, onHand: 1 }] }))).toBe('UNAUTHENTICATED');
    expect(await em().count(Stock, { product: Number(ids.productId) })).toBe(0);
  });

  it('handles a full batch of 500 rows', async () => {
    const w = await createWarehouseAs(seller);
    const products = await Promise.all(Array.from({ length: 25 }, (_, i) => createProductAs(seller, { name: `Bulk ${i}` })));
    const warehouses = [w, ...(await Promise.all(Array.from({ length: 19 }, (_, i) => createWarehouseAs(seller, `Bulk W${i}`))))];
    const input = warehouses.flatMap((wh, i) => products.map((pr, j) => ({ warehouseId: wh.id, productId: pr.id, onHand: i * 100 + j })));
    expect(input).toHaveLength(500);
    const started = Date.now();
    const res = expectData(await seller.client.request(SetStocksDocument, { input })).setStocks;
    const took = Date.now() - started;
    expect(res.every((r) => r.ok)).toBe(true);
    expect(res.map((r) => r.stock!.onHand)).toEqual(input.map((i) => i.onHand));
    // Generous bound: 500 small transactions; catches an accidental serial/N+1 blow-up.
    expect(took).toBeLessThan(30_000);
  });
});

describe('stockMovements', () => {
  it('pages the ledger oldest first for the owner and admins only', async () => {
    const { p, ids } = await fixture();
    for (let i = 1; i <= 5; i += 1) await seller.client.request(AdjustStockDocument, { input: { ...ids, delta: i } });
    const page1 = expectData(await seller.client.request(StockMovementsDocument, { productId: p.id, first: 2 })).stockMovements;
    expect(page1.totalCount).toBe(5);
    expect(page1.edges.map((e) => e.node.onHandAfter)).toEqual([1, 3]);
    const page2 = expectData(await seller.client.request(StockMovementsDocument, { productId: p.id, first: 2, after: page1.pageInfo.endCursor })).stockMovements;
    expect(page2.edges.map((e) => e.node.onHandAfter)).toEqual([6, 10]);
    const page3 = expectData(await seller.client.request(StockMovementsDocument, { productId: p.id, first: 2, after: page2.pageInfo.endCursor })).stockMovements;
    expect(page3.edges.map((e) => e.node.onHandAfter)).toEqual([15]);
    expect(page3.pageInfo.hasNextPage).toBe(false);

    expect((await ledger(p.id, admin)).length).toBe(5);
    expect(errorCode(await stranger.client.request(StockMovementsDocument, { productId: p.id }))).toBe('FORBIDDEN');
    expect(errorCode(await server.client.request(StockMovementsDocument, { productId: p.id }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await seller.client.request(StockMovementsDocument, { productId: '999999' }))).toBe('NOT_FOUND');
    const big = await seller.client.request(StockMovementsDocument, { productId: p.id, first: 101 });
    expect(big.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const cursor = await seller.client.request(StockMovementsDocument, { productId: p.id, after: 'garbage' });
    expect(cursor.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('pages a product ledger over several stock rows, interleaved with other products, each movement once in id order', async () => {
    const { p, ids } = await fixture();
    const w2 = await createWarehouseAs(seller, 'Second DC');
    const other = await createProductAs(seller, { name: 'Other' });
    for (let i = 1; i <= 4; i += 1) {
      await seller.client.request(AdjustStockDocument, { input: { ...ids, delta: i } });
      await seller.client.request(AdjustStockDocument, { input: { warehouseId: w2.id, productId: p.id, delta: 10 * i } });
      await seller.client.request(AdjustStockDocument, { input: { warehouseId: w2.id, productId: other.id, delta: 1 } });
    }
    const expected = (await em().find(StockMovement, { stock: { product: Number(p.id) } }, { orderBy: { id: 'asc' } })).map((m) => String(m.id));
    expect(expected).toHaveLength(8);
    const seen: string[] = [];
    let after: string | null | undefined;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = expectData(await seller.client.request(StockMovementsDocument, { productId: p.id, first: 3, after })).stockMovements;
      seen.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
  });
});
