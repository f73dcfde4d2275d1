import mysql from 'mysql2/promise';
import { LoginDocument, MeDocument } from '../generated/auth';
import {
  countRows,
  createStockedProduct,
  createUser,
  errorCode,
  insertUsers,
  expectData,
  FIXTURE_PASSWORD,
  GraphQLClient,
  type GraphQLResponse,
  readStockRow,
  sleep,
  TEST_DB,
  type TestUser,
  useServer,
  withServer,
} from '../kit';
import { codes, dbSnapshot, postFrom } from './support';

/**
 * Brute-force and write limits. Every limit is counted in the database, so each test uses its own
 * loopback address (127.0.0.x: Linux routes all of 127/8 to lo) to keep the per-IP counts apart.
 */
const LIMITS = {
  // Per account × IP for password checks (per account for one-time codes) ...
  AUTH_RATE_LIMIT_PER_ACCOUNT: '3',
  // ... and per account over all IPs: equal here, so the tests below that switch addresses check
  // that every process and address shares the account's budget ("an attacker cannot lock the
  // owner out" raises it above the per-IP one).
  AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING: '3',
  AUTH_RATE_LIMIT_PER_IP: '6',
  AUTH_RATE_LIMIT_WINDOW_SECONDS: '900',
  WRITE_RATE_LIMIT_PER_USER: '5',
  WRITE_RATE_LIMIT_WINDOW_SECONDS: '60',
  MAX_HOLD_PER_PRODUCT: '3',
  STOCK_WRITE_RATE_LIMIT_PER_USER: '10',
  STOCK_WRITE_RATE_LIMIT_WINDOW_SECONDS: '60',
};

const server = useServer({ env: LIMITS });

const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { token user { id } } }';
const login = (ip: string, email: string, password: string, url = server.url) => postFrom(url, { query: LOGIN, variables: { input: { email, password } } }, { localAddress: ip });

function expectRateLimited(res: GraphQLResponse<unknown>, maxSeconds: number): void {
  expect(codes(res)).toEqual(['RATE_LIMITED']);
  const retryAfter = res.errors![0].extensions?.retryAfter;
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
}

/** The stored count of an account's password attempts over all IPs (the bucket names the user id). */
async function passwordAttemptsOf(userId: number): Promise<number> {
  const bucket = `password:account:user:${userId}`;
  const rows = await server.em().execute<{ hits: number }[]>('SELECT hits FROM rate_limits WHERE bucket = ?', [bucket]);
  return Number(rows[0]?.hits ?? 0);
}

