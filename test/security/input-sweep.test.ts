import { randomUUID } from 'node:crypto';
import { isObjectType } from 'graphql';
import { UserRole } from '../../src/entities';
import { buildAppSchema } from '../../src/graphql/schema';
import { createStockedProduct, createUser, expectData, FIXTURE_PASSWORD, GraphQLClient, type TestUser, useServer } from '../kit';
import { dbSnapshot, type DbSnapshot } from './support';

/**
 * Bad input for every mutation: wrong types, negative and huge numbers, 1e309, empty and huge
 * strings, unknown and malformed ids, plus malformed requests. Every one must get a clear code
 * (never INTERNAL_SERVER_ERROR, never HTTP 500) and leave the database exactly as it was.
 */

const MAX_BODY_BYTES = 1_000_000;
const NEAR_LIMIT = 'x'.repeat(900_000); // a body still under MAX_BODY_BYTES
const ONE_MB = 'x'.repeat(1024 * 1024); // a body over it

const server = useServer({
  env: { MAX_BODY_BYTES: String(MAX_BODY_BYTES), AUTH_RATE_LIMIT_PER_IP: '0', AUTH_RATE_LIMIT_PER_ACCOUNT: '0', AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING: '0', WRITE_RATE_LIMIT_PER_USER: '0' },
});
let seller: TestUser;
let admin: TestUser;
let productId: string;
let warehouseId: string;
let itemId: string;
let orderId: string;

beforeAll(async () => {
  seller = await createUser(server, { prefix: 'seller' });
  admin = await createUser(server, { prefix: 'admin', role: UserRole.ADMIN });
  const stocked = await createStockedProduct(server, { onHand: 20, ownerId: seller.id });
  productId = String(stocked.productId);
  warehouseId = String(stocked.warehouseId);
  const api = new GraphQLClient(server.url, seller.token);
  const cart = expectData(await api.raw({ query: `mutation { addToCart(input: { productId: "${productId}", quantity: 1 }) { items { id } } }` }));
  itemId = cart.addToCart.items[0].id;
  const order = expectData(await api.raw({ query: `mutation { buyNow(input: { productId: "${productId}", quantity: 1, idempotencyKey: "${randomUUID()}" }) { id } }` }));
  orderId = order.buyNow.id;
  // A pending TOTP secret, so that verifyTotp reaches the code check.
  expectData(await api.raw({ query: `mutation { setupTotp(password: "${FIXTURE_PASSWORD}") { secret } }` }));
});

type Who = 'anonymous' | 'seller' | 'admin';
interface Case {
  mutation: string;
  label: string;
  who: Who;
  /** A JSON body (query + variables) or a raw string body. */
  body: () => unknown;
  /** The expected error code, with the field it names when it is BAD_USER_INPUT from our checks. */
  expected: { code: string; field?: string; status?: number };
}

const cases: Case[] = [];
function add(mutation: string, who: Who, query: string, rows: [label: string, variables: () => Record<string, unknown>, code: string, field?: string][]) {
  for (const [label, variables, code, field] of rows) cases.push({ mutation, label, who, body: () => ({ query, variables: variables() }), expected: { code, field } });
}
/** A raw JSON text body (for numbers JSON.stringify cannot write, such as 1e309). */
function addRaw(mutation: string, who: Who, label: string, body: () => string, code: string) {
  cases.push({ mutation, label, who, body, expected: { code } });
}

const V = 'BAD_USER_INPUT';
const NF = 'NOT_FOUND';
const GV = 'GRAPHQL_VALIDATION_FAILED';
const raw = (query: string, variablesJson: string) => `{"query":${JSON.stringify(query)},"variables":${variablesJson}}`;

