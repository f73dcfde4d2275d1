import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { useServer } from '../kit';

/**
 * The in-browser IDE must work on a machine with no internet: everything it loads comes from this
 * server. Drives Debian's Chromium through playwright-core. A missing browser FAILS the suite
 * (CI installs it): a skipped IDE test would prove nothing.
 */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const server = useServer();
let context: BrowserContext;
let userDataDir: string;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH; the IDE test needs a real browser`);
  }
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  });
});

afterAll(async () => {
  await context?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

/** Text of the CodeMirror 5 editor inside `selector` (GraphiQL 3 renders its panes with it). */
const editorText = (page: Page, selector: string) =>
  page.evaluate((sel) => {
    const el = document.querySelector(`${sel} .CodeMirror`) as (Element & { CodeMirror?: { getValue(): string } }) | null;
    return el?.CodeMirror?.getValue() ?? null;
  }, selector);

describe('GraphQL IDE (GraphiQL) in a real browser', () => {
  it('loads from this server only and runs an operation against it', async () => {
    const page = await context.newPage();
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
    expect(await page.title()).toContain('GraphQL IDE');

    // Replace the default document and run it with the toolbar's run button.
    const email = `ide-${process.pid}@example.com`;
    const operation = `mutation FromIde { register(input: { email: "${email}", password: "ide password 1", name: "From the IDE" }) { user { email name role } } }`;
    await page.evaluate((text) => {
      const el = document.querySelector('.graphiql-query-editor .CodeMirror') as Element & { CodeMirror: { setValue(v: string): void } };
      el.CodeMirror.setValue(text);
    }, operation);
    // GraphiQL takes an edit in after a short debounce; run once its tab holds the new operation.
    await page.waitForFunction(
      (name) => {
        const state = JSON.parse(localStorage.getItem('graphiql:tabState') ?? '{}') as { activeTabIndex?: number; tabs?: { title: string }[] };
        return state.tabs?.[state.activeTabIndex ?? 0]?.title === name;
      },
      'FromIde',
      { timeout: 10_000 },
    );
    await page.click('.graphiql-execute-button');

    await page.waitForFunction(
      () => {
        const el = document.querySelector('.graphiql-response .CodeMirror') as (Element & { CodeMirror?: { getValue(): string } }) | null;
        return (el?.CodeMirror?.getValue() ?? '').includes('"data"');
      },
      undefined,
      { timeout: 30_000 },
    );
    const result = JSON.parse((await editorText(page, '.graphiql-response')) ?? '{}');
    expect(result).toEqual({ data: { register: { user: { email, name: 'From the IDE', role: 'CUSTOMER' } } } });

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
});