describe('login brute force', () => {
  it('refuses the 4th attempt on one account from one IP with RATE_LIMITED, even with the right password; the owner still signs in from another IP, up to the per-account ceiling', async () => {
    await withServer({ env: { ...LIMITS, AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING: '6' } }, async (ceiling) => {
      const user = await createUser(ceiling);
      const from = (ip: string, password: string, email = user.email) => login(ip, email, password, ceiling.url);
      const attacker = '127.0.0.11';
      expect(codes(await from(attacker, 'wrong password 1'))).toEqual(['INVALID_CREDENTIALS']);
      // Refused input counts too: every attempt does.
      expect(codes(await from(attacker, 'p'.repeat(129)))).toEqual(['BAD_USER_INPUT']);
      expect(codes(await from(attacker, 'wrong password 2', ` ${user.email.toUpperCase()} `))).toEqual(['INVALID_CREDENTIALS']);
      const right = await from(attacker, FIXTURE_PASSWORD);
      expectRateLimited(right, 900);
      expect(right.data).toBeNull();

      // The tight limit is per account AND address: the owner, elsewhere, is not locked out ...
      expect(expectData(await from('127.0.0.12', FIXTURE_PASSWORD)).login.user.id).toBe(String(user.id));
      expect(codes(await from('127.0.0.13', 'wrong password 3'))).toEqual(['INVALID_CREDENTIALS']);
      // ... until the account's ceiling over all addresses (6): the 7th attempt is refused anywhere.
      expectRateLimited(await from('127.0.0.14', FIXTURE_PASSWORD), 900);
      // And another account from the first address is still fine (that IP has used 4 of 6).
      const other = await createUser(ceiling);
      expect(expectData(await from(attacker, FIXTURE_PASSWORD, other.email)).login.user.id).toBe(String(other.id));
    });
  });

  it('refuses the 7th attempt from one IP whatever the accounts, and only from that IP', async () => {
    const ip = '127.0.0.21';
    for (let i = 0; i < 6; i += 1) {
      expect(codes(await login(ip, `nobody-${i}-${Date.now()}@example.com`, 'whatever password'))).toEqual(['INVALID_CREDENTIALS']);
    }
    const user = await createUser(server);
    expectRateLimited(await login(ip, user.email, FIXTURE_PASSWORD), 900);
    expect(expectData(await login('127.0.0.22', user.email, FIXTURE_PASSWORD)).login.user.id).toBe(String(user.id));
  });

  it('counts every aliased login field of one operation: aliases cannot multiply the attempts', async () => {
    const user = await createUser(server);
    const fields = [1, 2, 3, 4, 5].map((i) => `a${i}: login(input: $input) { token }`).join(' ');
    const res = await postFrom(
      server.url,
      { query: `mutation($input: LoginInput!) { ${fields} }`, variables: { input: { email: user.email, password: FIXTURE_PASSWORD } } },
      { localAddress: '127.0.0.31' },
    );
    // Mutation fields run one after another: three signed in, the 4th was refused, and its error
    // (on a non-null field) ended the operation before the 5th.
    expect(res.errors?.map((e) => [e.path?.[0], e.extensions?.code])).toEqual([['a4', 'RATE_LIMITED']]);
    expect(res.data).toBeNull();
    expect(await passwordAttemptsOf(user.id)).toBe(4);
    expectRateLimited(await login('127.0.0.32', user.email, FIXTURE_PASSWORD), 900);
  });

  it('changePassword checks the password against the same per-account budget as login', async () => {
    const user = await createUser(server);
    for (let i = 0; i < 3; i += 1) expect(codes(await login('127.0.0.41', user.email, `wrong password ${i}`))).toEqual(['INVALID_CREDENTIALS']);
    const res = await postFrom(
      server.url,
      { query: 'mutation { changePassword(input: { currentPassword: "fixture password", newPassword: "a brand new one" }) { token } }' },
      { localAddress: '127.0.0.42', token: user.token },
    );
    expectRateLimited(res, 900);
    // The password did not change.
    expect(codes(await login('127.0.0.43', user.email, 'a brand new one'))).toEqual(['RATE_LIMITED']);
    const row = await server.em().execute<{ token_version: number }[]>('SELECT token_version FROM users WHERE id = ?', [user.id]);
    expect(Number(row[0].token_version)).toBe(0);
  });
});

describe('one account, every spelling the database matches', () => {
  it('counts accented and cased spellings of an address against the account the database finds', async () => {
    const [row] = await insertUsers(server, 1, { prefix: 'buyer' });
    const email = row.email; // buyer-…@example.com
    const spellings = [email.replace('u', 'ù'), email.replace('u', 'ü'), email.replace('u', 'Ú')];
    const ip = '127.0.0.81';
    const answers = [];
    for (const spelling of spellings) answers.push(await login(ip, spelling, FIXTURE_PASSWORD));
    if (TEST_DB === 'mysql') {
      // utf8mb4_unicode_ci finds the account under every spelling (they sign in as it), so every
      // spelling spent that account's budget: the 4th attempt is refused whatever its spelling.
      expect(answers.map((r) => expectData(r).login.user.id)).toEqual([String(row.id), String(row.id), String(row.id)]);
      expect(await passwordAttemptsOf(row.id)).toBe(3);
      expectRateLimited(await login(ip, email, FIXTURE_PASSWORD), 900);
      expectRateLimited(await login(ip, email.replace('u', 'û'), FIXTURE_PASSWORD), 900);
    } else {
      // SQLite compares emails exactly: the spellings name no account and spend none of its budget.
      expect(answers.map(codes)).toEqual([['INVALID_CREDENTIALS'], ['INVALID_CREDENTIALS'], ['INVALID_CREDENTIALS']]);
      expect(await passwordAttemptsOf(row.id)).toBe(0);
      expect(expectData(await login(ip, email, FIXTURE_PASSWORD)).login.user.id).toBe(String(row.id));
    }
  });

  it('counts spellings of an address with no account as one address (folded like the column compares it)', async () => {
    const ip = '127.0.0.83';
    for (const spelling of ['nöbody-x@example.com', 'NÒBODY-x@example.com', 'nobódy-x@example.com']) {
      expect(codes(await login(ip, spelling, 'whatever password'))).toEqual(['INVALID_CREDENTIALS']);
    }
    expectRateLimited(await login(ip, 'nobody-x@example.com', 'whatever password'), 900);
  });
});

