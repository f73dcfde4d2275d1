import { OrderStatus, Stock, StockHold, Warehouse } from '../../src/entities';
import {
  CreateWarehouseDocument,
  DeleteWarehouseDocument,
  ProductDocument,
  ProductStocksPageDocument,
  SetStockDocument,
  StockMovementsDocument,
  UpdateWarehouseDocument,
  WarehouseDocument,
  WarehousesDocument,
  WarehouseStocksPageDocument,
} from '../generated/catalog';
import {
  createProduct,
  createProductAs,
  createWarehouse,
  createWarehouseAs,
  errorCode,
  expectData,
  holdStock,
  placeOrder,
  registerUser,
  setStockAs,
  setStockLevels,
  useSellerStrangerAdmin,
} from '../kit';

const { server, seller, stranger, admin } = useSellerStrangerAdmin();

const em = () => server.em();

describe('createWarehouse / updateWarehouse', () => {
  it('creates and partially updates a warehouse', async () => {
    const w = await createWarehouseAs(seller, 'Jakarta DC');
    expect(w).toMatchObject({ name: 'Jakarta DC', location: 'Jakarta' });
    const noLocation = expectData(await seller.client.request(CreateWarehouseDocument, { input: { name: 'Bare' } })).createWarehouse;
    expect(noLocation.location).toBe('');
    const updated = expectData(await seller.client.request(UpdateWarehouseDocument, { id: w.id, input: { location: 'Bekasi' } })).updateWarehouse;
    expect(updated).toMatchObject({ id: w.id, name: 'Jakarta DC', location: 'Bekasi' });
  });

  it('validates names and locations', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ name: '' }, 'name'],
      [{ name: 'n'.repeat(201) }, 'name'],
      [{ name: 'ok', location: 'l'.repeat(201) }, 'location'],
    ];
    for (const [input, field] of cases) {
      const res = await seller.client.request(CreateWarehouseDocument, { input: { name: 'x', ...input } });
      expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const w = await createWarehouseAs(seller);
    const res = await seller.client.request(UpdateWarehouseDocument, { id: w.id, input: { name: 'n'.repeat(201) } });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect((await em().findOneOrFail(Warehouse, Number(w.id))).name).toBe('Main DC');
  });

  it('hides a warehouse from strangers and refuses anonymous callers', async () => {
    const w = await createWarehouseAs(seller, 'Private');
    expect(errorCode(await stranger.client.request(UpdateWarehouseDocument, { id: w.id, input: { name: 'x' } }))).toBe('NOT_FOUND');
    expect(errorCode(await admin.client.request(UpdateWarehouseDocument, { id: w.id, input: { name: 'x' } }))).toBe('FORBIDDEN');
    expect(errorCode(await server.client.request(UpdateWarehouseDocument, { id: w.id, input: { name: 'x' } }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await server.client.request(CreateWarehouseDocument, { input: { name: 'x' } }))).toBe('UNAUTHENTICATED');
    expect((await em().findOneOrFail(Warehouse, Number(w.id))).name).toBe('Private');
  });
});