// ---------------------------------------------------------------- accounts
const REGISTER = 'mutation($i: RegisterInput!) { register(input: $i) { token } }';
const reg = (o: Record<string, unknown>) => ({ i: { email: `${randomUUID()}@example.com`, password: 'good password', name: 'N', ...o } });
add('register', 'anonymous', REGISTER, [
  ['email of the wrong type', () => reg({ email: 42 }), V],
  ['an empty email', () => reg({ email: '' }), V, 'email'],
  ['a near-1 MB name', () => reg({ name: NEAR_LIMIT }), V, 'name'],
  ['a near-1 MB password', () => reg({ password: NEAR_LIMIT }), V, 'password'],
  ['a missing field', () => ({ i: { email: 'a@b.co', password: 'good password' } }), V],
  ['an unknown field', () => reg({ admin: true }), V],
]);
addRaw('register', 'anonymous', 'a 1e309 name', () => raw(REGISTER, `{"i":{"email":"x@y.co","password":"good password","name":1e309}}`), V);

const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { token } }';
add('login', 'anonymous', LOGIN, [
  ['a password of the wrong type', () => ({ i: { email: 'a@b.co', password: ['x'] } }), V],
  ['a near-1 MB password', () => ({ i: { email: 'a@b.co', password: NEAR_LIMIT } }), V, 'password'],
  ['a near-1 MB email', () => ({ i: { email: NEAR_LIMIT, password: 'whatever' } }), 'INVALID_CREDENTIALS'],
  ['null input', () => ({ i: null }), V],
]);

const CHANGE = 'mutation($i: ChangePasswordInput!) { changePassword(input: $i) { token } }';
add('changePassword', 'seller', CHANGE, [
  ['a new password of the wrong type', () => ({ i: { currentPassword: 'fixture password', newPassword: 12345678 } }), V],
  ['an empty new password', () => ({ i: { currentPassword: 'fixture password', newPassword: '' } }), V, 'newPassword'],
  ['a near-1 MB new password', () => ({ i: { currentPassword: 'fixture password', newPassword: NEAR_LIMIT } }), V, 'newPassword'],
  ['a wrong current password', () => ({ i: { currentPassword: NEAR_LIMIT, newPassword: 'good password 2' } }), 'INVALID_CREDENTIALS'],
]);

cases.push({ mutation: 'setupTotp', label: 'an argument it does not take', who: 'seller', body: () => ({ query: 'mutation { setupTotp(secret: "x") { secret } }' }), expected: { code: GV } });
for (const name of ['verifyTotp', 'disableTotp']) {
  // disableTotp with the right password, so that the code is what is checked.
  const q = name === 'disableTotp' ? `mutation($c: String!) { disableTotp(code: $c, password: "${FIXTURE_PASSWORD}") { id } }` : `mutation($c: String!) { ${name}(code: $c) { id } }`;
  const notEnabled = name === 'disableTotp' ? V : 'TOTP_INVALID';
  add(name, 'seller', q, [
    ['a code of the wrong type', () => ({ c: 123456 }), V],
    ['an empty code', () => ({ c: '' }), notEnabled],
    ['a near-1 MB code', () => ({ c: NEAR_LIMIT }), notEnabled],
    ['a 1e308 code', () => ({ c: 1e308 }), V],
  ]);
}

// ---------------------------------------------------------------- catalog and stock
const CREATE_P = 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }';
const prod = (o: Record<string, unknown>) => ({ i: { name: 'P', price: '1.00', category: 'c', ...o } });
add('createProduct', 'seller', CREATE_P, [
  ['a float price', () => prod({ price: 1.5 }), V],
  ['a negative price', () => prod({ price: '-1.00' }), V],
  ['a huge price', () => prod({ price: '99999999999999999999.00' }), V],
  ['a price with 3 decimals', () => prod({ price: '1.001' }), V],
  ['an empty name', () => prod({ name: '   ' }), V, 'name'],
  ['a near-1 MB description', () => prod({ description: NEAR_LIMIT }), V, 'description'],
  ['a name of the wrong type', () => prod({ name: { x: 1 } }), V],
]);
addRaw('createProduct', 'seller', 'a 1e309 price', () => raw(CREATE_P, `{"i":{"name":"P","price":1e309,"category":"c"}}`), V);
cases.push({ mutation: 'createProduct', label: 'an inline 1e309 price', who: 'seller', body: () => ({ query: 'mutation { createProduct(input: { name: "P", price: 1e309, category: "c" }) { id } }' }), expected: { code: GV } });