describe('re-authentication of setupTotp and disableTotp', () => {
  it('counts their password checks in the sign-in budget of the account', async () => {
    const user = await createUser(server);
    const ip = '127.0.0.84';
    const setup = (password: string) =>
      postFrom(server.url, { query: 'mutation($p: String) { setupTotp(password: $p) { secret } }', variables: { p: password } }, { localAddress: ip, token: user.token });
    expect(codes(await setup('wrong password 1'))).toEqual(['INVALID_CREDENTIALS']);
    expect(codes(await setup('wrong password 2'))).toEqual(['INVALID_CREDENTIALS']);
    expect(codes(await login(ip, user.email, 'wrong password 3'))).toEqual(['INVALID_CREDENTIALS']);
    expectRateLimited(await setup(FIXTURE_PASSWORD), 900);
    expectRateLimited(await login(ip, user.email, FIXTURE_PASSWORD), 900);
    const row = await server.em().execute<{ totp_pending_enc: string | null }[]>('SELECT totp_pending_enc FROM users WHERE id = ?', [user.id]);
    expect(row[0].totp_pending_enc).toBeNull();
  });
});

describe('one-time code brute force', () => {
  const VERIFY = 'mutation($code: String!) { verifyTotp(code: $code) { id totpEnabled } }';
  const DISABLE = `mutation($code: String!) { disableTotp(code: $code, password: "${FIXTURE_PASSWORD}") { id totpEnabled } }`;
  const totp = () => server.app.services.totp;

  /** A user whose TOTP secret is pending (setupTotp done), or already enabled. */
  async function userWithSecret(enabled: boolean): Promise<TestUser & { secret: string }> {
    const user = await createUser(server);
    const secret = totp().generateSecret();
    const column = enabled ? 'totp_secret_enc' : 'totp_pending_enc';
    await server
      .em()
      .execute(`UPDATE users SET ${column} = ?, totp_enabled = ? WHERE id = ?`, [totp().encrypt(secret), enabled, user.id], 'run');
    return { ...user, secret };
  }
  const wrongCode = (secret: string) => {
    const valid = [-30_000, 0, 30_000].map((d) => totp().codeAt(secret, Date.now() + d));
    let code = 100000;
    while (valid.includes(String(code))) code += 1;
    return String(code);
  };

  it.each([
    ['verifyTotp', VERIFY, false, '127.0.0.51'],
    ['disableTotp', DISABLE, true, '127.0.0.52'],
  ])('%s: the 4th code on one account is RATE_LIMITED, even the right one, and changes nothing', async (_name, query, enabled, ip) => {
    const user = await userWithSecret(enabled as boolean);
    for (let i = 0; i < 3; i += 1) {
      const res = await postFrom(server.url, { query, variables: { code: wrongCode(user.secret) } }, { localAddress: ip as string, token: user.token });
      expect(codes(res)).toEqual(['TOTP_INVALID']);
    }
    const right = await postFrom(
      server.url,
      { query, variables: { code: totp().codeAt(user.secret) } },
      { localAddress: '127.0.0.53', token: user.token },
    );
    expectRateLimited(right, 900);
    const me = expectData(await server.client.withToken(user.token).request(MeDocument)).me;
    expect(me?.totpEnabled).toBe(enabled);
  });

  it('the 7th code from one IP is RATE_LIMITED whatever the accounts', async () => {
    const ip = '127.0.0.54';
    for (let i = 0; i < 6; i += 1) {
      const user = await userWithSecret(false);
      expect(codes(await postFrom(server.url, { query: VERIFY, variables: { code: wrongCode(user.secret) } }, { localAddress: ip, token: user.token }))).toEqual([
        'TOTP_INVALID',
      ]);
    }
    const last = await userWithSecret(false);
    expectRateLimited(await postFrom(server.url, { query: VERIFY, variables: { code: totp().codeAt(last.secret) } }, { localAddress: ip, token: last.token }), 900);
    // From elsewhere that user is fine.
    const ok = await postFrom(server.url, { query: VERIFY, variables: { code: totp().codeAt(last.secret) } }, { localAddress: '127.0.0.55', token: last.token });
    expect(ok.data).toEqual({ verifyTotp: { id: String(last.id), totpEnabled: true } });
  });
});

