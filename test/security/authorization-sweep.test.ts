import { randomUUID } from 'node:crypto';
import { isObjectType } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { UserRole } from '../../src/entities';
import { buildAppSchema } from '../../src/graphql/schema';
import {
  createStockedProduct,
  createUser,
  expectData,
  FIXTURE_PASSWORD,
  GraphQLClient,
  type GraphQLResponse,
  type TestUser,
  useServer,
} from '../kit';

/**
 * Every root field of the built schema is called as anonymous, as a stranger (another signed-in
 * customer), as the owner of the objects involved, and as an admin; each answer is checked
 * exactly. A root field without an entry FAILS the suite, so a new resolver cannot slip in
 * without its access rule being stated here. Nested entries (e.g. `Product.stocks`) cover the
 * fields through which one user could read another's private data.
 */

type Role = 'anonymous' | 'stranger' | 'owner' | 'admin';
const ROLES: Role[] = ['anonymous', 'stranger', 'owner', 'admin'];

/** A fresh set of users and objects for one call, so that no call sees another's effects. */
interface World {
  owner: TestUser;
  stranger: TestUser;
  admin: TestUser;
  productId: number;
  warehouseId: number;
  /** An order the owner placed (buyNow of their own product). */
  orderId?: string;
  /** A line in the owner's cart (and one in the stranger's and admin's, so each can check out). */
  cartItemId?: string;
  /** A flash sale of the product (announced for tomorrow), created by the owner. */
  flashSaleId?: string;
  /** A TOTP secret: pending (setupTotp done) or enabled, for every user of the world. */
  totpSecret?: string;
}

type Data = Record<string, any>;
/** An error code, or a check of the data. */
type Outcome = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | ((data: Data, w: World, caller: TestUser | null) => void);

interface Entry {
  /** `Query.x`, `Mutation.x`, `Subscription.x`, or a nested path such as `Product.stocks`. */
  field: string;
  needs?: ('order' | 'cart' | 'totpPending' | 'totpEnabled' | 'sale' | 'flashSale')[];
  operation: (w: World) => { query: string; variables?: Record<string, unknown> };
  expect: Record<Role, Outcome>;
}

/** Data present (the root field answered without error). */
const DATA: Outcome = (data) => expect(data).toBeTruthy();
const same = (outcome: Outcome): Record<Role, Outcome> => ({ anonymous: outcome, stranger: outcome, owner: outcome, admin: outcome });
const signedIn = (outcome: Outcome): Record<Role, Outcome> => ({ anonymous: 'UNAUTHENTICATED', stranger: outcome, owner: outcome, admin: outcome });
/** A single-object query: another's object answers null with no error, as a missing one would (the not-found rule). */
const withStranger = (stranger: Outcome, outcomes: Record<Role, Outcome>): Record<Role, Outcome> => ({ ...outcomes, stranger });
const ownerOnly = (others: 'FORBIDDEN' | 'NOT_FOUND', admin: Outcome, owner: Outcome = DATA): Record<Role, Outcome> => ({
  anonymous: 'UNAUTHENTICATED',
  stranger: others,
  owner,
  admin,
});

const PRODUCT_FIELDS = 'id available totalOrdered stocks { id onHand } owner { id name email totpEnabled }';