const UPDATE_P = 'mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { id } }';
add('updateProduct', 'seller', UPDATE_P, [
  ['an unknown id', () => ({ id: '999999999', i: { name: 'x' } }), NF],
  ['a malformed id', () => ({ id: 'abc', i: { name: 'x' } }), V, 'id'],
  ['a negative id', () => ({ id: '-1', i: { name: 'x' } }), V, 'id'],
  ['a 20-digit id', () => ({ id: '99999999999999999999', i: { name: 'x' } }), V, 'id'],
  ['an empty name', () => ({ id: productId, i: { name: '' } }), V, 'name'],
  ['a negative price', () => ({ id: productId, i: { price: '-0.01' } }), V],
]);

const DELETE_P = 'mutation($id: ID!) { deleteProduct(id: $id) }';
add('deleteProduct', 'seller', DELETE_P, [
  ['an unknown id', () => ({ id: '999999999' }), NF],
  ['an empty id', () => ({ id: '' }), V, 'id'],
  ['a float id', () => ({ id: 1.5 }), V],
]);

const CREATE_W = 'mutation($i: CreateWarehouseInput!) { createWarehouse(input: $i) { id } }';
add('createWarehouse', 'seller', CREATE_W, [
  ['an empty name', () => ({ i: { name: '' } }), V, 'name'],
  ['a near-1 MB location', () => ({ i: { name: 'W', location: NEAR_LIMIT } }), V, 'location'],
  ['a list for a name', () => ({ i: { name: ['W'] } }), V],
]);
const UPDATE_W = 'mutation($id: ID!, $i: UpdateWarehouseInput!) { updateWarehouse(id: $id, input: $i) { id } }';
add('updateWarehouse', 'seller', UPDATE_W, [
  ['an unknown id', () => ({ id: '999999999', i: { name: 'W' } }), NF],
  ['a malformed id', () => ({ id: '0x10', i: { name: 'W' } }), V, 'id'],
  ['a near-1 MB name', () => ({ id: warehouseId, i: { name: NEAR_LIMIT } }), V, 'name'],
]);
const DELETE_W = 'mutation($id: ID!) { deleteWarehouse(id: $id) }';
add('deleteWarehouse', 'seller', DELETE_W, [
  ['an unknown id', () => ({ id: '999999999' }), NF],
  ['a malformed id', () => ({ id: '1e3' }), V, 'id'],
]);

const SET = 'mutation($i: SetStockInput!) { setStock(input: $i) { id } }';
const st = (o: Record<string, unknown>) => ({ i: { warehouseId, productId, onHand: 5, ...o } });
add('setStock', 'seller', SET, [
  ['a negative onHand', () => st({ onHand: -1 }), V, 'onHand'],
  ['an onHand over 32 bits', () => st({ onHand: 2 ** 31 }), V],
  ['an onHand over the maximum', () => st({ onHand: 2_000_000_000 }), V, 'onHand'],
  ['a float onHand', () => st({ onHand: 1.5 }), V],
  ['a string onHand', () => st({ onHand: '5' }), V],
  ['an unknown warehouse', () => st({ warehouseId: '999999999' }), NF],
  ['an unknown product', () => st({ productId: '999999999' }), NF],
  ['a version 0', () => st({ expectedVersion: 0 }), V, 'expectedVersion'],
]);
addRaw('setStock', 'seller', 'a 1e309 onHand', () => raw(SET, `{"i":{"warehouseId":"${warehouseId}","productId":"${productId}","onHand":1e309}}`), V);
cases.push({ mutation: 'setStock', label: 'an inline 1e309 onHand', who: 'seller', body: () => ({ query: `mutation { setStock(input: { warehouseId: "${warehouseId}", productId: "${productId}", onHand: 1e309 }) { id } }` }), expected: { code: GV } });