describe('the window', () => {
  it('opens again once the window has run out', async () => {
    await withServer({ env: { ...LIMITS, AUTH_RATE_LIMIT_PER_ACCOUNT: '2', AUTH_RATE_LIMIT_WINDOW_SECONDS: '1' } }, async (short) => {
      const user = await createUser(short);
      const attempt = (password: string) => short.client.request(LoginDocument, { input: { email: user.email, password } });
      expect(errorCode(await attempt('wrong password 1'))).toBe('INVALID_CREDENTIALS');
      expect(errorCode(await attempt('wrong password 2'))).toBe('INVALID_CREDENTIALS');
      const refused = await attempt(FIXTURE_PASSWORD);
      expect(errorCode(refused)).toBe('RATE_LIMITED');
      expect(refused.errors![0].extensions?.retryAfter).toBe(1);
      await sleep(1100);
      expect(expectData(await attempt(FIXTURE_PASSWORD)).login.user.id).toBe(String(user.id));
    });
  });
});

describe('cart and checkout write limit', () => {
  const ADD = 'mutation($input: AddToCartInput!) { addToCart(input: $input) { id items { id quantity } } }';

  it('allows 5 cart/checkout mutations a minute per user, then RATE_LIMITED with nothing changed', async () => {
    const { productId } = await createStockedProduct(server, { onHand: 50 });
    const user = await createUser(server);
    const api = new GraphQLClient(server.url, user.token);
    const add = (quantity: number) => api.raw({ query: ADD, variables: { input: { productId: String(productId), quantity } } });
    const first = expectData(await add(1)) as { addToCart: { items: { id: string }[] } };
    const itemId = first.addToCart.items[0].id;
    expectData(await api.raw({ query: `mutation { updateCartItem(input: { itemId: "${itemId}", quantity: 2 }) { id } }` }));
    expectData(await api.raw({ query: `mutation { removeFromCart(itemId: "${itemId}") { id } }` }));
    expectData(await add(1));
    expectData(await api.raw({ query: 'mutation { clearCart { id } }' }));

    const before = await dbSnapshot(server);
    for (const query of [
      `mutation { buyNow(input: { productId: "${productId}", quantity: 1, idempotencyKey: "over-the-limit" }) { id } }`,
      'mutation { checkout(input: { idempotencyKey: "over-the-limit" }) { id } }',
      `mutation { addToCart(input: { productId: "${productId}", quantity: 1 }) { id } }`,
    ]) {
      expectRateLimited(await api.raw({ query }), 60);
    }
    expect(await dbSnapshot(server)).toEqual(before);

    // Per user: someone else is not affected.
    const other = await createUser(server);
    expectData(await new GraphQLClient(server.url, other.token).raw({ query: ADD, variables: { input: { productId: String(productId), quantity: 1 } } }));
  });

  it('counts buyNow inside its batch: a buyer over the limit is refused while the other buyers of the same batch buy', async () => {
    const { productId, stockId } = await createStockedProduct(server, { onHand: 20 });
    const [heavy, ...others] = await Promise.all(Array.from({ length: 4 }, () => createUser(server)));
    const buy = (user: { token: string }, key: string) =>
      new GraphQLClient(server.url, user.token).raw({ query: `mutation { buyNow(input: { productId: "${productId}", quantity: 1, idempotencyKey: "${key}" }) { id } }` });
    for (let i = 0; i < 5; i += 1) expectData(await buy(heavy, `heavy-${i}`));
    // The 6th of the heavy buyer arrives with three others: they share the product's batches.
    const [refused, ...bought] = await Promise.all([buy(heavy, 'heavy-5'), ...others.map((u, i) => buy(u, `other-${i}`))]);
    expectRateLimited(refused, 60);
    for (const answer of bought) expectData(answer);
    expect(await readStockRow(server, stockId)).toMatchObject({ onHand: 20 - 5 - others.length, reserved: 0 });
    // Counted: the refusal holds for the rest of the window, and the batch's count committed with it.
    expectRateLimited(await buy(heavy, 'heavy-6'), 60);
  });

  it('counts every aliased field: of 7 addToCart in one operation 5 hold stock, the 6th is refused (and ends the operation)', async () => {
    const user = await createUser(server);
    const products = await Promise.all(Array.from({ length: 7 }, () => createStockedProduct(server, { onHand: 5 })));
    const fields = products.map((p, i) => `a${i}: addToCart(input: { productId: "${p.productId}", quantity: 1 }) { id }`).join(' ');
    const res = await new GraphQLClient(server.url, user.token).raw({ query: `mutation { ${fields} }` });
    expect(res.errors?.map((e) => [e.path?.[0], e.extensions?.code])).toEqual([['a5', 'RATE_LIMITED']]);
    const held = await Promise.all(products.map((p) => readStockRow(server, p.stockId)));
    expect(held.map((s) => s.reserved)).toEqual([1, 1, 1, 1, 1, 0, 0]);
  });

  it('counts the mutations that fail inside their transaction too (rolled back with it, the count is made again on its own)', async () => {
    const { productId, stockId } = await createStockedProduct(server, { onHand: 1 });
    const api = new GraphQLClient(server.url, (await createUser(server)).token);
    const tooMany = `mutation { addToCart(input: { productId: "${productId}", quantity: 2 }) { id } }`;
    const emptyCheckout = (key: string) => `mutation { checkout(input: { idempotencyKey: "${key}" }) { id } }`;
    for (const query of [tooMany, emptyCheckout('a'), tooMany, emptyCheckout('b'), tooMany]) {
      const code = codes(await api.raw({ query }))[0];
      expect(['INSUFFICIENT_STOCK', 'BAD_USER_INPUT']).toContain(code);
    }
    expectRateLimited(await api.raw({ query: `mutation { addToCart(input: { productId: "${productId}", quantity: 1 }) { id } }` }), 60);
    expect((await readStockRow(server, stockId)).reserved).toBe(0);
  });
});

