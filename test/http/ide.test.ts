import type { Browser, Page } from 'playwright-core';
import { BuyNowLiteDocument } from '../generated/orders';
import { createStockedProduct, describeWithChromium, expectData, launchChromium, registerUser, useServer } from '../kit';

/**
 * The in-browser IDE must work on a machine with no internet: everything it loads comes from this
 * server. Drives Debian's Chromium through playwright-core; without it the suite is skipped with a
 * note (and fails in CI), see test/kit/browser.ts.
 */
describeWithChromium('GraphQL IDE (GraphiQL) in a real browser', () => {
  const server = useServer({ env: { STOCK_WATCH_INTERVAL_MS: '50' } });
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A fresh page (no stored tabs) with the IDE loaded, collecting every request and problem. */
  async function openIde(): Promise<{ page: Page; requests: string[]; problems: string[] }> {
    const page = await (await browser.newContext()).newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
    });
    const response = await page.goto(`${server.url}/graphql`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    await page.waitForSelector('.graphiql-query-editor .CodeMirror', { timeout: 30_000 });
    return { page, requests, problems };
  }

  /** Text of the CodeMirror 5 editor inside `selector` (GraphiQL 3 renders its panes with it). */
  const editorText = (page: Page, selector: string) =>
    page.evaluate((sel) => {
      const el = document.querySelector(`${sel} .CodeMirror`) as (Element & { CodeMirror?: { getValue(): string } }) | null;
      return el?.CodeMirror?.getValue() ?? null;
    }, selector);

  const setEditorText = (page: Page, selector: string, text: string) =>
    page.evaluate(
      ([sel, value]) => {
        const el = document.querySelector(`${sel} .CodeMirror`) as Element & { CodeMirror: { setValue(v: string): void } };
        el.CodeMirror.setValue(value);
      },
      [selector, text] as const,
    );

  /** GraphiQL takes an edit in after a short debounce: waits until its stored tab holds `check`. */
  const waitForTab = (page: Page, field: 'title' | 'query' | 'headers', includes: string) =>
    page.waitForFunction(
      ([key, text]) => {
        const state = JSON.parse(localStorage.getItem('graphiql:tabState') ?? '{}') as { activeTabIndex?: number; tabs?: Record<string, string | null>[] };
        return (state.tabs?.[state.activeTabIndex ?? 0]?.[key] ?? '').includes(text);
      },
      [field, includes] as const,
      { timeout: 10_000 },
    );

  /** Waits until the response pane shows a text that includes `text`, and returns it parsed. */
  async function responseIncluding(page: Page, text: string): Promise<unknown> {
    await page.waitForFunction(
      (expected) => {
        const el = document.querySelector('.graphiql-response .CodeMirror') as (Element & { CodeMirror?: { getValue(): string } }) | null;
        return (el?.CodeMirror?.getValue() ?? '').includes(expected);
      },
      text,
      { timeout: 30_000 },
    );
    return JSON.parse((await editorText(page, '.graphiql-response')) ?? '{}');
  }

  it('loads from this server only and runs an operation against it', async () => {
    const { page, requests, problems } = await openIde();
    expect(await page.title()).toContain('GraphQL IDE');

    // Replace the default document and run it with the toolbar's run button.
    const email = `ide-${process.pid}@example.com`;
    await setEditorText(page, '.graphiql-query-editor', `mutation FromIde { register(input: { email: "${email}", password: "ide password 1", name: "From the IDE" }) { user { email name role } } }`);
    await waitForTab(page, 'title', 'FromIde');
    await page.click('.graphiql-execute-button');
    expect(await responseIncluding(page, '"data"')).toEqual({ data: { register: { user: { email, name: 'From the IDE', role: 'CUSTOMER' } } } });

    // The operation really reached this server's database.
    const rows = await server.em().getConnection().execute<{ name: string }[]>('SELECT name FROM users WHERE email = ?', [email]);
    expect(rows).toEqual([{ name: 'From the IDE' }]);

    // Every request the page made went to this server (no CDN, fonts or telemetry elsewhere).
    const origin = new URL(server.url).origin;
    expect(requests.length).toBeGreaterThanOrEqual(6); // page, css, 4 scripts, then GraphQL requests
    expect(requests.filter((url) => new URL(url).origin !== origin && !url.startsWith('data:'))).toEqual([]);
    expect(requests).toEqual(expect.arrayContaining([`${origin}/ide/graphiql.css`, `${origin}/ide/graphiql.js`, `${origin}/graphql`]));
    expect(problems).toEqual([]);
    await page.close();
  });

  it("opens with the README's example operations and runs their subscription over WebSocket, with the Headers tab as connectionParams: a buyNow made through the API arrives", async () => {
    const { productId } = await createStockedProduct(server, { onHand: 5 });
    const buyer = await registerUser(server);
    const { page, problems } = await openIde();

    const examples = (await editorText(page, '.graphiql-query-editor')) ?? '';
    for (const operation of ['mutation Login', 'query Products', 'mutation AddToCart', 'mutation Checkout', 'mutation BuyNow', 'subscription StockChanged']) {
      expect(examples).toContain(operation);
    }
    expect(examples).toContain('idempotencyKey');

    // The example subscription, pointed at this test's product; the token typed with a capital A.
    await setEditorText(page, '.graphiql-query-editor', examples.replace(/stockChanged\(productId: "\d+"\)/, `stockChanged(productId: "${productId}")`));
    await waitForTab(page, 'query', `stockChanged(productId: "${productId}")`);
    await page.getByRole('button', { name: 'Headers' }).click();
    await setEditorText(page, 'section[aria-label=Headers] .graphiql-editor:not(.hidden)', JSON.stringify({ Authorization: `Bearer ${buyer.token}` }));
    await waitForTab(page, 'headers', buyer.token);

    const sent: string[] = [];
    page.on('websocket', (socket) => socket.on('framesent', (frame) => sent.push(String(frame.payload))));
    await page.click('.graphiql-execute-button');
    await page.getByRole('menuitem', { name: 'StockChanged' }).click();
    expect(await responseIncluding(page, '"available": 5')).toEqual({ data: { stockChanged: { productId: String(productId), available: 5 } } });

    // The Headers tab went over the socket as connectionParams.
    expect(sent.map((frame) => JSON.parse(frame))).toContainEqual({ type: 'connection_init', payload: { Authorization: `Bearer ${buyer.token}` } });

    expectData(await buyer.client.request(BuyNowLiteDocument, { input: { productId: String(productId), quantity: 2, idempotencyKey: `ide-${productId}` } }));
    expect(await responseIncluding(page, '"available": 3')).toEqual({ data: { stockChanged: { productId: String(productId), available: 3 } } });
    expect(problems).toEqual([]);
    await page.close();
  });
});