const ADJ = 'mutation($i: AdjustStockInput!) { adjustStock(input: $i) { id } }';
const adj = (o: Record<string, unknown>) => ({ i: { warehouseId, productId, delta: 1, ...o } });
add('adjustStock', 'seller', ADJ, [
  ['a zero delta', () => adj({ delta: 0 }), V, 'delta'],
  ['a delta below what is there', () => adj({ delta: -1_000_000 }), 'INSUFFICIENT_STOCK'],
  ['a delta over the maximum', () => adj({ delta: 1_000_000_001 }), V, 'delta'],
  ['a delta under -2^31', () => adj({ delta: -(2 ** 31) - 1 }), V],
  ['a near-1 MB reason', () => adj({ reason: NEAR_LIMIT }), V, 'reason'],
]);

const SETS = 'mutation($i: [SetStockInput!]!) { setStocks(input: $i) { ok } }';
add('setStocks', 'seller', SETS, [
  ['501 items', () => ({ i: Array.from({ length: 501 }, () => ({ warehouseId, productId, onHand: 1 })) }), V, 'input'],
  ['a null item', () => ({ i: [null] }), V],
  ['an item of the wrong type', () => ({ i: [{ warehouseId, productId, onHand: 'many' }] }), V],
]);

// ---------------------------------------------------------------- cart and orders
const ADD = 'mutation($i: AddToCartInput!) { addToCart(input: $i) { id } }';
add('addToCart', 'seller', ADD, [
  ['a zero quantity', () => ({ i: { productId, quantity: 0 } }), V, 'quantity'],
  ['a negative quantity', () => ({ i: { productId, quantity: -5 } }), V, 'quantity'],
  ['a quantity over the hold cap', () => ({ i: { productId, quantity: 11 } }), V, 'quantity'],
  ['a quantity over 32 bits', () => ({ i: { productId, quantity: 2 ** 40 } }), V],
  ['an unknown product', () => ({ i: { productId: '999999999', quantity: 1 } }), NF],
  ['a malformed product id', () => ({ i: { productId: 'drop table', quantity: 1 } }), V, 'productId'],
]);
addRaw('addToCart', 'seller', 'a 1e309 quantity', () => raw(ADD, `{"i":{"productId":"${productId}","quantity":1e309}}`), V);

const UPD = 'mutation($i: UpdateCartItemInput!) { updateCartItem(input: $i) { id } }';
add('updateCartItem', 'seller', UPD, [
  ['a negative quantity', () => ({ i: { itemId, quantity: -1 } }), V, 'quantity'],
  ['a quantity over the hold cap', () => ({ i: { itemId, quantity: 10_001 } }), V, 'quantity'],
  ['an unknown item', () => ({ i: { itemId: '999999999', quantity: 1 } }), NF],
  ['a malformed item id', () => ({ i: { itemId: '1; DELETE FROM carts', quantity: 1 } }), V, 'itemId'],
]);
const REMOVE = 'mutation($id: ID!) { removeFromCart(itemId: $id) { id } }';
add('removeFromCart', 'seller', REMOVE, [
  ['an unknown item', () => ({ id: '999999999' }), NF],
  ['a malformed item id', () => ({ id: "1' OR '1'='1" }), V, 'itemId'],
]);
cases.push({ mutation: 'clearCart', label: 'an argument it does not take', who: 'seller', body: () => ({ query: 'mutation { clearCart(all: true) { id } }' }), expected: { code: GV } });