describe('stock write limit', () => {
  const SET = 'mutation($i: SetStockInput!) { setStock(input: $i) { onHand } }';
  const ADJUST = 'mutation($i: AdjustStockInput!) { adjustStock(input: $i) { onHand } }';
  const SETS = 'mutation($i: [SetStockInput!]!) { setStocks(input: $i) { ok } }';

  it('counts setStock, adjustStock and every setStocks item in one budget of 10 a minute per seller, then RATE_LIMITED with nothing changed', async () => {
    const seller = await createUser(server);
    const { productId, warehouseId } = await createStockedProduct(server, { onHand: 1, ownerId: seller.id });
    const api = new GraphQLClient(server.url, seller.token);
    const ids = { warehouseId: String(warehouseId), productId: String(productId) };
    const items = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ ...ids, onHand: from + i }));

    expect(expectData(await api.raw({ query: SETS, variables: { i: items(8, 10) } }))).toEqual({ setStocks: Array(8).fill({ ok: true }) });
    expect(expectData(await api.raw({ query: SET, variables: { i: { ...ids, onHand: 30 } } }))).toEqual({ setStock: { onHand: 30 } });
    expect(expectData(await api.raw({ query: ADJUST, variables: { i: { ...ids, delta: 1 } } }))).toEqual({ adjustStock: { onHand: 31 } });

    const before = await dbSnapshot(server);
    expectRateLimited(await api.raw({ query: SET, variables: { i: { ...ids, onHand: 40 } } }), 60);
    expectRateLimited(await api.raw({ query: ADJUST, variables: { i: { ...ids, delta: 1 } } }), 60);
    expectRateLimited(await api.raw({ query: SETS, variables: { i: items(1, 50) } }), 60);
    expect(await dbSnapshot(server)).toEqual(before);
    // Its own budget: the seller's cart budget is untouched.
    expectData(await api.raw({ query: `mutation { addToCart(input: { productId: "${productId}", quantity: 1 }) { id } }` }));
  });

  it('refuses a setStocks bigger than what is left of the budget as a whole: no item applied', async () => {
    const seller = await createUser(server);
    const { productId, warehouseId, stockId } = await createStockedProduct(server, { onHand: 1, ownerId: seller.id });
    const api = new GraphQLClient(server.url, seller.token);
    const i = Array.from({ length: 11 }, (_, n) => ({ warehouseId: String(warehouseId), productId: String(productId), onHand: n + 2 }));
    expectRateLimited(await api.raw({ query: SETS, variables: { i } }), 60);
    expect((await readStockRow(server, stockId)).onHand).toBe(1);
  });

  it('caps a request at 500 stock items over all its aliases: the field that would pass it is BAD_USER_INPUT on input', async () => {
    await withServer({}, async (big) => {
      const seller = await createUser(big);
      const { productId, warehouseId, stockId } = await createStockedProduct(big, { onHand: 1, ownerId: seller.id });
      const ids = { warehouseId: String(warehouseId), productId: String(productId) };
      const items = (from: number) => Array.from({ length: 250 }, (_, n) => ({ ...ids, onHand: from + n }));
      const query =
        'mutation($a: [SetStockInput!]!, $b: [SetStockInput!]!, $c: SetStockInput!) { a: setStocks(input: $a) { ok } b: setStocks(input: $b) { ok } c: setStock(input: $c) { onHand } }';
      const res = await new GraphQLClient(big.url, seller.token).raw({ query, variables: { a: items(1000), b: items(2000), c: { ...ids, onHand: 7 } } });
      expect(res.errors?.map((e) => [e.path?.[0], e.extensions?.code, e.extensions?.field])).toEqual([['c', 'BAD_USER_INPUT', 'input']]);
      expect(res.errors![0].message).toContain('at most 500 stock items per request');
      // The first 500 items applied, the 501st did not.
      expect((await readStockRow(big, stockId)).onHand).toBe(2249);
      const ledger = await big.em().execute<{ n: number }[]>('SELECT COUNT(*) AS n FROM stock_movements WHERE stock_id = ?', [stockId]);
      expect(Number(ledger[0].n)).toBe(1 + 500);
    });
  });
});