describe('warehouses / warehouse', () => {
  it('lists only the caller’s live warehouses', async () => {
    const owner = await registerUser(server);
    const a = await createWarehouseAs(owner, 'A');
    const b = await createWarehouseAs(owner, 'B');
    await createWarehouseAs(stranger, 'Not mine');
    expect(expectData(await owner.client.request(WarehousesDocument)).warehouses.map((w) => w.id)).toEqual([a.id, b.id]);
    await owner.client.request(DeleteWarehouseDocument, { id: a.id });
    expect(expectData(await owner.client.request(WarehousesDocument)).warehouses.map((w) => w.id)).toEqual([b.id]);
    expect(errorCode(await server.client.request(WarehousesDocument))).toBe('UNAUTHENTICATED');
  });

  it('shows a warehouse with its stock to the owner and admins only', async () => {
    const w = await createWarehouseAs(seller, 'Visible');
    const p = await createProductAs(seller);
    await setStockAs(seller, w.id, p.id, 7);
    const mine = expectData(await seller.client.request(WarehouseDocument, { id: w.id })).warehouse!;
    expect(mine.stocks).toEqual([expect.objectContaining({ onHand: 7, reserved: 0, available: 7, product: { id: p.id, name: p.name } })]);
    expect(expectData(await admin.client.request(WarehouseDocument, { id: w.id })).warehouse!.stocks).toHaveLength(1);
    // Not yours or not there: null and no error (the not-found rule of single-object queries).
    expect(await stranger.client.request(WarehouseDocument, { id: w.id })).toEqual({ status: 200, data: { warehouse: null } });
    expect(await seller.client.request(WarehouseDocument, { id: '999999' })).toEqual({ status: 200, data: { warehouse: null } });
    expect(errorCode(await server.client.request(WarehouseDocument, { id: w.id }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await seller.client.request(WarehouseDocument, { id: '-1' }))).toBe('BAD_USER_INPUT');
  });
});

describe('Warehouse.stocks / Product.stocks pages', () => {
  it('returns at most 100 stocks by default, and pages through the rest with first/after in id order', async () => {
    const warehouseId = await createWarehouse(server, { ownerId: seller.id });
    const products: number[] = [];
    for (let i = 0; i < 105; i += 1) products.push(await createProduct(server, { ownerId: seller.id }));
    const stockIds = await setStockLevels(server, products.map((productId, i) => ({ warehouseId, productId, onHand: i + 1 })));
    const page = async (variables: { first?: number; after?: string }) =>
      expectData(await seller.client.request(WarehouseStocksPageDocument, { id: String(warehouseId), ...variables })).warehouse!.stocks;

    const all = await page({});
    expect(all.map((s) => Number(s.id))).toEqual(stockIds.slice(0, 100));
    const seen: number[] = [];
    let after: string | undefined;
    for (;;) {
      const stocks = await page({ first: 40, after });
      seen.push(...stocks.map((s) => Number(s.id)));
      if (stocks.length < 40) break;
      after = stocks[stocks.length - 1].cursor;
    }
    expect(seen).toEqual(stockIds);
    expect(await page({ first: 100, after: all[99].cursor })).toEqual(
      stockIds.slice(100).map((id, i) => ({ id: String(id), cursor: expect.any(String), onHand: 101 + i })),
    );

    const invalid: [{ first?: number; after?: string }, string][] = [
      [{ first: 0 }, 'first'],
      [{ first: 101 }, 'first'],
      [{ after: 'not-a-cursor' }, 'after'],
    ];
    for (const [variables, field] of invalid) {
      const res = await seller.client.request(WarehouseStocksPageDocument, { id: String(warehouseId), ...variables });
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors![0].extensions?.field).toBe(field);
    }
  });

  it('pages a product’s stocks the same way', async () => {
    const p = await createProductAs(seller);
    const a = await createWarehouseAs(seller, 'First');
    const b = await createWarehouseAs(seller, 'Second');
    await setStockAs(seller, a.id, p.id, 1);
    await setStockAs(seller, b.id, p.id, 2);
    const first = expectData(await seller.client.request(ProductStocksPageDocument, { id: p.id, first: 1 })).product!.stocks;
    expect(first.map((s) => s.warehouse.id)).toEqual([a.id]);
    const rest = expectData(await seller.client.request(ProductStocksPageDocument, { id: p.id, after: first[0].cursor })).product!.stocks;
    expect(rest.map((s) => s.warehouse.id)).toEqual([b.id]);
  });
});