const CHECKOUT = 'mutation($i: CheckoutInput!) { checkout(input: $i) { id } }';
add('checkout', 'seller', CHECKOUT, [
  ['an empty idempotency key', () => ({ i: { idempotencyKey: '' } }), V, 'idempotencyKey'],
  ['a near-1 MB idempotency key', () => ({ i: { idempotencyKey: NEAR_LIMIT } }), V, 'idempotencyKey'],
  ['a key with spaces', () => ({ i: { idempotencyKey: 'a b' } }), V, 'idempotencyKey'],
  ['a negative shipping cost', () => ({ i: { idempotencyKey: 'k1', shippingCost: '-5.00' } }), V],
  ['a huge shipping cost', () => ({ i: { idempotencyKey: 'k2', shippingCost: '9999999999999.99' } }), V],
]);
const BUY = 'mutation($i: BuyNowInput!) { buyNow(input: $i) { id } }';
add('buyNow', 'seller', BUY, [
  ['a zero quantity', () => ({ i: { productId, quantity: 0, idempotencyKey: 'b1' } }), V, 'quantity'],
  ['a quantity over the hold cap', () => ({ i: { productId, quantity: 11, idempotencyKey: 'b2' } }), V, 'quantity'],
  ['a quantity over 32 bits', () => ({ i: { productId, quantity: 1e12, idempotencyKey: 'b3' } }), V],
  ['an unknown product', () => ({ i: { productId: '999999999', quantity: 1, idempotencyKey: 'b4' } }), NF],
  ['an empty idempotency key', () => ({ i: { productId, quantity: 1, idempotencyKey: '' } }), V, 'idempotencyKey'],
  ['the same key with other input', () => ({ i: { productId, quantity: 2, idempotencyKey: 'reused-key' } }), 'IDEMPOTENCY_KEY_REUSED'],
]);
addRaw('buyNow', 'seller', 'a 1e309 quantity', () => raw(BUY, `{"i":{"productId":"${productId}","quantity":1e309,"idempotencyKey":"b5"}}`), V);

const CANCEL = 'mutation($id: ID!) { cancelOrder(id: $id) { id } }';
add('cancelOrder', 'seller', CANCEL, [
  ['an unknown order', () => ({ id: '999999999' }), NF],
  ['a malformed order id', () => ({ id: '-' }), V, 'id'],
]);
// ---------------------------------------------------------------- flash sales
const CREATE_FS = 'mutation($i: CreateFlashSaleInput!) { createFlashSale(input: $i) { id } }';
const sale = (o: Record<string, unknown>) => ({ i: { productId, salePrice: '1.00', startsAt: '2030-01-01T00:00:00Z', endsAt: '2030-01-02T00:00:00Z', ...o } });
add('createFlashSale', 'seller', CREATE_FS, [
  ['a negative sale price', () => sale({ salePrice: '-1.00' }), V],
  ['an end before the start', () => sale({ endsAt: '2029-12-31T00:00:00Z' }), V, 'endsAt'],
  ['an end in the past', () => sale({ startsAt: '2020-01-01T00:00:00Z', endsAt: '2020-01-02T00:00:00Z' }), V, 'endsAt'],
  ['a malformed start', () => sale({ startsAt: 'tomorrow' }), V],
  ['a zero quota', () => sale({ quota: 0 }), V, 'quota'],
  ['a zero per-buyer limit', () => sale({ perBuyerLimit: 0 }), V, 'perBuyerLimit'],
  ['an unknown product', () => sale({ productId: '999999999' }), NF],
]);
const UPDATE_FS = 'mutation($id: ID!, $i: UpdateFlashSaleInput!) { updateFlashSale(id: $id, input: $i) { id } }';
add('updateFlashSale', 'seller', UPDATE_FS, [
  ['an unknown sale', () => ({ id: '999999999', i: { salePrice: '2.00' } }), NF],
  ['a malformed sale id', () => ({ id: 'x', i: {} }), V, 'id'],
  ['a negative quota', () => ({ id: '999999999', i: { quota: -1 } }), V, 'quota'],
]);
const CANCEL_FS = 'mutation($id: ID!) { cancelFlashSale(id: $id) { id } }';
add('cancelFlashSale', 'seller', CANCEL_FS, [
  ['an unknown sale', () => ({ id: '999999999' }), NF],
  ['a malformed sale id', () => ({ id: '0' }), V, 'id'],
]);

