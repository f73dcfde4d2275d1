import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createStockedProduct, createUser, databaseNowMs, expectData, registerUser, setStockLevel, sleep, type TestServer, useServer, withServer } from '../kit';

const server = useServer({ env: { STOCK_WATCH_INTERVAL_MS: '50' } });
let client: Client;
let stocked: { productId: number; warehouseId: number };
let productId: number;

beforeAll(async () => {
  stocked = await createStockedProduct(server, { onHand: 5 });
  productId = stocked.productId;
  client = createClient({ url: server.url.replace('http', 'ws') + '/graphql', webSocketImpl: WebSocket, lazy: true, retryAttempts: 0 });
});
afterAll(async () => {
  await client?.dispose();
});

/** Collects subscription payloads until `count` arrived. */
function collect(query: string, count: number): { done: Promise<unknown[]>; cancel: () => void } {
  const values: unknown[] = [];
  let cancel = () => {};
  const done = new Promise<unknown[]>((resolve, reject) => {
    cancel = client.subscribe(
      { query },
      {
        next: (value) => {
          values.push(value);
          if (values.length === count) resolve(values);
        },
        error: reject,
        complete: () => resolve(values),
      },
    );
  });
  return { done, cancel: () => cancel() };
}

describe('stockChanged subscription', () => {
  it('pushes the current level, then the level after a change committed elsewhere', async () => {
    const sub = collect(`subscription { stockChanged(productId: "${productId}") { productId available } }`, 2);
    await new Promise((r) => setTimeout(r, 300));
    // Committed straight to the database, not through this server: the push must come from the database.
    await setStockLevel(server, { ...stocked, onHand: 8 });
    const values = await sub.done;
    sub.cancel();
    expect(values).toEqual([
      { data: { stockChanged: { productId: String(productId), available: 5 } } },
      { data: { stockChanged: { productId: String(productId), available: 8 } } },
    ]);
  });

  it("answers product { id available } from the event, and reads the product for any other field", async () => {
    const known = collect(`subscription { stockChanged(productId: "${productId}") { available product { id available } } }`, 1);
    const read = collect(`subscription { stockChanged(productId: "${productId}") { product { __typename id name available } } }`, 1);
    const [[knownEvent], [readEvent]] = await Promise.all([known.done, read.done]);
    known.cancel();
    read.cancel();
    expect(knownEvent).toEqual({ data: { stockChanged: { available: 8, product: { id: String(productId), available: 8 } } } });
    expect(readEvent).toEqual({ data: { stockChanged: { product: { __typename: 'Product', id: String(productId), name: expect.stringMatching(/^Product /), available: 8 } } } });
  });

  it("carries the product's flash sale: announced, opened, quota taken, over", async () => {
    const seller = await createUser(server, { prefix: 'watch-seller' });
    const buyer = await createUser(server, { prefix: 'watch-buyer' });
    const { productId: id } = await createStockedProduct(server, { onHand: 5, ownerId: seller.id });
    const values: unknown[] = [];
    const stop = client.subscribe(
      { query: `subscription { stockChanged(productId: "${id}") { available flashSale { status quotaRemaining } } }` },
      { next: (v) => void values.push(v), error: () => undefined, complete: () => undefined },
    );
    const next = async (count: number) => {
      while (values.length < count) await sleep(20);
      return (values[count - 1] as { data: { stockChanged: unknown } }).data.stockChanged;
    };
    try {
      expect(await next(1)).toEqual({ available: 5, flashSale: null });
      const startsAt = new Date((await databaseNowMs(server)) + 1_000).toISOString();
      const created = await seller.client.raw({
        query: `mutation { createFlashSale(input: { productId: "${id}", salePrice: "1.00", startsAt: "${startsAt}", endsAt: "2099-01-01T00:00:00Z", quota: 3 }) { id } }`,
      });
      const saleId = expectData(created).createFlashSale.id;
      expect(await next(2)).toEqual({ available: 5, flashSale: { status: 'UPCOMING', quotaRemaining: 3 } });
      expect(await next(3)).toEqual({ available: 5, flashSale: { status: 'RUNNING', quotaRemaining: 3 } });
      expectData(await buyer.client.raw({ query: `mutation { buyNow(input: { productId: "${id}", quantity: 1, idempotencyKey: "watch-1" }) { id } }` }));
      expect(await next(4)).toEqual({ available: 4, flashSale: { status: 'RUNNING', quotaRemaining: 2 } });
      expectData(await seller.client.raw({ query: `mutation { cancelFlashSale(id: "${saleId}") { id } }` }));
      expect(await next(5)).toEqual({ available: 4, flashSale: { status: 'CANCELLED', quotaRemaining: 2 } });
    } finally {
      stop();
    }
  });

  it('refuses an unknown product with NOT_FOUND', async () => {
    const sub = collect('subscription { stockChanged(productId: "999999") { available } }', 1);
    const outcome = await sub.done.then(
      (values) => ({ values }),
      (errors) => ({ errors }),
    );
    expect(JSON.stringify(outcome)).toContain('NOT_FOUND');
  });
});

