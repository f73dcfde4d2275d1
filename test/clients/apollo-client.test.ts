/**
 * The Apollo Client example of docs/CLIENTS.md (examples/apollo-client), run as it is against a
 * live server: its cache must stay true without refetching.
 */
import './apollo-dev-mode';
import { loadDevMessages, loadErrorMessages } from '@apollo/client/dev';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { filter, firstValueFrom, ReplaySubject, type Observable } from 'rxjs';
import WebSocket from 'ws';
import { createApiClient, errorCodes, retryWithSameKey, sendIdempotent, type ApiClient } from '../../examples/apollo-client/client';
import { ADD_TO_CART, BUY_NOW, CART, CHECKOUT, LOGIN, PRODUCTS, STOCK_CHANGED } from '../../examples/apollo-client/operations';
import { createStockedProduct, createUser, FIXTURE_PASSWORD, insertUsers, useServer } from '../kit';

const server = useServer({ env: { STOCK_WATCH_INTERVAL_MS: '50' } });

/** Every warning Apollo Client prints (e.g. "Cache data may be lost"): the suite expects none. */
const warnings: string[] = [];
let buyer: ApiClient;
let otherBuyer: ApiClient;
let token: string | null = null;
let cartProduct: number;
let flashProduct: number;

function apiClient(getToken: () => string | null): ApiClient {
  const httpUrl = `${server.url}/graphql`;
  return createApiClient({ httpUrl, wsUrl: httpUrl.replace(/^http/, 'ws'), getToken, webSocketImpl: WebSocket });
}

/** The first value of a subscription that passes `test`. */
function nextWhere<T>(values: Observable<T>, test: (value: T) => boolean): Promise<T> {
  return firstValueFrom(values.pipe(filter(test)));
}

beforeAll(async () => {
  loadDevMessages();
  loadErrorMessages();
  for (const level of ['warn', 'error'] as const) {
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(' ')));
  }
  cartProduct = (await createStockedProduct(server, { onHand: 5, price: '12.50' })).productId;
  flashProduct = (await createStockedProduct(server, { onHand: 9 })).productId;
  const [user] = await insertUsers(server, 1, { prefix: 'apollo' });
  buyer = apiClient(() => token);
  const { data } = await buyer.apollo.mutate({ mutation: LOGIN, variables: { input: { email: user.email, password: FIXTURE_PASSWORD } } });
  token = data!.login.token;
  const other = await createUser(server, { prefix: 'other-buyer' });
  otherBuyer = apiClient(() => other.token);
});

afterAll(async () => {
  await buyer?.close();
  await otherBuyer?.close();
  jest.restoreAllMocks();
});

afterEach(() => {
  expect(warnings.splice(0)).toEqual([]);
});

describe('the Apollo Client example against a live server', () => {
  it('is what docs/CLIENTS.md shows: every TypeScript block of the doc is in the example, verbatim', () => {
    const root = path.join(__dirname, '..', '..');
    const doc = fs.readFileSync(path.join(root, 'docs', 'CLIENTS.md'), 'utf8');
    const example = ['client.ts', 'operations.ts'].map((file) => fs.readFileSync(path.join(root, 'examples', 'apollo-client', file), 'utf8')).join('\n');
    const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
    expect(blocks.length).toBeGreaterThan(3);
    expect(blocks.filter((block) => !example.includes(block))).toEqual([]);
  });

  it('signs in and lists the products', async () => {
    const { data } = await buyer.apollo.query({ query: PRODUCTS, variables: { first: 10 } });
    const available = Object.fromEntries(data!.products.edges.map((edge) => [edge.node.id, edge.node.available]));
    expect(available).toEqual({ [cartProduct]: 5, [flashProduct]: 9 });
  });

  it('after checkout the cached cart is empty, and a replay with the same key returns the same order', async () => {
    await buyer.apollo.query({ query: CART });
    await buyer.apollo.mutate({ mutation: ADD_TO_CART, variables: { input: { productId: String(cartProduct), quantity: 2 } } });
    // The cached cart query shows the line (addToCart answered with the same Cart id).
    expect(buyer.apollo.readQuery({ query: CART })!.cart.items).toHaveLength(1);

    const input = { idempotencyKey: `checkout-${randomUUID()}`, shippingCost: '5.00' };
    const first = await sendIdempotent(() => buyer.apollo.mutate({ mutation: CHECKOUT, variables: { input } }));
    expect(first.data!.checkout).toMatchObject({ status: 'PENDING', totalPrice: '30.00', cart: { items: [], total: '0.00' } });

    // From the cache, not the network: the checkout's `cart` was written over the cached Cart.
    const cached = buyer.apollo.readQuery({ query: CART })!.cart;
    expect(cached).toMatchObject({ id: first.data!.checkout.cart!.id, items: [], total: '0.00' });

    const replay = await sendIdempotent(() => buyer.apollo.mutate({ mutation: CHECKOUT, variables: { input } }));
    expect(replay.data!.checkout.id).toBe(first.data!.checkout.id);
  });

  it("another buyer's buyNow updates the cached Product.available through the stockChanged subscription", async () => {
    const readAvailable = () =>
      buyer.apollo.readQuery({ query: PRODUCTS, variables: { first: 10 } })!.products.edges.find((edge) => edge.node.id === String(flashProduct))!.node.available;
    expect(readAvailable()).toBe(9);

    const events = new ReplaySubject<{ data?: { stockChanged: { available: number; product: { available: number } } } }>();
    const subscription = buyer.apollo.subscribe({ query: STOCK_CHANGED, variables: { productId: String(flashProduct) } }).subscribe(events);
    // The first event is the level now: the subscription is live on the server.
    await nextWhere(events, ({ data }) => data?.stockChanged.available === 9);

    const { data } = await otherBuyer.apollo.mutate({
      mutation: BUY_NOW,
      variables: { input: { productId: String(flashProduct), quantity: 3, idempotencyKey: `flash-${randomUUID()}` } },
    });
    expect(data!.buyNow.status).toBe('PENDING');
    const event = await nextWhere(events, ({ data }) => data?.stockChanged.available === 6);
    subscription.unsubscribe();
    expect(event.data!.stockChanged.product.available).toBe(6);
    // The event carried `product { id available }`: the product in the cached list shows it.
    expect(readAvailable()).toBe(6);
  });

  it('an error carries extensions.code (INSUFFICIENT_STOCK: never retried, with this key or another)', async () => {
    const input = { productId: String(cartProduct), quantity: 10, idempotencyKey: `too-many-${randomUUID()}` };
    const error = await sendIdempotent(() => buyer.apollo.mutate({ mutation: BUY_NOW, variables: { input } })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(errorCodes(error)).toEqual(['INSUFFICIENT_STOCK']);
    expect(retryWithSameKey(error)).toBe(false);
  });
});