describe('MAX_HOLD_PER_PRODUCT', () => {
  it('caps a cart line and a buyNow at 3 units of one product: BAD_USER_INPUT on quantity naming the cap, nothing changed', async () => {
    const p = await createStockedProduct(server, { onHand: 20 });
    const holder = await createUser(server);
    const cart = new GraphQLClient(server.url, holder.token);
    const added = expectData(await cart.raw({ query: `mutation { addToCart(input: { productId: "${p.productId}", quantity: 2 }) { items { id } } }` })) as {
      addToCart: { items: { id: string }[] };
    };
    const itemId = added.addToCart.items[0].id;

    const refusals = [
      `mutation { addToCart(input: { productId: "${p.productId}", quantity: 2 }) { id } }`,
      `mutation { updateCartItem(input: { itemId: "${itemId}", quantity: 4 }) { id } }`,
    ];
    for (const query of refusals) {
      const before = await dbSnapshot(server);
      const res = await cart.raw({ query });
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0].extensions?.field).toBe('quantity');
      expect(res.errors![0].message).toContain('3');
      expect(await dbSnapshot(server)).toEqual(before);
    }
    expectData(await cart.raw({ query: `mutation { updateCartItem(input: { itemId: "${itemId}", quantity: 3 }) { id } }` }));
    expect((await readStockRow(server, p.stockId)).reserved).toBe(3);

    const buyer = new GraphQLClient(server.url, (await createUser(server)).token);
    const ordersBefore = await countRows(server, 'orders');
    const tooMany = await buyer.raw({ query: `mutation { buyNow(input: { productId: "${p.productId}", quantity: 4, idempotencyKey: "cap-4" }) { id } }` });
    expect(codes(tooMany)).toEqual(['BAD_USER_INPUT']);
    expect(tooMany.errors![0].extensions?.field).toBe('quantity');
    expect(tooMany.errors![0].message).toContain('3');
    expect(await countRows(server, 'orders')).toBe(ordersBefore);
    expectData(await buyer.raw({ query: `mutation { buyNow(input: { productId: "${p.productId}", quantity: 3, idempotencyKey: "cap-3" }) { id } }` }));
    expect(await readStockRow(server, p.stockId)).toMatchObject({ onHand: 17, reserved: 3 });
  });
});

