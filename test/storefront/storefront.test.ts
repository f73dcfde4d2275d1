import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { authenticator } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SetupTotpDocument, VerifyTotpDocument } from '../generated/auth';
import { CreateFlashSaleDocument } from '../generated/flash-sale';
import { describeWithChromium, launchChromium } from '../kit/browser';
import { createStockedProduct, databaseNowMs, expectData, orderedQuantity, readStockRow, registerUser, TEST_DB, useServer, type TestUser } from '../kit';

/**
 * The storefront (storefront/, served at /storefront) in a real browser: two buyers in two
 * browser contexts, each step checked by its outcome in the database (orders, stock, cart) and
 * by what the page shows. Only in the sqlite project: it tests the page and its client contract
 * (live counts, idempotency keys, error messages), and one database is enough for that; the races
 * behind it are proven on both databases by test/concurrency. The holds last 5 s here
 * (RESERVATION_TTL_SECONDS), so the expiry of a hold is seen without waiting 15 minutes.
 */
const describeStorefront = TEST_DB === 'sqlite' ? describeWithChromium : describe.skip;

const HOLD_SECONDS = 5;
const WAIT = { timeout: 15_000 };

describeStorefront('storefront in a real browser (Chromium)', () => {
  const server = useServer({ env: { RESERVATION_TTL_SECONDS: String(HOLD_SECONDS) } });
  let browser: Browser;
  let contextA: BrowserContext;
  let contextB: BrowserContext;
  let pageA: Page;
  let pageB: Page;
  /** Every URL either page asked for (HTTP and WebSocket), and every page error or console error. */
  const requested: string[] = [];
  const problems: string[] = [];
  /** The variables of every BuyNow request buyer A's page sent. */
  const buyNowsOfA: { idempotencyKey: string; productId: string }[] = [];
  const products = { sneaker: 0, hoodie: 0, cap: 0, watch: 0, lamp: 0 };
  const buyerA = { email: `a-${process.pid}@example.com`, password: 'buyer a password', name: 'Ana Buyer', id: 0 };
  let buyerB: TestUser;
  /** Screenshots of the steps, in a temporary folder (catalog.png is the one committed as docs/storefront.png). */
  let shots: string;
  let totpSecret: string;

  function watch(page: Page): void {
    page.on('request', (request) => requested.push(request.url()));
    page.on('websocket', (ws) => requested.push(ws.url()));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // The reply the lost-reply step drops on purpose is the one network error expected.
      if (message.type() === 'error' && !message.text().includes('ERR_CONNECTION_RESET')) problems.push(`console error: ${message.text()}`);
    });
  }

  const storefront = (hash = '') => `${server.url}/storefront${hash}`;
  const card = (page: Page, productId: number) => page.locator(`.card[data-product-id="${productId}"]`);
  const ordersOf = async (userId: number, productId: number) =>
    server.em().getConnection().execute<{ id: number; status: string; quantity: number }[]>(
      'SELECT o.id, o.status, l.quantity FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.user_id = ? AND l.product_id = ? ORDER BY o.id',
      [userId, productId],
    );

  beforeAll(async () => {
    const bundle = await fetch(`${server.url}/storefront/app.js`);
    if (bundle.status !== 200) throw new Error(`GET /storefront/app.js answered ${bundle.status}: run npm run build first`);
    const stocked = async (name: string, onHand: number, price: string) => (await createStockedProduct(server, { name, onHand, price })).productId;
    products.sneaker = await stocked('Flash Sneaker', 3, '79.00');
    products.hoodie = await stocked('Night Hoodie', 5, '45.50');
    products.cap = await stocked('Trail Cap', 5, '19.90');
    products.watch = await stocked('Field Watch', 1, '129.00');
    // A running flash sale (by the database clock): 2 units at 5.00, 1 per buyer, sale-only.
    const seller = await registerUser(server);
    products.lamp = (await createStockedProduct(server, { name: 'Desk Lamp', onHand: 5, price: '30.00', ownerId: seller.id })).productId;
    const nowMs = await databaseNowMs(server);
    expectData(
      await seller.client.request(CreateFlashSaleDocument, {
        input: { productId: String(products.lamp), salePrice: '5.00', startsAt: new Date(nowMs - 1000).toISOString(), endsAt: new Date(nowMs + 3_600_000).toISOString(), quota: 2, perBuyerLimit: 1 },
      }),
    );

    buyerB = await registerUser(server);
    const setup = expectData(await buyerB.client.request(SetupTotpDocument, { password: 'correct horse battery' })).setupTotp;
    totpSecret = setup.secret;
    // Enrol with the previous step's code, so that the current one is still unused for the sign-in.
    expectData(await buyerB.client.request(VerifyTotpDocument, { code: authenticator.clone({ epoch: Date.now() - 30_000 }).generate(totpSecret) }));

    shots = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-storefront-'));
    browser = await launchChromium();
    contextA = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    contextB = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true }); // a phone
    pageA = await contextA.newPage();
    pageB = await contextB.newPage();
    watch(pageA);
    watch(pageB);
    pageA.on('request', (request) => {
      const body = request.postDataJSON() as { operationName?: string; variables?: { input?: { idempotencyKey: string; productId: string } } } | null;
      if (body?.operationName === 'BuyNow' && body.variables?.input) buyNowsOfA.push(body.variables.input);
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('signs up buyer A, and signs in buyer B with the one-time code step of 2FA', async () => {
    await pageA.goto(storefront(), { waitUntil: 'load' });
    await pageA.click('a[href="#/signin"]');
    await pageA.click('role=tab[name="Sign up"]');
    await pageA.fill('input[name="name"]', buyerA.name);
    await pageA.fill('input[name="email"]', buyerA.email);
    await pageA.fill('input[name="password"]', buyerA.password);
    await pageA.click('button[type="submit"]');
    await pageA.waitForSelector(`[data-testid="viewer"]:has-text("${buyerA.name}")`, WAIT);
    const rows = await server.em().getConnection().execute<{ id: number; name: string }[]>('SELECT id, name FROM users WHERE email = ?', [buyerA.email]);
    expect(rows.map((r) => r.name)).toEqual([buyerA.name]);
    buyerA.id = Number(rows[0].id);

    await pageB.goto(storefront('#/signin'), { waitUntil: 'load' });
    await pageB.fill('input[name="email"]', buyerB.email);
    await pageB.fill('input[name="password"]', 'correct horse battery');
    await pageB.click('button[type="submit"]');
    await pageB.waitForSelector('text=two-factor authentication', WAIT);
    await pageB.fill('input[name="totp"]', authenticator.generate(totpSecret));
    await pageB.click('button[type="submit"]');
    await pageB.waitForSelector(`[data-testid="viewer"]:has-text("${buyerB.email.split('@')[0]}")`, WAIT);
  });

  it("shows buyer A's purchase on buyer B's page without a reload", async () => {
    await pageB.goto(storefront('#/'));
    await card(pageB, products.sneaker).locator('text=3 left').waitFor(WAIT);
    await pageB.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    await pageA.goto(storefront(`#/product/${products.sneaker}`));
    await pageA.click('button:has-text("Buy now")');
    await pageA.waitForSelector('role=status >> text=/Order #\\d+ placed/', WAIT);

    await card(pageB, products.sneaker).locator('text=2 left').waitFor(WAIT);
    expect(await pageB.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect((await ordersOf(buyerA.id, products.sneaker)).map((o) => o.quantity)).toEqual([1]);
    await pageA.screenshot({ path: path.join(shots, 'product.png') });
  });

  it('races both buyers for the last 2 units: exactly the stock is sold, and the loser reads "Sold out"', async () => {
    await pageB.goto(storefront(`#/product/${products.sneaker}`));
    for (const page of [pageA, pageB]) {
      await page.locator('text=2 left').waitFor(WAIT);
      await page.selectOption('select[name="quantity"]', '2');
    }
    await Promise.all([pageA.click('button:has-text("Buy now")'), pageB.click('button:has-text("Buy now")')]);
    const outcome = async (page: Page) => {
      await page.waitForSelector('.notice, .message', WAIT);
      return (await page.locator('.notice, .message').textContent()) ?? '';
    };
    const texts = await Promise.all([outcome(pageA), outcome(pageB)]);
    expect(texts.filter((t) => /^Order #\d+ placed/.test(t))).toHaveLength(1);
    expect(texts.filter((t) => t === 'Sold out')).toHaveLength(1);

    expect(await orderedQuantity(server, products.sneaker)).toBe(3);
    const sold = [...(await ordersOf(buyerA.id, products.sneaker)), ...(await ordersOf(buyerB.id, products.sneaker))];
    expect(sold.map((o) => o.quantity).sort()).toEqual([1, 2]);
    for (const page of [pageA, pageB]) await page.locator('.badge.sold-out').waitFor(WAIT); // live, on both pages
    await pageB.screenshot({ path: path.join(shots, 'sold-out-phone.png') });
    await pageA.goto(storefront('#/'));
    await card(pageA, products.sneaker).locator('text=Sold out').waitFor(WAIT);
    await pageA.screenshot({ path: path.join(shots, 'catalog.png'), clip: { x: 0, y: 0, width: 1100, height: 420 } }); // docs/storefront.png
  });

  it('shows a running flash sale live: the sale price, the units left at it, and the per-buyer limit', async () => {
    await pageB.goto(storefront('#/'));
    const lampOfB = card(pageB, products.lamp);
    await lampOfB.locator('text=2 left at this price').waitFor(WAIT);
    expect(await lampOfB.locator('[data-testid="sale-price"]').textContent()).toBe('5.00');

    await pageA.goto(storefront(`#/product/${products.lamp}`));
    await pageA.locator('text=1 per buyer').waitFor(WAIT);
    await pageA.click('button:has-text("Buy now")');
    await pageA.waitForSelector('role=status >> text=/Order #\\d+ placed: 5\\.00/', WAIT);
    await lampOfB.locator('text=1 left at this price').waitFor(WAIT); // live on the other buyer's page

    await pageA.click('button:has-text("Buy now")');
    await pageA.waitForSelector('role=alert >> text=You have reached the purchase limit for this sale', WAIT);
    const lines = await server.em().getConnection().execute<{ unit_price: string }[]>(
      'SELECT l.unit_price FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.user_id = ? AND l.product_id = ?',
      [buyerA.id, products.lamp],
    );
    expect(lines.map((l) => Number(l.unit_price))).toEqual([5]);
  });

  it('makes one order from a double click on Buy now', async () => {
    await pageA.goto(storefront(`#/product/${products.hoodie}`));
    await pageA.locator('text=5 left').waitFor(WAIT);
    const before = buyNowsOfA.length;
    await pageA.dblclick('button:has-text("Buy now")');
    await pageA.waitForSelector('role=status >> text=/Order #\\d+ placed/', WAIT);
    await pageA.locator('text=4 left').waitFor(WAIT);
    expect(buyNowsOfA.length - before).toBe(1);
    expect((await ordersOf(buyerA.id, products.hoodie)).map((o) => o.quantity)).toEqual([1]);
  });

  it('resends a Buy now whose reply was lost with the same idempotency key, and buys once', async () => {
    await pageA.goto(storefront(`#/product/${products.cap}`));
    await pageA.locator('text=5 left').waitFor(WAIT);
    let dropped = 0;
    // The first BuyNow reaches the server and is committed there; its reply never reaches the page.
    await pageA.route('**/graphql', async (route) => {
      const body = route.request().postDataJSON() as { operationName?: string } | null;
      if (body?.operationName !== 'BuyNow' || dropped > 0) return route.continue();
      dropped += 1;
      await route.fetch();
      await route.abort('connectionreset');
    });
    const before = buyNowsOfA.length;
    await pageA.click('button:has-text("Buy now")');
    await pageA.waitForSelector('role=status >> text=/Order #\\d+ placed/', WAIT);
    await pageA.unroute('**/graphql');

    const sent = buyNowsOfA.slice(before);
    expect(dropped).toBe(1);
    expect(sent).toHaveLength(2);
    expect(sent[1].idempotencyKey).toBe(sent[0].idempotencyKey);
    expect((await ordersOf(buyerA.id, products.cap)).map((o) => o.quantity)).toEqual([1]);
    const stock = await server.em().getConnection().execute<{ on_hand: number }[]>('SELECT on_hand FROM stocks WHERE product_id = ?', [products.cap]);
    expect(stock.map((s) => Number(s.on_hand))).toEqual([4]);
  });

  it("shows the cart hold's countdown, changes quantities, removes a line, and reports an expired hold at checkout", async () => {
    // Quantity changes and removal, on the hoodie (4 left).
    await pageA.goto(storefront(`#/product/${products.hoodie}`));
    await pageA.click('button:has-text("Add to cart")');
    await pageA.waitForSelector('role=status >> text=Added to your cart', WAIT);
    await pageA.goto(storefront('#/cart'));
    await pageA.waitForSelector('[data-testid="hold"]:has-text("Held for 0:0")', WAIT);
    await pageA.click('button[aria-label="One more"]');
    await pageA.waitForSelector('[data-testid="quantity"]:text-is("2")', WAIT);
    const held = await server.em().getConnection().execute<{ quantity: number }[]>(
      'SELECT i.quantity FROM cart_items i JOIN carts c ON c.id = i.cart_id WHERE c.user_id = ?',
      [buyerA.id],
    );
    expect(held.map((r) => Number(r.quantity))).toEqual([2]);
    await pageA.click('button:has-text("Remove")');
    await pageA.waitForSelector('text=Your cart is empty', WAIT);
    const left = await server.em().getConnection().execute<{ n: number }[]>(
      'SELECT COUNT(*) AS n FROM cart_items i JOIN carts c ON c.id = i.cart_id WHERE c.user_id = ?',
      [buyerA.id],
    );
    expect(Number(left[0].n)).toBe(0);

    // The watch has 1 unit: A holds it, the hold lapses, B buys it, A's checkout is refused.
    await pageA.goto(storefront(`#/product/${products.watch}`));
    await pageA.click('button:has-text("Add to cart")');
    await pageA.waitForSelector('role=status >> text=Added to your cart', WAIT);
    await pageA.goto(storefront('#/cart'));
    await pageA.waitForSelector('[data-testid="hold"]:has-text("Held for 0:0")', WAIT);
    await pageA.screenshot({ path: path.join(shots, 'cart.png') });
    await pageA.waitForSelector('[data-testid="hold"]:has-text("Hold expired")', WAIT);

    // A lapsed hold blocks no one: B buys the unit.
    await pageB.goto(storefront(`#/product/${products.watch}`));
    await pageB.click('button:has-text("Buy now")');
    await pageB.waitForSelector('role=status >> text=/Order #\\d+ placed/', WAIT);
    await pageA.click('button:has-text("Checkout")');
    await pageA.waitForSelector('role=alert >> text=Your hold expired and the stock is gone', WAIT);
    expect(await ordersOf(buyerA.id, products.watch)).toEqual([]);
    expect((await ordersOf(buyerB.id, products.watch)).map((o) => o.quantity)).toEqual([1]);
    expect(await orderedQuantity(server, products.watch)).toBe(1);
  });

  it('lists the orders with their statuses and cancels a pending one (its stock goes back)', async () => {
    await pageA.goto(storefront('#/orders'));
    const capOrder = (await ordersOf(buyerA.id, products.cap))[0];
    const row = pageA.locator(`[data-order-id="${capOrder.id}"]`);
    await row.locator('text=PENDING').waitFor(WAIT);
    const all = await server.em().getConnection().execute<{ n: number }[]>('SELECT COUNT(*) AS n FROM orders WHERE user_id = ?', [buyerA.id]);
    expect(await pageA.locator('[data-order-id]').count()).toBe(Number(all[0].n));
    await pageA.screenshot({ path: path.join(shots, 'orders.png') });
    await row.locator('button:has-text("Cancel")').click();
    await row.locator('text=CANCELLED').waitFor(WAIT);
    expect((await ordersOf(buyerA.id, products.cap)).map((o) => o.status)).toEqual(['CANCELLED']);
    const stock = await server.em().getConnection().execute<{ id: number }[]>('SELECT id FROM stocks WHERE product_id = ?', [products.cap]);
    expect(await readStockRow(server, Number(stock[0].id))).toMatchObject({ onHand: 5, reserved: 0 });
  });

  it('loaded everything from this server only, with no page or console error', async () => {
    const origin = new URL(server.url);
    const foreign = requested.filter((url) => {
      const u = new URL(url);
      return !url.startsWith('data:') && u.host !== origin.host;
    });
    expect(foreign).toEqual([]);
    expect(requested).toEqual(expect.arrayContaining([`${origin.origin}/storefront/app.js`, `${origin.origin}/storefront/app.css`, `${origin.origin}/graphql`, `ws://${origin.host}/graphql`]));
    expect(problems).toEqual([]);
  });
});
