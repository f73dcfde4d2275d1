import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { Product, StockMovementKind, User, Warehouse } from '../../src/entities';
import { sqlFor } from '../../src/db/sql';
import { applyStockChangeOrRetry, ensureStockRow } from '../../src/repositories/stock.repository';
import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
let client: Client;
let productId: number;
let stockId: number;

beforeAll(async () => {
  server = await startTestServer({ env: { STOCK_WATCH_INTERVAL_MS: '50' } });
  const em = server.app.orm.em.fork();
  const owner = em.create(User, { email: 'sub@x.io', name: 'Sub', passwordHash: 'not-a-hash' });
  const product = em.create(Product, { owner, name: 'Hot', price: '1.00', category: 'c' });
  const warehouse = em.create(Warehouse, { owner, name: 'W' });
  await em.flush();
  productId = product.id;
  stockId = await em.transactional(async (tx) => {
    const id = await ensureStockRow(sqlFor(tx), warehouse.id, product.id);
    await applyStockChangeOrRetry(sqlFor(tx), { stockId: id, kind: StockMovementKind.ADJUSTMENT, onHandDelta: 5, reservedDelta: 0 });
    return id;
  });
  client = createClient({ url: server.url.replace('http', 'ws') + '/graphql', webSocketImpl: WebSocket, lazy: true, retryAttempts: 0 });
});
afterAll(async () => {
  await client?.dispose();
  await server?.stop();
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
    await server.app.orm.em.fork().transactional((tx) =>
      applyStockChangeOrRetry(sqlFor(tx), { stockId, kind: StockMovementKind.ADJUSTMENT, onHandDelta: 3, reservedDelta: 0 }),
    );
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