describe('WebSocket limits', () => {
  const wsClient = (target: TestServer) => createClient({ url: target.url.replace('http', 'ws') + '/graphql', webSocketImpl: WebSocket, lazy: true, retryAttempts: 0 });
  /** Subscribes and resolves with the first value, or the error (GraphQL errors or a close event). */
  function first(c: Client, product: number): { value: Promise<{ value?: unknown; error?: unknown }>; cancel: () => void } {
    let cancel = () => {};
    const value = new Promise<{ value?: unknown; error?: unknown }>((resolve) => {
      cancel = c.subscribe({ query: `subscription { stockChanged(productId: "${product}") { available } }` }, { next: (v) => resolve({ value: v }), error: (e) => resolve({ error: e }), complete: () => resolve({}) });
    });
    return { value, cancel: () => cancel() };
  }

  it('refuses a 4th live subscription on one connection with TOO_MANY_SUBSCRIPTIONS (WS_MAX_SUBSCRIPTIONS_PER_CONNECTION=3); once one ends, another may start', async () => {
    await withServer({ env: { STOCK_WATCH_INTERVAL_MS: '50', WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '3' } }, async (limited) => {
      const { productId: id } = await createStockedProduct(limited, { onHand: 5 });
      const c = wsClient(limited);
      try {
        const live = [first(c, id), first(c, id), first(c, id)];
        for (const s of live) expect(await s.value).toEqual({ value: { data: { stockChanged: { available: 5 } } } });
        const refused = await first(c, id).value;
        expect(refused.error).toEqual([
          expect.objectContaining({ message: 'At most 3 subscriptions per WebSocket connection: complete one before starting another', extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', limit: 3 } }),
        ]);
        live[0].cancel();
        await new Promise((r) => setTimeout(r, 100));
        expect(await first(c, id).value).toEqual({ value: { data: { stockChanged: { available: 5 } } } });
      } finally {
        await c.dispose();
      }
    });
  });

  it('closes a 3rd connection from one address with 4429 (WS_MAX_CONNECTIONS_PER_IP=2); once one closes, another may connect', async () => {
    await withServer({ env: { STOCK_WATCH_INTERVAL_MS: '50', WS_MAX_CONNECTIONS_PER_IP: '2' } }, async (limited) => {
      const { productId: id } = await createStockedProduct(limited, { onHand: 5 });
      const clients = [wsClient(limited), wsClient(limited), wsClient(limited)];
      try {
        for (const c of clients.slice(0, 2)) expect((await first(c, id).value).value).toBeDefined();
        const refused = (await first(clients[2], id).value).error as { code: number; reason: string };
        expect({ code: refused.code, reason: refused.reason }).toEqual({ code: 4429, reason: 'Too many WebSocket connections from this address (at most 2)' });
        await clients[0].dispose();
        await new Promise((r) => setTimeout(r, 100));
        const again = wsClient(limited);
        clients.push(again);
        expect((await first(again, id).value).value).toEqual({ data: { stockChanged: { available: 5 } } });
      } finally {
        await Promise.all(clients.map((c) => c.dispose()));
      }
    });
  });
});

describe('connectionParams and protocols', () => {
  const wsUrl = () => server.url.replace('http', 'ws') + '/graphql';

  it('takes the token from connectionParams.authorization in any case (GraphiQL sends its Headers tab as typed)', async () => {
    const user = await registerUser(server);
    for (const key of ['authorization', 'Authorization', 'AUTHORIZATION']) {
      const c = createClient({ url: wsUrl(), webSocketImpl: WebSocket, lazy: true, retryAttempts: 0, connectionParams: { [key]: `Bearer ${user.token}` } });
      try {
        const result = await new Promise((resolve, reject) => {
          c.subscribe({ query: '{ me { email } }' }, { next: resolve, error: reject, complete: () => {} });
        });
        expect({ key, result }).toEqual({ key, result: { data: { me: { email: user.email } } } });
      } finally {
        await c.dispose();
      }
    }
  });

  it("refuses GraphQL Playground's legacy subprotocol (graphql-ws of subscriptions-transport-ws) with a reason naming graphql-transport-ws", async () => {
    const socket = new WebSocket(wsUrl(), 'graphql-ws');
    const messages: unknown[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    const failed = new Promise<never>((_resolve, reject) => socket.once('error', reject));
    failed.catch(() => {}); // awaited through the races below
    const opened = Promise.race([new Promise<string>((resolve) => socket.once('open', () => resolve(socket.protocol))), failed]);
    const closed = Promise.race([new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) }))), failed]);
    // The handshake completes with the legacy subprotocol, so that a browser client can read why it is closed.
    expect(await opened).toBe('graphql-ws');
    socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    const reason = 'Subprotocol graphql-ws (subscriptions-transport-ws) is not supported: use graphql-transport-ws (the graphql-ws library)';
    expect(await closed).toEqual({ code: 4406, reason });
    expect(messages).toEqual([{ type: 'connection_error', payload: { message: reason } }]);
  });
});
