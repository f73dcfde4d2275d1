import { BuyNowLiteDocument } from '../generated/orders';
import { countRows, createStockedProduct, createUsers, errorCode, expectAuditClean, GraphQLClient, readStockRow, TEST_DB, useServer } from '../kit';

/**
 * `WORKERS=N npm start`: the primary migrates, then forks N node:cluster workers sharing one port.
 * Nothing that protects stock is in a worker's memory, so a race spread over them still cannot
 * oversell. MySQL only: the embedded SQLite database is single-process by design.
 */
const UNITS = 30;
const BUYERS = 90;

(TEST_DB === 'mysql' ? describe : describe.skip)('WORKERS=2 (node:cluster) against one MySQL database', () => {
  const server = useServer();

  it(`${BUYERS} buyers racing for ${UNITS} units over two workers: exactly ${UNITS} sold, the rest INSUFFICIENT_STOCK`, async () => {
    const { url, pids } = await server.spawn({ workers: 2 });
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
});
