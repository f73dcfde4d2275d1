import { OrderStatus, Product } from '../../src/entities';
import {
  CreateProductDocument,
  DeleteProductDocument,
  ProductDocument,
  ProductsDocument,
  ProductWithStocksDocument,
  UpdateProductDocument,
  type ProductsQuery,
} from '../generated/catalog';
import {
  createProductAs,
  createWarehouseAs,
  errorCode,
  expectData,
  holdStock,
  placeOrder,
  registerUser,
  setStockAs,
  type TestUser,
  useSellerStrangerAdmin,
} from '../kit';

const { server, seller, stranger, admin } = useSellerStrangerAdmin();

const dbProduct = (id: string) => server.em().findOne(Product, Number(id));

describe('createProduct', () => {
  it('creates a product owned by the caller, with exact decimal price', async () => {
    const p = await createProductAs(seller, { name: '  Flash headphones ', price: '15000000.5', description: 'Noise cancelling' });
    expect(p).toMatchObject({
      name: 'Flash headphones',
      description: 'Noise cancelling',
      price: '15000000.50',
      category: 'audio',
      available: 0,
      totalOrdered: 0,
      owner: { id: String(seller.id) },
    });
    const anonymous = expectData(await server.client.request(ProductDocument, { id: p.id })).product;
    expect(anonymous).toMatchObject({ id: p.id, totalOrdered: null, available: 0 });
  });

  it('defaults the description to empty', async () => {
    const res = await seller.client.request(CreateProductDocument, { input: { name: 'No description', price: '1.00', category: 'misc' } });
    expect(expectData(res).createProduct.description).toBe('');
  });

  it('refuses anonymous callers', async () => {
    const res = await server.client.request(CreateProductDocument, { input: { name: 'X', price: '1.00', category: 'c' } });
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['name', { name: '' }],
    ['name', { name: '   ' }],
    ['name', { name: 'n'.repeat(201) }],
    ['description', { description: 'd'.repeat(5001) }],
    ['category', { category: '' }],
    ['category', { category: 'c'.repeat(101) }],
  ])('refuses a bad %s with BAD_USER_INPUT naming the field', async (field, patch) => {
    const before = await server.em().count(Product, {});
    const res = await seller.client.request(CreateProductDocument, { input: { name: 'Valid', price: '1.00', category: 'c', ...patch } });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].extensions?.field).toBe(field);
    expect(await server.em().count(Product, {})).toBe(before);
  });

  it('accepts the longest allowed strings', async () => {
    const p = await createProductAs(seller, { name: 'n'.repeat(200), description: 'd'.repeat(5000), category: 'c'.repeat(100) });
    expect(p.name).toHaveLength(200);
    expect(p.description).toHaveLength(5000);
  });

  it.each([
    ['a float', 19.99],
    ['a negative amount', '-1.00'],
    ['three decimals', '1.999'],
    ['not a number', 'abc'],
    ['too many digits', '12345678901234.00'],
  ])('refuses %s as price', async (_label, price) => {
    const res = await seller.client.raw({
      query: 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      variables: { input: { name: 'P', price, category: 'c' } },
    });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
  });

  it('refuses a float literal price in the query text (a document validation error)', async () => {
    const res = await seller.client.raw({ query: 'mutation { createProduct(input: {name: "P", price: 19.99, category: "c"}) { id } }' });
    expect(errorCode(res)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0].message).toMatch(/Decimal must be given as a string/);
  });
});