describe('the counters table', () => {
  it('is swept of counters whose window ended; live ones stay', async () => {
    const em = server.em();
    const now = Date.now();
    // Sign-in counters (a 15-minute window here): each bucket prefix is swept by its own window.
    const [old, live] = ['password:account:sweep-old', 'password:account:sweep-live'];
    await em.execute('INSERT INTO rate_limits (bucket, window_start_ms, hits) VALUES (?, ?, 3), (?, ?, 3)', [old, now - 901_000, live, now - 1000], 'run');
    expect(await server.app.services.rateLimits.deleteExpired({ em, requestId: 'test' }, now)).toBeGreaterThanOrEqual(1);
    const left = await em.execute<{ bucket: string }[]>("SELECT bucket FROM rate_limits WHERE bucket LIKE 'password:account:sweep-%'");
    expect(left.map((r) => r.bucket)).toEqual([live]);
  });

  it('sweeps more ended counters than it reads at once (500), and none that is live', async () => {
    const em = server.em();
    const now = Date.now();
    const ended = Array.from({ length: 1100 }, (_, i) => `write:user:chunk-${String(i).padStart(4, '0')}`);
    const live = ['write:user:chunk-0100x', 'write:user:chunk-0600x'];
    const rows = [...ended.map((bucket) => [bucket, now - 3_600_000]), ...live.map((bucket) => [bucket, now - 1000])];
    await em.execute(`INSERT INTO rate_limits (bucket, window_start_ms, hits) VALUES ${rows.map(() => '(?, ?, 1)').join(', ')}`, rows.flat(), 'run');
    expect(await server.app.services.rateLimits.deleteExpired({ em, requestId: 'test' }, now)).toBeGreaterThanOrEqual(ended.length);
    const left = await em.execute<{ bucket: string }[]>("SELECT bucket FROM rate_limits WHERE bucket LIKE 'write:user:chunk-%' ORDER BY bucket");
    expect(left.map((r) => r.bucket)).toEqual(live);
  });

  /**
   * The sweep runs while shoppers count their writes. It must not lock the live counters: a single
   * DELETE over the table locks every row it scans until it ends, so every shopper's count waits
   * for it, and a shared transaction holding several counters deadlocks with it.
   */
  (TEST_DB === 'mysql' ? it : it.skip)('sweeps while a live counter is locked by a unit in progress, without waiting for it', async () => {
    const em = server.em();
    const now = Date.now();
    const [old, live] = ['write:user:sweep-old', 'write:user:sweep-live'];
    await em.execute('INSERT INTO rate_limits (bucket, window_start_ms, hits) VALUES (?, ?, 3), (?, ?, 3)', [old, now - 3_600_000, live, now - 1000], 'run');
    const unit = await mysql.createConnection(server.env.DATABASE_URL);
    try {
      await unit.query('BEGIN');
      await unit.query('SELECT hits FROM rate_limits WHERE bucket = ? FOR UPDATE', [live]);
      let swept = false;
      const sweep = server.app.services.rateLimits.deleteExpired({ em, requestId: 'test' }, now).then((n) => {
        swept = true;
        return n;
      });
      // The lock is held until the sweep is done, or for 4 s (the sweep then waited for it).
      await Promise.race([sweep, sleep(4000)]);
      expect(swept).toBe(true);
      expect(await sweep).toBeGreaterThanOrEqual(1);
    } finally {
      await unit.query('ROLLBACK');
      await unit.end();
    }
    const left = await em.execute<{ bucket: string }[]>("SELECT bucket FROM rate_limits WHERE bucket LIKE 'write:user:sweep-%'");
    expect(left.map((r) => r.bucket)).toEqual([live]);
  });

  it('keeps a registration counter for its whole hour: the sweep does not reset the registration budget', async () => {
    await withServer({ env: { REGISTER_RATE_LIMIT_PER_IP: '2', REGISTER_RATE_LIMIT_WINDOW_SECONDS: '3600' } }, async (hourly) => {
      const register = (n: number) =>
        postFrom(
          hourly.url,
          { query: 'mutation($input: RegisterInput!) { register(input: $input) { token } }', variables: { input: { email: `sweep${n}@example.com`, password: 'long enough pw', name: 'S' } } },
          { localAddress: '127.0.0.79' },
        );
      for (let n = 1; n <= 2; n += 1) expect(codes(await register(n))).toEqual([]);
      // 20 minutes later (past the 15-minute sign-in window, well inside the hour), the sweeper runs.
      const em = hourly.em();
      await hourly.app.services.rateLimits.deleteExpired({ em, requestId: 'test' }, Date.now() + 20 * 60_000);
      expect(codes(await register(3))).toEqual(['RATE_LIMITED']);
    });
  });
});