const ENTRIES: Entry[] = [
  // ---------------------------------------------------------------- Query
  { field: 'Query.me', operation: () => ({ query: '{ me { id email totpEnabled } }' }), expect: { ...signedIn((d, _w, c) => expect(d.me).toEqual({ id: String(c!.id), email: c!.email, totpEnabled: false })), anonymous: (d) => expect(d).toEqual({ me: null }) } },
  { field: 'Query.cart', needs: ['cart'], operation: () => ({ query: '{ cart { id items { quantity } } }' }), expect: signedIn((d) => expect(d.cart.items).toEqual([{ quantity: 1 }])) },
  {
    field: 'Query.product',
    operation: (w) => ({ query: `{ product(id: "${w.productId}") { ${PRODUCT_FIELDS} } }` }),
    expect: {
      anonymous: (d, w) => expect(d.product).toMatchObject({ id: String(w.productId), available: 50, totalOrdered: null, stocks: [], owner: { email: null, totpEnabled: null } }),
      stranger: (d, w) => expect(d.product).toMatchObject({ id: String(w.productId), totalOrdered: null, stocks: [], owner: { id: String(w.owner.id), email: null, totpEnabled: null } }),
      owner: (d, w) => expect(d.product).toMatchObject({ totalOrdered: 0, stocks: [{ onHand: 50 }], owner: { email: w.owner.email, totpEnabled: false } }),
      admin: (d, w) => expect(d.product).toMatchObject({ totalOrdered: 0, stocks: [{ onHand: 50 }], owner: { email: w.owner.email, totpEnabled: false } }),
    },
  },
  {
    field: 'Query.products',
    operation: (w) => ({ query: `{ products(filter: { ownerId: "${w.owner.id}" }) { totalCount edges { node { ${PRODUCT_FIELDS} } } } }` }),
    expect: {
      anonymous: (d) => expect(d.products.edges[0].node).toMatchObject({ totalOrdered: null, stocks: [], owner: { email: null, totpEnabled: null } }),
      stranger: (d) => expect(d.products.edges[0].node).toMatchObject({ totalOrdered: null, stocks: [], owner: { email: null, totpEnabled: null } }),
      owner: (d, w) => expect(d.products.edges[0].node).toMatchObject({ totalOrdered: 0, stocks: [{ onHand: 50 }], owner: { email: w.owner.email } }),
      admin: (d, w) => expect(d.products.edges[0].node).toMatchObject({ totalOrdered: 0, stocks: [{ onHand: 50 }], owner: { email: w.owner.email } }),
    },
  },
  { field: 'Query.order', needs: ['order'], operation: (w) => ({ query: `{ order(id: "${w.orderId}") { id status lines { quantity } } }` }), expect: withStranger((d) => expect(d.order).toBeNull(), ownerOnly('NOT_FOUND', (d) => expect(d.order.lines).toEqual([{ quantity: 1 }]), (d) => expect(d.order.lines).toEqual([{ quantity: 1 }]))) },
  {
    field: 'Query.orders',
    needs: ['order'],
    operation: () => ({ query: '{ orders { totalCount edges { node { id } } } }' }),
    expect: {
      anonymous: 'UNAUTHENTICATED',
      stranger: (d) => expect(d.orders.totalCount).toBe(0),
      owner: (d, w) => expect(d.orders.edges).toEqual([{ node: { id: w.orderId } }]),
      admin: (d, w) => expect(d.orders.edges.map((e: Data) => e.node.id)).toContain(w.orderId),
    },
  },
  {
    field: 'Query.stockMovements',
    operation: (w) => ({ query: `{ stockMovements(productId: "${w.productId}") { totalCount } }` }),
    expect: ownerOnly('FORBIDDEN', (d) => expect(d.stockMovements.totalCount).toBe(1), (d) => expect(d.stockMovements.totalCount).toBe(1)),
  },
  {
    field: 'Query.warehouse',
    operation: (w) => ({ query: `{ warehouse(id: "${w.warehouseId}") { id stocks { onHand } } }` }),
    // Another's warehouse is null with no error, as an unknown one (the not-found rule of single-object queries).
    expect: withStranger((d) => expect(d.warehouse).toBeNull(), ownerOnly('NOT_FOUND', (d) => expect(d.warehouse.stocks).toEqual([{ onHand: 50 }]), (d) => expect(d.warehouse.stocks).toEqual([{ onHand: 50 }]))),
  },
  {
    field: 'Query.warehouses',
    operation: () => ({ query: '{ warehouses { id } }' }),
    expect: {
      anonymous: 'UNAUTHENTICATED',
      stranger: (d) => expect(d.warehouses).toEqual([]),
      owner: (d, w) => expect(d.warehouses).toEqual([{ id: String(w.warehouseId) }]),
      admin: (d) => expect(d.warehouses).toEqual([]), // "your warehouses": an admin has none
    },
  },

  // ---------------------------------------------------------------- Mutation: accounts
  {
    field: 'Mutation.register',
    operation: () => ({ query: `mutation { register(input: { email: "${randomUUID()}@example.com", password: "sweep password", name: "S" }) { token user { email } } }` }),
    expect: same((d) => expect(d.register.user.email).toMatch(/@example\.com$/)),
  },
  {
    field: 'Mutation.login',
    operation: (w) => ({ query: 'mutation($i: LoginInput!) { login(input: $i) { user { id email } } }', variables: { i: { email: w.owner.email, password: FIXTURE_PASSWORD } } }),
    expect: same((d, w) => expect(d.login.user).toEqual({ id: String(w.owner.id), email: w.owner.email })),
  },
  {
    field: 'Mutation.changePassword',
    operation: () => ({ query: `mutation { changePassword(input: { currentPassword: "${FIXTURE_PASSWORD}", newPassword: "changed password" }) { user { id } } }` }),
    expect: signedIn((d, _w, c) => expect(d.changePassword.user.id).toBe(String(c!.id))),
  },
  { field: 'Mutation.setupTotp', operation: () => ({ query: `mutation { setupTotp(password: "${FIXTURE_PASSWORD}") { secret } }` }), expect: signedIn((d) => expect(d.setupTotp.secret).toMatch(/^[A-Z2-7]+$/)) },
  {
    field: 'Mutation.verifyTotp',
    needs: ['totpPending'],
    operation: (w) => ({ query: `mutation { verifyTotp(code: "${server.app.services.totp.codeAt(w.totpSecret!)}") { id totpEnabled } }` }),
    expect: signedIn((d, _w, c) => expect(d.verifyTotp).toEqual({ id: String(c!.id), totpEnabled: true })),
  },
  {
    field: 'Mutation.disableTotp',
    needs: ['totpEnabled'],
    operation: (w) => ({ query: `mutation { disableTotp(code: "${server.app.services.totp.codeAt(w.totpSecret!)}", password: "${FIXTURE_PASSWORD}") { id totpEnabled } }` }),
    expect: signedIn((d, _w, c) => expect(d.disableTotp).toEqual({ id: String(c!.id), totpEnabled: false })),
  },

  // ---------------------------------------------------------------- Mutation: catalog and stock
  { field: 'Mutation.createProduct', operation: () => ({ query: 'mutation { createProduct(input: { name: "P", price: "1.00", category: "c" }) { id } }' }), expect: signedIn(DATA) },
  { field: 'Mutation.updateProduct', operation: (w) => ({ query: `mutation { updateProduct(id: "${w.productId}", input: { name: "Renamed" }) { name } }` }), expect: ownerOnly('FORBIDDEN', 'FORBIDDEN', (d) => expect(d.updateProduct.name).toBe('Renamed')) },
  { field: 'Mutation.deleteProduct', operation: (w) => ({ query: `mutation { deleteProduct(id: "${w.productId}") }` }), expect: ownerOnly('FORBIDDEN', 'FORBIDDEN', (d) => expect(d.deleteProduct).toBe(true)) },
  { field: 'Mutation.createWarehouse', operation: () => ({ query: 'mutation { createWarehouse(input: { name: "W" }) { id } }' }), expect: signedIn(DATA) },
  { field: 'Mutation.updateWarehouse', operation: (w) => ({ query: `mutation { updateWarehouse(id: "${w.warehouseId}", input: { name: "Renamed" }) { name } }` }), expect: ownerOnly('NOT_FOUND', 'FORBIDDEN', (d) => expect(d.updateWarehouse.name).toBe('Renamed')) },
  { field: 'Mutation.deleteWarehouse', operation: (w) => ({ query: `mutation { deleteWarehouse(id: "${w.warehouseId}") }` }), expect: ownerOnly('NOT_FOUND', 'FORBIDDEN', (d) => expect(d.deleteWarehouse).toBe(true)) },
  {
    field: 'Mutation.setStock',
    operation: (w) => ({ query: `mutation { setStock(input: { warehouseId: "${w.warehouseId}", productId: "${w.productId}", onHand: 7 }) { onHand } }` }),
    expect: ownerOnly('NOT_FOUND', 'FORBIDDEN', (d) => expect(d.setStock.onHand).toBe(7)),
  },
  {
    field: 'Mutation.adjustStock',
    operation: (w) => ({ query: `mutation { adjustStock(input: { warehouseId: "${w.warehouseId}", productId: "${w.productId}", delta: -3 }) { onHand } }` }),
    expect: ownerOnly('NOT_FOUND', 'FORBIDDEN', (d) => expect(d.adjustStock.onHand).toBe(47)),
  },
  {
    field: 'Mutation.setStocks',
    operation: (w) => ({ query: `mutation { setStocks(input: [{ warehouseId: "${w.warehouseId}", productId: "${w.productId}", onHand: 9 }]) { ok stock { onHand } error { code } } }` }),
    expect: {
      anonymous: 'UNAUTHENTICATED',
      stranger: (d) => expect(d.setStocks).toEqual([{ ok: false, stock: null, error: { code: 'NOT_FOUND' } }]),
      owner: (d) => expect(d.setStocks).toEqual([{ ok: true, stock: { onHand: 9 }, error: null }]),
      admin: (d) => expect(d.setStocks).toEqual([{ ok: false, stock: null, error: { code: 'FORBIDDEN' } }]),
    },
  },

  // ---------------------------------------------------------------- Mutation: cart and orders
  { field: 'Mutation.addToCart', operation: (w) => ({ query: `mutation { addToCart(input: { productId: "${w.productId}", quantity: 2 }) { items { quantity } } }` }), expect: signedIn((d) => expect(d.addToCart.items).toEqual([{ quantity: 2 }])) },
  {
    field: 'Mutation.updateCartItem',
    needs: ['cart'],
    operation: (w) => ({ query: `mutation { updateCartItem(input: { itemId: "${w.cartItemId}", quantity: 3 }) { items { quantity } } }` }),
    expect: ownerOnly('NOT_FOUND', 'NOT_FOUND', (d) => expect(d.updateCartItem.items).toEqual([{ quantity: 3 }])),
  },
  {
    field: 'Mutation.removeFromCart',
    needs: ['cart'],
    operation: (w) => ({ query: `mutation { removeFromCart(itemId: "${w.cartItemId}") { items { quantity } } }` }),
    expect: ownerOnly('NOT_FOUND', 'NOT_FOUND', (d) => expect(d.removeFromCart.items).toEqual([])),
  },
  { field: 'Mutation.clearCart', needs: ['cart'], operation: () => ({ query: 'mutation { clearCart { items { id } } }' }), expect: signedIn((d) => expect(d.clearCart.items).toEqual([])) },
  {
    field: 'Mutation.checkout',
    needs: ['cart'],
    operation: () => ({ query: `mutation { checkout(input: { idempotencyKey: "${randomUUID()}" }) { status lines { quantity } } }` }),
    expect: signedIn((d) => expect(d.checkout).toEqual({ status: 'PENDING', lines: [{ quantity: 1 }] })),
  },
  {
    field: 'Mutation.buyNow',
    operation: (w) => ({ query: `mutation { buyNow(input: { productId: "${w.productId}", quantity: 1, idempotencyKey: "${randomUUID()}" }) { status } }` }),
    expect: signedIn((d) => expect(d.buyNow.status).toBe('PENDING')),
  },
  {
    field: 'Mutation.cancelOrder',
    needs: ['order'],
    operation: (w) => ({ query: `mutation { cancelOrder(id: "${w.orderId}") { status } }` }),
    expect: ownerOnly('NOT_FOUND', (d) => expect(d.cancelOrder.status).toBe('CANCELLED'), (d) => expect(d.cancelOrder.status).toBe('CANCELLED')),
  },
  {
    field: 'Mutation.updateOrderStatus',
    needs: ['order'],
    operation: (w) => ({ query: `mutation { updateOrderStatus(input: { id: "${w.orderId}", status: PROCESSED }) { status } }` }),
    expect: ownerOnly('FORBIDDEN', (d) => expect(d.updateOrderStatus.status).toBe('PROCESSED'), 'FORBIDDEN'),
  },

  // ---------------------------------------------------------------- Flash sales (owner of the product or admin)
  { field: 'Query.flashSales', operation: () => ({ query: '{ flashSales(first: 1) { totalCount } }' }), expect: same(DATA) },
  {
    field: 'Mutation.createFlashSale',
    operation: (w) => ({
      query: `mutation { createFlashSale(input: { productId: "${w.productId}", salePrice: "1.00", startsAt: "2030-01-01T00:00:00Z", endsAt: "2030-01-02T00:00:00Z" }) { status } }`,
    }),
    expect: ownerOnly('FORBIDDEN', (d) => expect(d.createFlashSale.status).toBe('UPCOMING'), (d) => expect(d.createFlashSale.status).toBe('UPCOMING')),
  },
  {
    field: 'Mutation.updateFlashSale',
    needs: ['flashSale'],
    operation: (w) => ({ query: `mutation { updateFlashSale(id: "${w.flashSaleId}", input: { salePrice: "2.00" }) { salePrice } }` }),
    expect: ownerOnly('FORBIDDEN', (d) => expect(d.updateFlashSale.salePrice).toBe('2.00'), (d) => expect(d.updateFlashSale.salePrice).toBe('2.00')),
  },
  {
    field: 'Mutation.cancelFlashSale',
    needs: ['flashSale'],
    operation: (w) => ({ query: `mutation { cancelFlashSale(id: "${w.flashSaleId}") { status } }` }),
    expect: ownerOnly('FORBIDDEN', (d) => expect(d.cancelFlashSale.status).toBe('CANCELLED'), (d) => expect(d.cancelFlashSale.status).toBe('CANCELLED')),
  },

  // ---------------------------------------------------------------- Subscription
  {
    field: 'Subscription.stockChanged',
    operation: (w) => ({ query: `subscription { stockChanged(productId: "${w.productId}") { productId available } }` }),
    expect: same((d, w) => expect(d).toEqual({ stockChanged: { productId: String(w.productId), available: 50 } })),
  },

  // ---------------------------------------------------------------- Nested paths to private data
  {
    field: 'StockMovement.actor',
    needs: ['sale'],
    operation: (w) => ({ query: `{ stockMovements(productId: "${w.productId}") { edges { node { kind actor { id email totpEnabled } } } } }` }),
    expect: {
      anonymous: 'UNAUTHENTICATED',
      stranger: 'FORBIDDEN',
      // The seller sees who bought, but not the buyer's email.
      owner: (d, w) => expect(d.stockMovements.edges.map((e: Data) => e.node)).toContainEqual({ kind: 'SALE', actor: { id: String(w.stranger.id), email: null, totpEnabled: null } }),
      admin: (d, w) => expect(d.stockMovements.edges.map((e: Data) => e.node)).toContainEqual({ kind: 'SALE', actor: { id: String(w.stranger.id), email: w.stranger.email, totpEnabled: false } }),
    },
  },
  {
    field: 'Order.lines',
    needs: ['order'],
    // The buyer reaches the seller's product and warehouse through the lines: never their stock or sales.
    operation: (w) => ({ query: `{ order(id: "${w.orderId}") { lines { quantity product { totalOrdered stocks { id } owner { email } } warehouse { name stocks { id } } } } }` }),
    expect: withStranger((d) => expect(d.order).toBeNull(), ownerOnly(
      'NOT_FOUND',
      (d) => expect(d.order.lines).toEqual([{ quantity: 1, product: { totalOrdered: 1, stocks: [{ id: expect.any(String) }], owner: { email: expect.any(String) } }, warehouse: { name: expect.any(String), stocks: [{ id: expect.any(String) }] } }]),
      // (the owner here is the buyer, who is also the seller of this product: see the next entry for a buyer who is not)
      (d) => expect(d.order.lines[0].quantity).toBe(1),
    )),
  },
  {
    field: 'OrderLine.warehouse',
    needs: ['sale'],
    operation: () => ({ query: '{ orders { edges { node { lines { product { totalOrdered stocks { id } owner { email } } warehouse { stocks { id } } } } } } }' }),
    expect: {
      anonymous: 'UNAUTHENTICATED',
      // The stranger bought from the owner: they see their line, not the seller's stock, sales or email.
      stranger: (d) => expect(d.orders.edges[0].node.lines).toEqual([{ product: { totalOrdered: null, stocks: [], owner: { email: null } }, warehouse: { stocks: [] } }]),
      owner: (d) => expect(d.orders.edges).toEqual([]),
      admin: DATA,
    },
  },
  {
    field: 'CartItem.product',
    needs: ['cart'],
    operation: () => ({ query: '{ cart { items { product { totalOrdered stocks { id } owner { email } } } } }' }),
    expect: {
      anonymous: 'UNAUTHENTICATED',
      stranger: (d) => expect(d.cart.items).toEqual([{ product: { totalOrdered: null, stocks: [], owner: { email: null } } }]),
      owner: (d, w) => expect(d.cart.items).toEqual([{ product: { totalOrdered: 0, stocks: [{ id: expect.any(String) }], owner: { email: w.owner.email } } }]),
      admin: (d, w) => expect(d.cart.items).toEqual([{ product: { totalOrdered: 0, stocks: [{ id: expect.any(String) }], owner: { email: w.owner.email } } }]),
    },
  },
  {
    field: 'Stock.warehouse',
    operation: (w) => ({ query: `{ product(id: "${w.productId}") { stocks { warehouse { id stocks { product { stocks { id } } } } } } }` }),
    expect: {
      anonymous: (d) => expect(d.product.stocks).toEqual([]),
      stranger: (d) => expect(d.product.stocks).toEqual([]),
      owner: (d, w) => expect(d.product.stocks[0].warehouse.id).toBe(String(w.warehouseId)),
      admin: (d, w) => expect(d.product.stocks[0].warehouse.id).toBe(String(w.warehouseId)),
    },
  },
];

