import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { BuyNowLiteDocument } from '../generated/orders';
import { expectAuditClean } from '../helpers/audit';
import { errorCode, GraphQLClient } from '../helpers/client';
import { TEST_DB } from '../helpers/db';
import { countRows, createStockedProduct, createUsers, readStockRow } from '../helpers/fixtures';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * `WORKERS=N npm start`: the primary migrates, then forks N node:cluster workers sharing one port.
 * Nothing that protects stock is in a worker's memory, so a race spread over them still cannot
 * oversell. MySQL only: the embedded SQLite database is single-process by design.
 */
const UNITS = 30;
const BUYERS = 90;

let server: TestServer;
let primary: ChildProcess | undefined;

async function startWorkers(env: Record<string, string>, workers: number): Promise<{ url: string; pids: Set<number> }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  primary = spawn(process.execPath, [path.join(__dirname, '..', '..', 'dist', 'src', 'main.js')], {
    env: { ...process.env, ...env, WORKERS: String(workers), PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', HOLD_SWEEP_INTERVAL_MS: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const pids = new Set<number>();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${pids.size} of ${workers} workers started`)), 30_000);
    readline.createInterface({ input: primary!.stderr! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; pid?: number };
        if (entry.msg === 'listening' && entry.pid) pids.add(entry.pid);
        if (pids.size === workers) {
          clearTimeout(timer);
          resolve();
        }
      } catch {
        /* not a log line */
      }
    });
    primary!.once('exit', (code) => reject(new Error(`the primary exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, pids };
}

(TEST_DB === 'mysql' ? describe : describe.skip)('WORKERS=2 (node:cluster) against one MySQL database', () => {
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    if (primary && primary.exitCode === null) {
      const exited = new Promise((resolve) => primary!.once('exit', resolve));
      primary.kill('SIGTERM');
      await exited;
    }
    await server?.stop();
  });

  it(`${BUYERS} buyers racing for ${UNITS} units over two workers: exactly ${UNITS} sold, the rest INSUFFICIENT_STOCK`, async () => {
    const { url, pids } = await startWorkers(server.env, 2);
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
