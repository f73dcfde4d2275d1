import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createStockedProduct, setStockLevel, useServer } from '../kit';

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

  it('refuses an unknown product with NOT_FOUND', async () => {
    const sub = collect('subscription { stockChanged(productId: "999999") { available } }', 1);
    const outcome = await sub.done.then(
      (values) => ({ values }),
      (errors) => ({ errors }),
    );
    expect(JSON.stringify(outcome)).toContain('NOT_FOUND');
  });
});