const STATUS = 'mutation($i: UpdateOrderStatusInput!) { updateOrderStatus(input: $i) { id } }';
add('updateOrderStatus', 'admin', STATUS, [
  ['an unknown status', () => ({ i: { id: orderId, status: 'LOST' } }), V],
  ['a transition the lifecycle does not allow', () => ({ i: { id: orderId, status: 'DELIVERED' } }), 'INVALID_STATUS_TRANSITION'],
  ['an unknown order', () => ({ i: { id: '999999999', status: 'PROCESSED' } }), NF],
  ['a malformed order id', () => ({ i: { id: 'x', status: 'PROCESSED' } }), V, 'id'],
]);

// A NUL character in any text that reaches the database (SQLite once failed on it with
// INTERNAL_SERVER_ERROR): BAD_USER_INPUT naming the field; a login email with one is simply no account.
const NUL = 'a\u0000b';
add('register', 'anonymous', REGISTER, [
  ['a NUL in the name', () => reg({ name: NUL }), V, 'name'],
  ['a NUL in the email', () => reg({ email: `nul${NUL}@example.com` }), V, 'email'],
]);
add('login', 'anonymous', LOGIN, [['a NUL in the email', () => ({ i: { email: `b${NUL}@example.com`, password: 'whatever' } }), 'INVALID_CREDENTIALS']]);
add('createProduct', 'seller', CREATE_P, [
  ['a NUL in the name', () => prod({ name: NUL }), V, 'name'],
  ['a NUL in the description', () => prod({ description: NUL }), V, 'description'],
  ['a NUL in the category', () => prod({ category: NUL }), V, 'category'],
]);
add('updateProduct', 'seller', UPDATE_P, [['a NUL in the name', () => ({ id: productId, i: { name: NUL } }), V, 'name']]);
add('createWarehouse', 'seller', CREATE_W, [
  ['a NUL in the name', () => ({ i: { name: NUL } }), V, 'name'],
  ['a NUL in the location', () => ({ i: { name: 'W', location: NUL } }), V, 'location'],
]);
add('updateWarehouse', 'seller', UPDATE_W, [['a NUL in the location', () => ({ id: warehouseId, i: { location: NUL } }), V, 'location']]);
add('adjustStock', 'seller', ADJ, [['a NUL in the reason', () => adj({ reason: NUL }), V, 'reason']]);

// Every mutation also refuses a body over MAX_BODY_BYTES (a 1 MB string) with 413, before anything runs.
for (const c of [...new Map(cases.map((x) => [x.mutation, x])).values()]) {
  cases.push({
    mutation: c.mutation,
    label: 'a 1 MB string (over MAX_BODY_BYTES)',
    who: c.who,
    body: () => {
      const body = c.body();
      return typeof body === 'string' ? body.replace(/}$/, `,"extensions":{"pad":"${ONE_MB}"}}`) : { ...(body as object), extensions: { pad: ONE_MB } };
    },
    expected: { code: 'BAD_REQUEST', status: 413 },
  });
}

const tokenOf = (who: Who) => (who === 'seller' ? seller.token : who === 'admin' ? admin.token : undefined);

async function send(who: Who, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const token = tokenOf(who);
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: { errors?: { message: string; extensions?: Record<string, unknown> }[]; data?: unknown } = {};
  try {
    json = JSON.parse(text);
  } catch {
    json = {};
  }
  return { status: res.status, text, json };
}

let before: DbSnapshot;
beforeAll(async () => {
  // The reused-key case needs the original order first.
  expectData(await new GraphQLClient(server.url, seller.token).raw({ query: BUY, variables: { i: { productId, quantity: 1, idempotencyKey: 'reused-key' } } }));
  before = await dbSnapshot(server);
});

describe('the table', () => {
  it('has bad input for every mutation of the built schema', async () => {
    const mutation = (await buildAppSchema()).getMutationType();
    if (!isObjectType(mutation)) throw new Error('no Mutation type');
    const covered = new Set(cases.map((c) => c.mutation));
    expect(Object.keys(mutation.getFields()).filter((name) => !covered.has(name))).toEqual([]);
  });
});