// Limits out of the way: this suite is about who may do what, and makes many calls as one IP.
// Its probes nest unpaged stocks three deep (each priced at 100), hence the cost limit raised too.
const server = useServer({
  env: {
    AUTH_RATE_LIMIT_PER_IP: '0',
    AUTH_RATE_LIMIT_PER_ACCOUNT: '0',
    AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING: '0',
    WRITE_RATE_LIMIT_PER_USER: '0',
    GRAPHQL_MAX_COST: '10000000',
  },
});

async function buildWorld(needs: Entry['needs'] = []): Promise<World> {
  const owner = await createUser(server, { prefix: 'owner' });
  const stranger = await createUser(server, { prefix: 'stranger' });
  const admin = await createUser(server, { prefix: 'admin', role: UserRole.ADMIN });
  const { productId, warehouseId } = await createStockedProduct(server, { onHand: 50, ownerId: owner.id });
  const world: World = { owner, stranger, admin, productId, warehouseId };
  const api = (u: TestUser) => new GraphQLClient(server.url, u.token);
  if (needs.includes('order')) {
    const res = await api(owner).raw({ query: `mutation { buyNow(input: { productId: "${productId}", quantity: 1, idempotencyKey: "${randomUUID()}" }) { id } }` });
    world.orderId = (expectData(res) as Data).buyNow.id;
  }
  if (needs.includes('sale')) {
    expectData(await api(stranger).raw({ query: `mutation { buyNow(input: { productId: "${productId}", quantity: 1, idempotencyKey: "${randomUUID()}" }) { id } }` }));
  }
  if (needs.includes('flashSale')) {
    const res = await api(owner).raw({
      query: `mutation { createFlashSale(input: { productId: "${productId}", salePrice: "1.00", startsAt: "2030-01-01T00:00:00Z", endsAt: "2030-01-02T00:00:00Z" }) { id } }`,
    });
    world.flashSaleId = (expectData(res) as Data).createFlashSale.id;
  }
  if (needs.includes('cart')) {
    for (const user of [owner, stranger, admin]) {
      const res = await api(user).raw({ query: `mutation { addToCart(input: { productId: "${productId}", quantity: 1 }) { items { id } } }` });
      if (user === owner) world.cartItemId = (expectData(res) as Data).addToCart.items[0].id;
    }
  }
  if (needs.includes('totpPending') || needs.includes('totpEnabled')) {
    const totp = server.app.services.totp;
    const secret = totp.generateSecret();
    const enabled = needs.includes('totpEnabled');
    for (const user of [owner, stranger, admin]) {
      await server
        .em()
        .execute(`UPDATE users SET ${enabled ? 'totp_secret_enc' : 'totp_pending_enc'} = ?, totp_enabled = ? WHERE id = ?`, [totp.encrypt(secret), enabled, user.id], 'run');
    }
    world.totpSecret = secret;
  }
  return world;
}