describe('updateProduct', () => {
  it('changes only the fields given', async () => {
    const p = await createProductAs(seller, { name: 'Old', price: '10.00', category: 'a', description: 'keep me' });
    const res = await seller.client.request(UpdateProductDocument, { id: p.id, input: { name: 'New', price: '12.34' } });
    expect(expectData(res).updateProduct).toMatchObject({ id: p.id, name: 'New', price: '12.34', category: 'a', description: 'keep me' });
    const cleared = await seller.client.request(UpdateProductDocument, { id: p.id, input: { description: '' } });
    expect(expectData(cleared).updateProduct).toMatchObject({ name: 'New', description: '' });
  });

  it('refuses anyone but the owner, and changes nothing', async () => {
    const p = await createProductAs(seller, { name: 'Mine' });
    const forbidden = await stranger.client.request(UpdateProductDocument, { id: p.id, input: { name: 'Stolen' } });
    expect(errorCode(forbidden)).toBe('FORBIDDEN');
    const adminRes = await admin.client.request(UpdateProductDocument, { id: p.id, input: { name: 'Admin edit' } });
    expect(errorCode(adminRes)).toBe('FORBIDDEN');
    const anonymous = await server.client.request(UpdateProductDocument, { id: p.id, input: { name: 'Anon' } });
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
    expect((await dbProduct(p.id))?.name).toBe('Mine');
  });

  it('reports unknown and malformed ids, and bad fields', async () => {
    expect(errorCode(await seller.client.request(UpdateProductDocument, { id: '999999', input: { name: 'x' } }))).toBe('NOT_FOUND');
    const malformed = await seller.client.request(UpdateProductDocument, { id: 'abc', input: { name: 'x' } });
    expect(errorCode(malformed)).toBe('BAD_USER_INPUT');
    expect(malformed.errors?.[0].extensions?.field).toBe('id');
    const p = await createProductAs(seller);
    const long = await seller.client.request(UpdateProductDocument, { id: p.id, input: { category: 'c'.repeat(101) } });
    expect(long.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'category' });
  });
});

