import { AddToCartDocument, AddToCartLiteDocument, CartDocument } from '../generated/cart';
import { BuyNowLiteDocument, CheckoutDocument, CheckoutLiteDocument } from '../generated/orders';
import {
  createStockedProduct,
  createUser,
  createUsers,
  errorCode,
  expectAuditClean,
  expectData,
  holdStock,
  ledgerOf,
  readStockRow,
  sleep,
  systemContext,
  useCluster,
  useServer,
} from '../kit';

/** Holds last RESERVATION_TTL_SECONDS=1 here; waiting 1.5 s lets them lapse. */
const TTL_ENV = { RESERVATION_TTL_SECONDS: '1' };
const LAPSE_MS = 1500;

describe('lapsed holds (TTL 1 s)', () => {
  const cluster = useCluster({ env: TTL_ENV, audit: 'afterEach' });

  it('stop counting at once: another buyer takes the stock (EXPIRY in the ledger) and the first checkout is RESERVATION_EXPIRED', async () => {
    const { server } = cluster;
    const first = await createUser(server, { prefix: 'early' });
    const second = await createUser(server, { prefix: 'late' });
    const p = await createStockedProduct(server, { onHand: 5 });

    const held = expectData(await first.client.request(AddToCartDocument, { input: { productId: String(p.productId), quantity: 5 } })).addToCart;
    expect(Date.parse(held.expiresAt!) - Date.now()).toBeLessThanOrEqual(1000);
    expect(errorCode(await second.client.request(AddToCartLiteDocument, { input: { productId: String(p.productId), quantity: 1 } }))).toBe('INSUFFICIENT_STOCK');

    await sleep(LAPSE_MS);
    expectData(await second.client.request(AddToCartLiteDocument, { input: { productId: String(p.productId), quantity: 5 } }));
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 5, reserved: 5 });
    expect((await ledgerOf(server, p.stockId)).map((m) => [m.kind, m.reservedDelta])).toEqual([
      ['ADJUSTMENT', 0],
      ['RESERVATION', 5],
      ['EXPIRY', -5],
      ['RESERVATION', 5],
    ]);

    const late = await first.client.request(CheckoutDocument, { input: { idempotencyKey: 'too-late' } });
    expect(errorCode(late)).toBe('RESERVATION_EXPIRED');
    expect(late.errors![0].extensions).toMatchObject({ productId: String(p.productId), available: 0 });
    // Nothing changed: the line is still in the cart (with no hold left), the stock is the second buyer's.
    const cart = expectData(await first.client.request(CartDocument)).cart;
    expect(cart.items.map((i) => [i.quantity, i.reservedUntil])).toEqual([[5, null]]);
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 5, reserved: 5 });

    expect(expectData(await second.client.request(CheckoutDocument, { input: { idempotencyKey: 'in-time' } })).checkout.lines[0].quantity).toBe(5);
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 0, reserved: 0 });
  });

  it('a lapsed hold nobody swept is still ours at checkout', async () => {
    const { server } = cluster;
    const buyer = await createUser(server, { prefix: 'slow' });
    const p = await createStockedProduct(server, { onHand: 3 });
    expectData(await buyer.client.request(AddToCartLiteDocument, { input: { productId: String(p.productId), quantity: 3 } }));
    await sleep(LAPSE_MS);
    const order = expectData(await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: 'lapsed-but-mine' } })).checkout;
    expect(order.lines.map((l) => l.quantity)).toEqual([3]);
    expect((await ledgerOf(server, p.stockId)).map((m) => m.kind)).toEqual(['ADJUSTMENT', 'RESERVATION', 'SALE']);
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 0, reserved: 0 });
  });

  it('a swept hold is sold from free stock at checkout when the stock is still there', async () => {
    const { server } = cluster;
    const buyer = await createUser(server, { prefix: 'swept' });
    const p = await createStockedProduct(server, { onHand: 4 });
    expectData(await buyer.client.request(AddToCartLiteDocument, { input: { productId: String(p.productId), quantity: 3 } }));
    await sleep(LAPSE_MS);
    expect(await server.app.services.carts.releaseExpiredHolds(systemContext(server.app))).toBe(3);
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 4, reserved: 0 });
    const order = expectData(await buyer.client.request(CheckoutDocument, { input: { idempotencyKey: 'resold' } })).checkout;
    expect(order.lines.map((l) => l.quantity)).toEqual([3]);
    expect((await ledgerOf(server, p.stockId)).map((m) => [m.kind, m.onHandDelta, m.reservedDelta])).toEqual([
      ['ADJUSTMENT', 4, 0],
      ['RESERVATION', 0, 3],
      ['EXPIRY', 0, -3],
      ['SALE', -3, 0],
    ]);
  });

  it('adding to a line whose holds were swept re-reserves the whole line', async () => {
    const { server } = cluster;
    const buyer = await createUser(server, { prefix: 'again' });
    const other = await createUser(server, { prefix: 'other' });
    const p = await createStockedProduct(server, { onHand: 6 });
    expectData(await buyer.client.request(AddToCartLiteDocument, { input: { productId: String(p.productId), quantity: 2 } }));
    await sleep(LAPSE_MS);
    // Another buyer's shortage sweeps the lapsed hold.
    expectData(await other.client.request(AddToCartLiteDocument, { input: { productId: String(p.productId), quantity: 5 } }));
    expect(await readStockRow(server, p.stockId)).toMatchObject({ reserved: 5 });
    // The line wants 3 now but only 1 is free: refused, and nothing changes.
    expect(errorCode(await buyer.client.request(AddToCartLiteDocument, { input: { productId: String(p.productId), quantity: 1 } }))).toBe('INSUFFICIENT_STOCK');
    expect(expectData(await buyer.client.request(CartDocument)).cart.items[0].quantity).toBe(2);
    await sleep(LAPSE_MS);
    const cart = expectData(await buyer.client.request(AddToCartDocument, { input: { productId: String(p.productId), quantity: 1 } })).addToCart;
    expect(cart.items[0].quantity).toBe(3);
    expect(cart.items[0].reservedUntil).not.toBeNull();
    // The other buyer's lapsed 5 were swept; this line holds all 3 it wants.
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 6, reserved: 3 });
  });

  it('a lapsed-hold checkout racing a new buyer: exactly one of them gets the last units', async () => {
    const { server } = cluster;
    const rounds = 6;
    for (let round = 0; round < rounds; round += 1) {
      const holder = await createUser(server, { prefix: `race${round}` });
      const rival = await createUser(server, { prefix: `rival${round}` });
      const p = await createStockedProduct(server, { onHand: 2 });
      expectData(await holder.client.request(AddToCartLiteDocument, { input: { productId: String(p.productId), quantity: 2 } }));
      await sleep(LAPSE_MS);
      const [checkout, rivalAdd] = await Promise.all([
        cluster.clientFor(holder, round).request(CheckoutLiteDocument, { input: { idempotencyKey: 'race' } }),
        cluster.clientFor(rival, round + 1).request(AddToCartLiteDocument, { input: { productId: String(p.productId), quantity: 2 } }),
      ]);
      const outcome = [checkout.errors ? errorCode(checkout) : 'ordered', rivalAdd.errors ? errorCode(rivalAdd) : 'held'];
      expect([
        ['ordered', 'INSUFFICIENT_STOCK'],
        ['RESERVATION_EXPIRED', 'held'],
      ]).toContainEqual(outcome);
      const stock = await readStockRow(server, p.stockId);
      expect(stock).toEqual(outcome[0] === 'ordered' ? { id: p.stockId, onHand: 0, reserved: 0 } : { id: p.stockId, onHand: 2, reserved: 2 });
    }
  });
});