(TEST_DB === 'mysql' ? describe : describe.skip)('across server processes (MySQL)', () => {
  it('attempts split between two processes share one budget, also when they race', async () => {
    const other = await server.spawn(); // stopped with the server
    const user = await createUser(server);
    const urls = [server.url, other.url];
    for (let i = 0; i < 3; i += 1) expect(codes(await login('127.0.0.61', user.email, `wrong ${i} password`, urls[i % 2]))).toEqual(['INVALID_CREDENTIALS']);
    expectRateLimited(await login('127.0.0.61', user.email, FIXTURE_PASSWORD, urls[1]), 900);
    expectRateLimited(await login('127.0.0.62', user.email, FIXTURE_PASSWORD, urls[0]), 900);

    // 12 simultaneous attempts with the right password, half on each process: exactly 3 get in.
    const racer = await createUser(server);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => login(`127.0.0.${70 + (i % 2)}`, racer.email, FIXTURE_PASSWORD, urls[i % 2])),
    );
    expect(results.filter((r) => !r.errors).length).toBe(3);
    expect(results.filter((r) => codes(r)[0] === 'RATE_LIMITED').length).toBe(9);
  });
});

describe('registration flood', () => {
  const REGISTER = 'mutation($input: RegisterInput!) { register(input: $input) { token } }';
  const limited = useServer({ env: { REGISTER_RATE_LIMIT_PER_IP: '3', REGISTER_RATE_LIMIT_WINDOW_SECONDS: '3600' } });
  const register = (ip: string, n: number) =>
    postFrom(limited.url, { query: REGISTER, variables: { input: { email: `flood${n}@example.com`, password: 'long enough pw', name: 'F' } } }, { localAddress: ip });

  it('refuses the 4th registration from one IP with RATE_LIMITED and creates no account; other IPs still register', async () => {
    for (let n = 1; n <= 3; n += 1) expect(codes(await register('127.0.0.77', n))).toEqual([]);
    const before = await countRows(limited, 'users');
    const res = await register('127.0.0.77', 4);
    expect(codes(res)).toEqual(['RATE_LIMITED']);
    expect(res.errors![0].extensions?.retryAfter).toBeGreaterThanOrEqual(1);
    expect(await countRows(limited, 'users')).toBe(before);
    expect(codes(await register('127.0.0.78', 5))).toEqual([]);
  });
});