describe('deleteWarehouse', () => {
  it('deletes a warehouse that never had stock', async () => {
    const w = await createWarehouseAs(seller);
    expect(expectData(await seller.client.request(DeleteWarehouseDocument, { id: w.id })).deleteWarehouse).toBe(true);
    expect(await em().findOne(Warehouse, Number(w.id))).toBeNull();
  });

  it('zeroes the stock through the ledger and archives a warehouse with stock', async () => {
    const w = await createWarehouseAs(seller, 'Closing');
    const other = await createWarehouseAs(seller, 'Staying');
    const p = await createProductAs(seller);
    await setStockAs(seller, w.id, p.id, 9);
    await setStockAs(seller, other.id, p.id, 4);
    // A lapsed hold does not block the delete: it is released (EXPIRY) first.
    await holdStock(server, { userId: stranger.id, productId: Number(p.id), quantity: 2, expiresAtMs: Date.now() - 1000 });

    expect(expectData(await seller.client.request(DeleteWarehouseDocument, { id: w.id })).deleteWarehouse).toBe(true);

    const row = await em().findOneOrFail(Warehouse, Number(w.id));
    expect(row.archivedAt).toBeInstanceOf(Date);
    const stock = await em().findOneOrFail(Stock, { warehouse: Number(w.id) });
    expect({ onHand: stock.onHand, reserved: stock.reserved }).toEqual({ onHand: 0, reserved: 0 });
    expect(await em().count(StockHold, { stock: stock.id })).toBe(0);
    expect(expectData(await server.client.request(ProductDocument, { id: p.id })).product!.available).toBe(4);

    const ledger = expectData(await seller.client.request(StockMovementsDocument, { productId: p.id })).stockMovements.edges.map((e) => e.node);
    const closing = ledger.filter((m) => m.stock.id === String(stock.id));
    expect(closing.map((m) => [m.kind, m.delta, m.onHandAfter, m.reservedAfter, m.reason])).toEqual([
      ['ADJUSTMENT', 9, 9, 0, 'stock set'],
      ['RESERVATION', 2, 9, 2, null],
      ['EXPIRY', -2, 9, 0, 'cart hold lapsed'],
      ['ADJUSTMENT', -9, 0, 0, 'warehouse deleted'],
    ]);
    expect(closing[3].actor).toEqual({ id: String(seller.id) });

    // Gone for every operation.
    expect(expectData(await seller.client.request(WarehouseDocument, { id: w.id })).warehouse).toBeNull();
    expect(errorCode(await seller.client.request(DeleteWarehouseDocument, { id: w.id }))).toBe('NOT_FOUND');
    const set = await seller.client.request(SetStockDocument, { input: { warehouseId: w.id, productId: p.id, onHand: 1 } });
    expect(errorCode(set)).toBe('NOT_FOUND');
  });

  it('is refused while carts hold its stock, and changes nothing', async () => {
    const w = await createWarehouseAs(seller);
    const p = await createProductAs(seller);
    await setStockAs(seller, w.id, p.id, 5);
    await holdStock(server, { userId: stranger.id, productId: Number(p.id), quantity: 2, expiresAtMs: Date.now() + 60_000 });
    const res = await seller.client.request(DeleteWarehouseDocument, { id: w.id });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect(res.errors?.[0].message).toMatch(/2 units reserved in carts/);
    const stock = await em().findOneOrFail(Stock, { warehouse: Number(w.id) });
    expect({ onHand: stock.onHand, reserved: stock.reserved }).toEqual({ onHand: 5, reserved: 2 });
    expect((await em().findOneOrFail(Warehouse, Number(w.id))).archivedAt ?? null).toBeNull();
  });

  it('is refused while open orders ship from it, allowed once they are done', async () => {
    const w = await createWarehouseAs(seller);
    const p = await createProductAs(seller);
    await setStockAs(seller, w.id, p.id, 5);
    const orderId = await placeOrder(server, { userId: stranger.id, productId: Number(p.id), quantity: 1, status: OrderStatus.PROCESSED });
    await placeOrder(server, { userId: stranger.id, productId: Number(p.id), quantity: 1, status: OrderStatus.DELIVERED });
    const res = await seller.client.request(DeleteWarehouseDocument, { id: w.id });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect(res.errors?.[0].message).toMatch(/1 open orders/);
    expect((await em().findOneOrFail(Stock, { warehouse: Number(w.id) })).onHand).toBe(3);

    await em().nativeUpdate('Order', { id: orderId }, { status: OrderStatus.SHIPPED });
    expect(expectData(await seller.client.request(DeleteWarehouseDocument, { id: w.id })).deleteWarehouse).toBe(true);
    expect((await em().findOneOrFail(Stock, { warehouse: Number(w.id) })).onHand).toBe(0);
  });

  it('hides the warehouse from strangers; admins may not delete it', async () => {
    const w = await createWarehouseAs(seller);
    expect(errorCode(await stranger.client.request(DeleteWarehouseDocument, { id: w.id }))).toBe('NOT_FOUND');
    expect(errorCode(await admin.client.request(DeleteWarehouseDocument, { id: w.id }))).toBe('FORBIDDEN');
    expect(errorCode(await server.client.request(DeleteWarehouseDocument, { id: w.id }))).toBe('UNAUTHENTICATED');
    expect(await em().findOne(Warehouse, Number(w.id))).not.toBeNull();
  });
});