describe('the hold sweeper job', () => {
  const server = useServer({ env: { ...TTL_ENV, HOLD_SWEEP_INTERVAL_MS: '200' }, jobs: true });

  it('releases lapsed holds in the background with EXPIRY ledger rows', async () => {
    const buyers = await Promise.all([1, 2, 3].map((i) => createUser(server, { prefix: `sweep${i}` })));
    const p = await createStockedProduct(server, { onHand: 10 });
    for (const [i, b] of buyers.entries()) {
      expectData(await b.client.request(AddToCartLiteDocument, { input: { productId: String(p.productId), quantity: i + 1 } }));
    }
    expect(await readStockRow(server, p.stockId)).toMatchObject({ reserved: 6 });
    const deadline = Date.now() + 10_000;
    while ((await readStockRow(server, p.stockId)).reserved > 0 && Date.now() < deadline) await sleep(100);
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 10, reserved: 0 });
    const expiries = (await ledgerOf(server, p.stockId)).filter((m) => m.kind === 'EXPIRY');
    expect(expiries.map((m) => m.reservedDelta).sort()).toEqual([-1, -2, -3]);
    for (const b of buyers) {
      const cart = expectData(await b.client.request(CartDocument)).cart;
      expect(cart.expiresAt).toBeNull();
      expect(cart.items[0].reservedUntil).toBeNull();
    }
    await expectAuditClean(server);
  });
});

describe('a shortage sweep of many lapsed holds (no background sweeper)', () => {
  const server = useServer({ env: { HOLD_SWEEP_INTERVAL_MS: '0' } });

  it('releases more lapsed holds than one round trip carries, each once with its EXPIRY row, then sells', async () => {
    const HOLDS = 130; // two round trips of the sweep (100 holds each at most)
    const p = await createStockedProduct(server, { onHand: HOLDS });
    const holders = await createUsers(server, HOLDS, { prefix: 'lapsed' });
    for (const holder of holders) await holdStock(server, { userId: holder.id, productId: p.productId, quantity: 1, expiresAtMs: Date.now() - 1000 });
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: HOLDS, reserved: HOLDS });

    const buyer = await createUser(server, { prefix: 'after-lapse' });
    expectData(await buyer.client.request(BuyNowLiteDocument, { input: { productId: String(p.productId), quantity: 1, idempotencyKey: 'after-lapse' } }));
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: HOLDS - 1, reserved: 0 });
    const expiries = (await ledgerOf(server, p.stockId)).filter((m) => m.kind === 'EXPIRY');
    expect(expiries).toHaveLength(HOLDS);
    expect(expiries.every((m) => m.reservedDelta === -1)).toBe(true);
    await expectAuditClean(server);
  });
});