describe('deleteProduct', () => {
  it('deletes a product nothing refers to', async () => {
    const p = await createProductAs(seller);
    expect(expectData(await seller.client.request(DeleteProductDocument, { id: p.id })).deleteProduct).toBe(true);
    expect(await dbProduct(p.id)).toBeNull();
    expect(expectData(await server.client.request(ProductDocument, { id: p.id })).product).toBeNull();
  });

  it('archives a product with stock, hiding it everywhere but keeping the row', async () => {
    const p = await createProductAs(seller, { name: 'Archivable zq' });
    const w = await createWarehouseAs(seller);
    await setStockAs(seller, w.id, p.id, 5);
    expect(expectData(await seller.client.request(DeleteProductDocument, { id: p.id })).deleteProduct).toBe(true);
    const row = await dbProduct(p.id);
    expect(row?.archivedAt).toBeInstanceOf(Date);
    expect(expectData(await seller.client.request(ProductDocument, { id: p.id })).product).toBeNull();
    const list = expectData(await server.client.request(ProductsDocument, { filter: { name: 'archivable zq' } })).products;
    expect(list.totalCount).toBe(0);
    expect(errorCode(await seller.client.request(UpdateProductDocument, { id: p.id, input: { name: 'x' } }))).toBe('NOT_FOUND');
    expect(errorCode(await seller.client.request(DeleteProductDocument, { id: p.id }))).toBe('NOT_FOUND');
  });

  it('archives a product that has orders', async () => {
    const p = await createProductAs(seller);
    const w = await createWarehouseAs(seller);
    await setStockAs(seller, w.id, p.id, 3);
    await placeOrder(server, { userId: stranger.id, productId: Number(p.id), quantity: 1, status: OrderStatus.DELIVERED });
    await seller.client.request(DeleteProductDocument, { id: p.id });
    expect((await dbProduct(p.id))?.archivedAt).toBeInstanceOf(Date);
  });

  it('refuses anyone but the owner, and keeps the product', async () => {
    const p = await createProductAs(seller);
    expect(errorCode(await stranger.client.request(DeleteProductDocument, { id: p.id }))).toBe('FORBIDDEN');
    expect(errorCode(await server.client.request(DeleteProductDocument, { id: p.id }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await seller.client.request(DeleteProductDocument, { id: '424242' }))).toBe('NOT_FOUND');
    const row = await dbProduct(p.id);
    expect(row).not.toBeNull();
    expect(row?.archivedAt ?? null).toBeNull();
  });
});

describe('products (public catalog)', () => {
  let owner: TestUser;
  const ids: string[] = [];

  beforeAll(async () => {
    owner = await registerUser(server);
    for (const [i, name] of ['Paging A', 'Paging B 50% off', 'Paging C', 'paging d', 'Paging_E'].entries()) {
      ids.push((await createProductAs(owner, { name, category: i % 2 ? 'odd' : 'even' })).id);
    }
  });

  it('pages through a filtered list with stable cursors', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const res: ProductsQuery = expectData(await server.client.request(ProductsDocument, { first: 2, after, filter: { ownerId: String(owner.id) } }));
      expect(res.products.totalCount).toBe(5);
      seen.push(...res.products.edges.map((e) => e.node.id));
      pages += 1;
      if (!res.products.pageInfo.hasNextPage) break;
      after = res.products.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);
  });

  it('filters by name substring (case-insensitive, wildcards literal), category and owner', async () => {
    const names = async (filter: Record<string, string>) =>
      expectData(await server.client.request(ProductsDocument, { filter: { ownerId: String(owner.id), ...filter } })).products.edges.map((e) => e.node.name);
    expect(await names({ name: 'PAGING D' })).toEqual(['paging d']);
    expect(await names({ name: '50%' })).toEqual(['Paging B 50% off']);
    expect(await names({ name: 'g_e' })).toEqual(['Paging_E']);
    expect(await names({ name: '%' })).toEqual(['Paging B 50% off']);
    expect(await names({ category: 'odd' })).toEqual(['Paging B 50% off', 'paging d']);
    expect(await names({ category: 'odd', name: 'b' })).toEqual(['Paging B 50% off']);
    const other = expectData(await server.client.request(ProductsDocument, { filter: { ownerId: String(stranger.id) } })).products;
    expect(other.totalCount).toBe(0);
  });

  it('refuses a page size over 100, a bad cursor and a bad owner id', async () => {
    const big = await server.client.request(ProductsDocument, { first: 101 });
    expect(big.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const zero = await server.client.request(ProductsDocument, { first: 0 });
    expect(zero.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const cursor = await server.client.request(ProductsDocument, { after: 'not-a-cursor' });
    expect(cursor.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const ownerId = await server.client.request(ProductsDocument, { filter: { ownerId: 'x' } });
    expect(ownerId.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.ownerId' });
  });

  it('returns null for an unknown product', async () => {
    expect(expectData(await server.client.request(ProductDocument, { id: '987654' })).product).toBeNull();
  });
});

describe('products(filter: { search }) (word prefixes, through the name index)', () => {
  let owner: TestUser;
  const search = async (filter: Record<string, string>, page: { first?: number; after?: string | null } = {}) =>
    expectData(await server.client.request(ProductsDocument, { ...page, filter: { ownerId: String(owner.id), ...filter } })).products;
  const names = async (filter: Record<string, string>) => (await search(filter)).edges.map((e) => e.node.name);

  beforeAll(async () => {
    owner = await registerUser(server);
    const catalog: [string, string][] = [
      ['Headphones Wireless Pro', 'audio'],
      ['Wireless charger', 'power'],
      ['Overhead lamp', 'home'],
      ['Café crème mug', 'home'],
      ['The thing with 50% off', 'home'],
      ['Wireless speaker', 'audio'],
    ];
    for (const [name, category] of catalog) await createProductAs(owner, { name, category });
    const archived = await createProductAs(owner, { name: 'Wireless archived', category: 'audio' });
    await setStockAs(owner, (await createWarehouseAs(owner)).id, archived.id, 1);
    expectData(await owner.client.request(DeleteProductDocument, { id: archived.id }));
  });

  it('finds names with a word beginning with each given word, ignoring case and accents, never archived ones', async () => {
    expect(await names({ search: 'WIRE' })).toEqual(['Headphones Wireless Pro', 'Wireless charger', 'Wireless speaker']);
    expect(await names({ search: 'head' })).toEqual(['Headphones Wireless Pro']); // not "Overhead": a word prefix, not a substring
    expect(await names({ search: 'wire  HEADPH' })).toEqual(['Headphones Wireless Pro']);
    expect(await names({ search: 'cafe' })).toEqual(['Café crème mug']);
    expect(await names({ search: 'the with' })).toEqual(['The thing with 50% off']); // no stopwords
    expect(await names({ search: '"off"*' })).toEqual(['The thing with 50% off']); // operators are not words
    expect(await names({ search: 'wireless lamp' })).toEqual([]);
    expect(await names({ search: 'archived' })).toEqual([]);
  });

  it('pages with totalCount, and combines with the category and name filters', async () => {
    const first = await search({ search: 'wireless' }, { first: 2 });
    expect(first.totalCount).toBe(3);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await search({ search: 'wireless' }, { first: 2, after: first.pageInfo.endCursor });
    expect(second.totalCount).toBe(3);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect([...first.edges, ...second.edges].map((e) => e.node.name)).toEqual(['Headphones Wireless Pro', 'Wireless charger', 'Wireless speaker']);
    const audio = await search({ search: 'wireless', category: 'audio' });
    expect(audio.edges.map((e) => e.node.name)).toEqual(['Headphones Wireless Pro', 'Wireless speaker']);
    expect(audio.totalCount).toBe(2);
    expect(await names({ search: 'wireless', name: 'speak' })).toEqual(['Wireless speaker']);
  });

  it('follows renames and deletes', async () => {
    const p = await createProductAs(owner, { name: 'Zither deluxe', category: 'music' });
    expect(await names({ search: 'zith' })).toEqual(['Zither deluxe']);
    expectData(await owner.client.request(UpdateProductDocument, { id: p.id, input: { name: 'Ukulele deluxe' } }));
    expect(await names({ search: 'zith' })).toEqual([]);
    expect(await names({ search: 'ukul' })).toEqual(['Ukulele deluxe']);
    expectData(await owner.client.request(DeleteProductDocument, { id: p.id }));
    expect(await names({ search: 'ukul' })).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['no word', '!!! %%'],
    ['a word under 3 characters', 'wireless tv'],
    ['over 100 characters', 'w'.repeat(101)],
    ['a word over 84 characters', 'w'.repeat(85)],
    ['more than 8 words', 'one two three four five six seven eight nine'],
  ])('refuses a search that is %s with BAD_USER_INPUT', async (_case, text) => {
    const res = await server.client.request(ProductsDocument, { filter: { search: text } });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.search' });
  });
});

describe('Product fields', () => {
  it('available counts live warehouses minus active holds; totalOrdered and stocks are for the owner and admins', async () => {
    const p = await createProductAs(seller);
    const w1 = await createWarehouseAs(seller, 'W1');
    const w2 = await createWarehouseAs(seller, 'W2');
    await setStockAs(seller, w1.id, p.id, 10);
    await setStockAs(seller, w2.id, p.id, 5);
    await holdStock(server, { userId: stranger.id, productId: Number(p.id), quantity: 4, expiresAtMs: Date.now() + 60_000 });
    await holdStock(server, { userId: admin.id, productId: Number(p.id), quantity: 3, expiresAtMs: Date.now() - 1 }); // lapsed: does not count
    await placeOrder(server, { userId: stranger.id, productId: Number(p.id), quantity: 2, status: OrderStatus.PENDING });
    await placeOrder(server, { userId: stranger.id, productId: Number(p.id), quantity: 1, status: OrderStatus.CANCELLED });

    // on hand 15 - 2 sold (the cancelled order's unit came back) = 13; active holds 4 → 9 sellable
    const asOwner = expectData(await seller.client.request(ProductWithStocksDocument, { id: p.id })).product!;
    expect(asOwner.available).toBe(9);
    expect(asOwner.totalOrdered).toBe(2);
    expect(asOwner.stocks.map((s) => s.warehouse.name)).toEqual(['W1', 'W2']);
    const totals = asOwner.stocks.reduce((acc, s) => ({ onHand: acc.onHand + s.onHand, reserved: acc.reserved + s.reserved }), { onHand: 0, reserved: 0 });
    expect(totals).toEqual({ onHand: 13, reserved: 4 });

    const asAdmin = expectData(await admin.client.request(ProductWithStocksDocument, { id: p.id })).product!;
    expect(asAdmin).toMatchObject({ available: 9, totalOrdered: 2 });
    expect(asAdmin.stocks).toHaveLength(2);

    for (const client of [stranger.client, server.client]) {
      const other = expectData(await client.request(ProductWithStocksDocument, { id: p.id })).product!;
      expect(other).toEqual({ id: p.id, available: 9, totalOrdered: null, stocks: [] });
    }
  });
});
