import http from 'node:http';
import { BuyNowLiteDocument } from '../generated/orders';
import { countRows, createStockedProduct, createUsers, errorCode, expectAuditClean, GraphQLClient, readStockRow, TEST_DB, type TestServer, useServer } from '../kit';

/**
 * `WORKERS=N npm start`: the primary migrates, then forks N node:cluster workers sharing one port.
 * Nothing that protects stock is in a worker's memory, so a race spread over them still cannot
 * oversell. MySQL only: the embedded SQLite database is single-process by design.
 */
const UNITS = 30;
const BUYERS = 90;

(TEST_DB === 'mysql' ? describe : describe.skip)('WORKERS=2 (node:cluster) against one MySQL database', () => {
  const server = useServer();
  /** One WORKERS=2 process for the suite (starting one costs seconds). */
  let workers: ReturnType<TestServer['spawn']> | undefined;
  const spawnWorkers = () => (workers ??= server.spawn({ workers: 2 }));

  it(`${BUYERS} buyers racing for ${UNITS} units over two workers: exactly ${UNITS} sold, the rest INSUFFICIENT_STOCK`, async () => {
    const { url, pids } = await spawnWorkers();
    expect(pids.size).toBe(2);
    const product = await createStockedProduct(server, { onHand: UNITS, price: '9.99' });
    const buyers = await createUsers(server, BUYERS, { prefix: 'cluster', client: new GraphQLClient(url) });
    const responses = await Promise.all(
      buyers.map((b, i) => b.client.request(BuyNowLiteDocument, { input: { productId: String(product.productId), quantity: 1, idempotencyKey: `c-${i}` } })),
    );
    const outcomes: Record<string, number> = {};
    for (const r of responses) {
      const key = r.errors?.length ? (errorCode(r) ?? 'UNKNOWN') : 'ok';
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
    expect(outcomes).toEqual({ ok: UNITS, INSUFFICIENT_STOCK: BUYERS - UNITS });
    expect(await countRows(server, 'orders')).toBe(UNITS);
    expect(await readStockRow(server, product.stockId)).toMatchObject({ onHand: 0, reserved: 0 });
    await expectAuditClean(server);
  });

  it('/metrics from any worker shows the totals of both: requests spread over new connections, then every scrape agrees', async () => {
    const { url, pids } = await spawnWorkers();
    expect(pids.size).toBe(2);
    // A new connection per request, so that the primary deals them out to both workers in turn.
    const fresh = (path: string, body?: string) =>
      new Promise<string>((resolve, reject) => {
        const req = http.request(`${url}${path}`, { method: body ? 'POST' : 'GET', agent: false, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${path} answered ${res.statusCode}: ${text}`))));
        });
        req.on('error', reject);
        req.end(body);
      });
    const value = (text: string, key: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${key} `));
      return line === undefined ? undefined : Number(line.slice(key.length + 1));
    };
    const ME_OK = 'graphql_request_duration_seconds_count{operation="Me",outcome="ok"}';
    const before = await fresh('/metrics');
    const REQUESTS = 20;
    for (let i = 0; i < REQUESTS; i += 1) await fresh('/graphql', JSON.stringify({ query: 'query Me { me { id } }' }));
    for (let scrape = 0; scrape < 4; scrape += 1) {
      const text = await fresh('/metrics');
      // Without aggregation each worker would show about half.
      expect(value(text, 'graphql_requests_total')).toBe(value(before, 'graphql_requests_total')! + REQUESTS);
      expect(value(text, ME_OK)).toBe((value(before, ME_OK) ?? 0) + REQUESTS);
      expect(text).toMatch(/^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
      expect(text).toMatch(/^# TYPE nodejs_gc_duration_seconds histogram$/m);
    }
  });
});