async function overWebSocket(query: string, token?: string): Promise<GraphQLResponse<Data>> {
  const client = createClient({
    url: server.url.replace('http', 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    lazy: true,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
  try {
    return await new Promise((resolve, reject) => {
      const stop = client.subscribe(
        { query },
        {
          next: (value) => {
            stop();
            resolve({ status: 200, data: value.data as Data, errors: value.errors as GraphQLResponse<Data>['errors'] });
          },
          error: (errors) => (Array.isArray(errors) ? resolve({ status: 200, errors: errors as GraphQLResponse<Data>['errors'] }) : reject(errors)),
          complete: () => undefined,
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

describe('the table', () => {
  it('has an entry for every Query, Mutation and Subscription field of the built schema, and no stale one', async () => {
    const schema = await buildAppSchema();
    const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(isObjectType);
    const fields = roots.flatMap((type) => Object.keys(type.getFields()).map((name) => `${type.name}.${name}`));
    const covered = new Set(ENTRIES.map((e) => e.field));
    expect(fields.filter((f) => !covered.has(f))).toEqual([]);
    const rootNames = new Set(roots.map((r) => r.name));
    const stale = ENTRIES.map((e) => e.field).filter((f) => rootNames.has(f.split('.')[0]) && !fields.includes(f));
    expect(stale).toEqual([]);
    // Nested entries name real fields too.
    for (const field of ENTRIES.map((e) => e.field).filter((f) => !rootNames.has(f.split('.')[0]))) {
      const [typeName, fieldName] = field.split('.');
      const type = schema.getType(typeName);
      expect(isObjectType(type) && fieldName in type.getFields()).toBe(true);
    }
  });
});

describe.each(ENTRIES.map((e) => [e.field, e] as const))('%s', (_field, entry) => {
  it.each(ROLES)('as %s', async (role) => {
    const world = await buildWorld(entry.needs);
    const caller = role === 'anonymous' ? null : world[role];
    const { query, variables } = entry.operation(world);
    const res = entry.field.startsWith('Subscription.')
      ? await overWebSocket(query, caller?.token)
      : await new GraphQLClient(server.url, caller?.token).raw({ query, variables });
    const outcome = entry.expect[role];
    if (typeof outcome === 'string') {
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual([outcome]);
      // Refused means refused: nothing of the object comes back.
      const root = res.data ? Object.values(res.data)[0] : null;
      expect(root ?? null).toBeNull();
    } else {
      expect(res.errors).toBeUndefined();
      outcome(res.data as Data, world, caller);
    }
  });
});