describe.each(cases.map((c) => [`${c.mutation}: ${c.label}`, c] as const))('%s', (_name, c) => {
  it(`→ ${c.expected.status ?? ''}${c.expected.status ? ' ' : ''}${c.expected.code}${c.expected.field ? ` (${c.expected.field})` : ''}, nothing changed`, async () => {
    const res = await send(c.who, c.body());
    expect(res.status).not.toBe(500);
    if (c.expected.status) expect(res.status).toBe(c.expected.status);
    const errors = res.json.errors ?? [];
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.map((e) => e.extensions?.code)).not.toContain('INTERNAL_SERVER_ERROR');
    expect(errors[0].extensions?.code).toBe(c.expected.code);
    if (c.expected.field) expect(errors[0].extensions?.field).toBe(c.expected.field);
    expect(await dbSnapshot(server)).toEqual(before);
  });
});

describe('a NUL character in a query filter', () => {
  it.each(['name', 'category'])('products(filter: { %s }) → BAD_USER_INPUT on that filter field', async (field) => {
    const res = await send('anonymous', { query: `query($v: String!) { products(first: 5, filter: { ${field}: $v }) { totalCount } }`, variables: { v: NUL } });
    expect(res.json.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', `filter.${field}`]]);
  });
});

describe('malformed requests', () => {
  const query = JSON.stringify({ query: `mutation { addToCart(input: { productId: "1", quantity: 1 }) { id } }` });
  const requests: [string, () => Promise<Awaited<ReturnType<typeof send>>>, number, string][] = [
    ['malformed JSON', () => send('seller', '{"query": "mutation { clearCart { id } }"'), 400, 'BAD_REQUEST'],
    ['a JSON number', () => send('seller', '42'), 400, 'BAD_REQUEST'],
    ['JSON null', () => send('seller', 'null'), 400, 'BAD_REQUEST'],
    ['an empty body', () => send('seller', ''), 400, 'BAD_REQUEST'],
    ['a query that is not a string', () => send('seller', { query: 5 }), 400, 'BAD_REQUEST'],
    ['variables that are not an object', () => send('seller', { query: 'mutation { clearCart { id } }', variables: 'x' }), 400, 'BAD_REQUEST'],
    ['an unknown operationName', () => send('seller', { query: 'mutation A { clearCart { id } }', operationName: 'B' }), 400, 'OPERATION_RESOLUTION_FAILURE'],
    ['text/plain (a CSRF-able content type)', () => send('seller', query, { 'content-type': 'text/plain' }), 400, 'BAD_REQUEST'],
    ['form-urlencoded', () => send('seller', 'query=mutation%20%7B%20clearCart%20%7B%20id%20%7D%20%7D', { 'content-type': 'application/x-www-form-urlencoded' }), 400, 'BAD_REQUEST'],
    ['multipart/form-data', () => send('seller', '--b\r\nContent-Disposition: form-data; name="query"\r\n\r\nmutation { clearCart { id } }\r\n--b--', { 'content-type': 'multipart/form-data; boundary=b' }), 400, 'BAD_REQUEST'],
    ['no content type', () => send('seller', query, {}), 400, 'BAD_REQUEST'],
    ['a document that does not parse', () => send('seller', { query: 'mutation { clearCart { id }' }), 400, 'GRAPHQL_PARSE_FAILED'],
  ];
  it.each(requests)('%s → %i %s, nothing changed', async (_label, request, status, code) => {
    const res = await request();
    expect(res.status).toBe(status);
    expect(res.text).not.toMatch(/INTERNAL_SERVER_ERROR/);
    // Apollo's CSRF refusal is a plain-text 400; everything else carries a code.
    if (res.json.errors) expect(res.json.errors[0].extensions?.code).toBe(code);
    else expect(res.text).toMatch(/csrf|content-type/i);
    expect(await dbSnapshot(server)).toEqual(before);
  });
});
