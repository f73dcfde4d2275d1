import { execFile } from 'node:child_process';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { authenticator } from 'otplib';
import {
  ChangePasswordDocument,
  DisableTotpDocument,
  LoginDocument,
  MeDocument,
  RegisterDocument,
  SetupTotpDocument,
  VerifyTotpDocument,
} from '../generated/auth';
import { errorCode, expectData, GraphQLClient, type GraphQLResponse, TEST_DB, TEST_SECRETS, useServer, withServer } from '../kit';
import { createBootstrapAdminIfNone } from '../../src/services/seed.service';
import { TotpService } from '../../src/services/totp.service';

// Every request of this suite comes from 127.0.0.1, and setupTotp/disableTotp spend password
// attempts too: budgets above what one test spends (the limits have their own suite,
// test/security/rate-limits.test.ts).
const server = useServer({ env: { AUTH_RATE_LIMIT_PER_IP: '1000', AUTH_RATE_LIMIT_PER_ACCOUNT: '20' } });

const PASSWORD = 'correct horse battery';
let seq = 0;
const uniqueEmail = (tag: string) => `${tag}-${process.pid}-${(seq += 1)}@example.com`;

async function registerUser(tag = 'user', password = PASSWORD) {
  const email = uniqueEmail(tag);
  const data = expectData(await server.client.request(RegisterDocument, { input: { email, password, name: tag } }));
  return { email, password, token: data.register.token, id: data.register.user.id };
}

const postLogin = (url: string, email: string, password: string) => new GraphQLClient(url).request(LoginDocument, { input: { email, password } });

async function userRow(id: string): Promise<Record<string, unknown>> {
  const rows = await server.em().getConnection().execute<Record<string, unknown>[]>('SELECT * FROM users WHERE id = ?', [Number(id)]);
  return rows[0];
}

function expectFailure(res: GraphQLResponse<unknown>, code: string, field?: string): void {
  expect(res.errors).toHaveLength(1);
  expect(errorCode(res)).toBe(code);
  if (field !== undefined) expect(res.errors![0].extensions?.field).toBe(field);
}

// ---------------------------------------------------------------------------------------------
// TOTP time steps. The server accepts codes from the previous, current and next 30 s step, each
// at most once and never one older than the last accepted. To get several distinct valid codes
// without sleeping 30 s, a test uses the codes of neighbouring steps; `stableStep` first waits
// until enough of the current step remains for the test to finish inside it.
const STEP_MS = 30_000;
const codeAt = (secret: string, ms: number) => authenticator.clone({ epoch: ms, step: 30 }).generate(secret);

async function stableStep(secret: string, marginMs = 10_000) {
  const left = STEP_MS - (Date.now() % STEP_MS);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 200));
  const now = Date.now();
  const codes = { previous: codeAt(secret, now - STEP_MS), current: codeAt(secret, now), next: codeAt(secret, now + STEP_MS) };
  // A six-digit code that is valid for none of the three accepted steps.
  let wrong = '000000';
  for (let i = 0; Object.values(codes).includes(wrong); i += 1) wrong = String(123456 + i).padStart(6, '0');
  return { ...codes, wrong };
}

/** A user with TOTP enabled (verified with the code of the previous step). */
async function userWithTotp(tag: string) {
  const user = await registerUser(tag);
  const setup = expectData(await server.client.withToken(user.token).request(SetupTotpDocument, { password: PASSWORD })).setupTotp;
  const codes = await stableStep(setup.secret);
  expectData(await server.client.withToken(user.token).request(VerifyTotpDocument, { code: codes.previous }));
  return { ...user, secret: setup.secret, codes };
}

describe('register', () => {
  it('creates a CUSTOMER with a normalised email, an argon2id hash and a working token', async () => {
    const res = await server.client.request(RegisterDocument, {
      input: { email: '  Ana.Lee@Example.COM ', password: PASSWORD, name: '  Ana Lee ' },
    });
    const { register } = expectData(res);
    expect(register.user).toMatchObject({ email: 'ana.lee@example.com', name: 'Ana Lee', role: 'CUSTOMER', totpEnabled: false });
    const me = expectData(await server.client.withToken(register.token).request(MeDocument)).me;
    expect(me).toEqual(register.user);

    const row = await userRow(register.user.id);
    expect(String(row.password_hash)).toMatch(/^\$argon2id\$/);
    expect(String(row.password_hash)).not.toContain(PASSWORD);
  });

  it('refuses a second account for the same email, whatever its case', async () => {
    const { email } = await registerUser('dup');
    const res = await server.client.request(RegisterDocument, { input: { email: email.toUpperCase(), password: PASSWORD, name: 'Dup' } });
    expectFailure(res, 'BAD_USER_INPUT', 'email');
    expect(res.data).toBeNull();
  });

  it('lets exactly one of several concurrent registrations of one email succeed', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        server.client.request(RegisterDocument, { input: { email: i % 2 ? email.toUpperCase() : email, password: PASSWORD, name: `Racer ${i}` } }),
      ),
    );
    const ok = results.filter((r) => !r.errors);
    expect(ok).toHaveLength(1);
    for (const r of results.filter((x) => x.errors)) expectFailure(r, 'BAD_USER_INPUT', 'email');
    const [{ n }] = await server.em().getConnection().execute<{ n: number }[]>('SELECT COUNT(*) AS n FROM users WHERE email = ?', [email]);
    expect(Number(n)).toBe(1);
  });

  it.each([
    ['a malformed email', { email: 'not-an-email' }, 'email'],
    ['an email without a domain dot', { email: 'a@b' }, 'email'],
    ['an email with a space', { email: 'a b@example.com' }, 'email'],
    ['an empty email', { email: '   ' }, 'email'],
    ['an email over 254 characters', { email: `${'a'.repeat(250)}@example.com` }, 'email'],
    ['a 7-character password', { password: 'short12' }, 'password'],
    ['a 129-character password', { password: 'p'.repeat(129) }, 'password'],
    ['a blank name', { name: '   ' }, 'name'],
    ['a 101-character name', { name: 'n'.repeat(101) }, 'name'],
  ])('refuses %s with BAD_USER_INPUT naming the field', async (_label, override, field) => {
    const email = uniqueEmail('bad');
    const res = await server.client.request(RegisterDocument, { input: { email, password: PASSWORD, name: 'Bad', ...override } });
    expectFailure(res, 'BAD_USER_INPUT', field);
    const [{ n }] = await server.em().getConnection().execute<{ n: number }[]>('SELECT COUNT(*) AS n FROM users WHERE email = ?', [email]);
    expect(Number(n)).toBe(0);
  });

  it('accepts the boundary lengths: 8 and 128-character passwords, a 100-character name', async () => {
    for (const [password, name] of [
      ['12345678', 'x'],
      ['p'.repeat(128), 'n'.repeat(100)],
    ]) {
      const email = uniqueEmail('edge');
      expectData(await server.client.request(RegisterDocument, { input: { email, password, name } }));
      expectData(await server.client.request(LoginDocument, { input: { email, password } }));
    }
  });

  it('refuses an over-long password before hashing it (far faster than one argon2 hash)', async () => {
    // A hash costs tens of milliseconds; the refusal must not pay it. Medians damp scheduler noise.
    const time = async (password: string) => {
      const started = performance.now();
      const res = await server.client.request(RegisterDocument, { input: { email: uniqueEmail('timing'), password, name: 'T' } });
      return { ms: performance.now() - started, res };
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const hashed: number[] = [];
    const refused: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const ok = await time(PASSWORD);
      expectData(ok.res);
      hashed.push(ok.ms);
      const bad = await time('x'.repeat(100_000));
      expectFailure(bad.res, 'BAD_USER_INPUT', 'password');
      refused.push(bad.ms);
    }
    expect(median(refused)).toBeLessThan(median(hashed) / 2);
  });
});

describe('no privilege by sign-up', () => {
  const BOOTSTRAP = { email: 'boss@example.com', password: 'bootstrap admin password' };
  const boot = useServer({ env: { BOOTSTRAP_ADMIN_EMAIL: ' Boss@Example.com ', BOOTSTRAP_ADMIN_PASSWORD: BOOTSTRAP.password } });
  const adminRows = async (target = boot) =>
    (await target.em().getConnection().execute<{ email: string }[]>("SELECT email FROM users WHERE role = 'ADMIN' ORDER BY id")).map((r) => r.email);

  it('creates the bootstrap admin at first start from BOOTSTRAP_ADMIN_*; registering its address is refused', async () => {
    const admin = expectData(await boot.client.request(LoginDocument, { input: { email: BOOTSTRAP.email, password: BOOTSTRAP.password } }));
    expect(admin.login.user.role).toBe('ADMIN');
    expect(expectData(await boot.client.withToken(admin.login.token).request(MeDocument)).me?.role).toBe('ADMIN');
    expect(await adminRows()).toEqual([BOOTSTRAP.email]);
    const taken = await boot.client.request(RegisterDocument, { input: { email: 'BOSS@example.COM', password: PASSWORD, name: 'Boss' } });
    expectFailure(taken, 'BAD_USER_INPUT', 'email');
    const plain = expectData(await boot.client.request(RegisterDocument, { input: { email: 'boss2@example.com', password: PASSWORD, name: 'Not boss' } }));
    expect(plain.register.user.role).toBe('CUSTOMER');
  });

  it('creates exactly one admin when several starts race on a database without one, and none once one exists', async () => {
    const credentials = { email: 'first-admin@example.com', password: 'another admin password' };
    const results = await Promise.all([0, 1, 2, 3].map(() => createBootstrapAdminIfNone(server.app.orm, credentials)));
    expect(results.sort()).toEqual(['admin-exists', 'admin-exists', 'admin-exists', 'created']);
    expect(await adminRows(server)).toEqual([credentials.email]);
    // Another address later: an admin exists, so nothing is created.
    expect(await createBootstrapAdminIfNone(server.app.orm, { email: 'second-admin@example.com', password: 'yet another password' })).toBe('admin-exists');
    expect(await adminRows(server)).toEqual([credentials.email]);
    const login = expectData(await server.client.request(LoginDocument, { input: credentials }));
    expect(login.login.user.role).toBe('ADMIN');
  });

  it('never promotes an account someone registered with the bootstrap address first', async () => {
    await withServer({}, async (fresh) => {
        const stranger = expectData(await fresh.client.request(RegisterDocument, { input: { email: 'ops@example.com', password: PASSWORD, name: 'Stranger' } }));
      expect(stranger.register.user.role).toBe('CUSTOMER');
      expect(await createBootstrapAdminIfNone(fresh.app.orm, { email: 'ops@example.com', password: 'operator password' })).toBe('refused');
      expect(await adminRows(fresh)).toEqual([]);
      const again = expectData(await fresh.client.request(LoginDocument, { input: { email: 'ops@example.com', password: PASSWORD } }));
      expect(again.login.user.role).toBe('CUSTOMER');
      expectFailure(await fresh.client.request(LoginDocument, { input: { email: 'ops@example.com', password: 'operator password' } }), 'INVALID_CREDENTIALS');
    });
  });

  (TEST_DB === 'mysql' ? it : it.skip)('two server processes starting together on an empty database make one admin, and never log its password', async () => {
    await withServer({}, async (fresh) => {
      const env = { BOOTSTRAP_ADMIN_EMAIL: 'proc-admin@example.com', BOOTSTRAP_ADMIN_PASSWORD: 'process admin password' };
      const procs = await Promise.all([fresh.spawn({ env, logLevel: 'debug' }), fresh.spawn({ env, logLevel: 'debug' })]);
      expect(await adminRows(fresh)).toEqual(['proc-admin@example.com']);
      const login = await postLogin(procs[1].url, 'proc-admin@example.com', 'process admin password');
      expect(login.data?.login.user.role).toBe('ADMIN');
      for (const proc of procs) expect(proc.output()).not.toContain('process admin password');
      expect(procs.map((p) => p.output()).join('').match(/created the bootstrap admin/g)).toHaveLength(1);
    });
  });
});

describe('login', () => {
  it('signs in with the email in any case and surrounding spaces', async () => {
    const user = await registerUser('login');
    const res = expectData(await server.client.request(LoginDocument, { input: { email: `  ${user.email.toUpperCase()} `, password: PASSWORD } }));
    expect(res.login.user.id).toBe(user.id);
    expect(expectData(await server.client.withToken(res.login.token).request(MeDocument)).me?.id).toBe(user.id);
  });

  it('answers a wrong password and an unknown email with the same code and message', async () => {
    const user = await registerUser('creds');
    const wrong = await server.client.request(LoginDocument, { input: { email: user.email, password: 'wrong password!' } });
    const unknown = await server.client.request(LoginDocument, { input: { email: uniqueEmail('nobody'), password: PASSWORD } });
    const blank = await server.client.request(LoginDocument, { input: { email: '', password: '' } });
    for (const res of [wrong, unknown, blank]) {
      expectFailure(res, 'INVALID_CREDENTIALS');
      expect(res.data).toBeNull();
    }
    expect(unknown.errors![0].message).toBe(wrong.errors![0].message);
    expect(blank.errors![0].message).toBe(wrong.errors![0].message);
  });

  it('refuses a password over 128 characters with BAD_USER_INPUT', async () => {
    const user = await registerUser('longlogin');
    expectFailure(await server.client.request(LoginDocument, { input: { email: user.email, password: 'p'.repeat(129) } }), 'BAD_USER_INPUT', 'password');
  });
});

describe('me and bearer tokens', () => {
  const sign = (claims: object, options: jwt.SignOptions = {}, secret: string = TEST_SECRETS.JWT_SECRET) =>
    jwt.sign({ role: 'CUSTOMER', tv: 0, ...claims }, secret, {
      algorithm: 'HS256',
      issuer: 'flashsale-inventory',
      audience: 'flashsale-storefront',
      ...('exp' in claims ? {} : { expiresIn: 600 }),
      ...options,
    });
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  let user: { id: string; token: string };

  beforeAll(async () => {
    user = await registerUser('me');
  });

  it('is null for an anonymous request, without errors', async () => {
    const res = await server.client.request(MeDocument);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ me: null });
  });

  it('accepts a token signed like ours (the forged-token cases below differ in one thing each)', async () => {
    const res = await server.client.withToken(sign({}, { subject: user.id })).request(MeDocument);
    expect(expectData(res).me?.id).toBe(user.id);
  });

  const cases: [string, () => string][] = [
    ['an expired token', () => sign({ sub: user.id, exp: Math.floor(Date.now() / 1000) - 60 })],
    ['a token signed with another secret', () => sign({}, { subject: user.id }, 'another-secret-0123456789abcdef0123456789')],
    ['an unsigned alg=none token', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(jwt.decode(sign({}, { subject: user.id })) as object)}.`],
    ['an HS512 token with the right secret', () => sign({}, { subject: user.id, algorithm: 'HS512' })],
    ['a token for another audience', () => sign({}, { subject: user.id, audience: 'someone-else' })],
    ['a token from another issuer', () => sign({}, { subject: user.id, issuer: 'someone-else' })],
    ['a token without the version claim', () => jwt.sign({ role: 'CUSTOMER' }, TEST_SECRETS.JWT_SECRET, { subject: user.id, issuer: 'flashsale-inventory', audience: 'flashsale-storefront' })],
    ['a token with a stale version', () => sign({ tv: 7 }, { subject: user.id })],
    ['a token of an unknown user', () => sign({}, { subject: '987654321' })],
    ['a token with a non-numeric subject', () => sign({}, { subject: 'admin' })],
    ['garbage', () => 'not.a.jwt'],
  ];
  it.each(cases)('refuses %s with UNAUTHENTICATED', async (_label, token) => {
    const res = await server.client.withToken(token()).request(MeDocument);
    expectFailure(res, 'UNAUTHENTICATED');
    expect(res.data).toEqual({ me: null });
  });

  it('refuses a token it accepted before, once the token has expired (a verified token is remembered only until its exp)', async () => {
    const token = sign({ sub: user.id, exp: Math.floor(Date.now() / 1000) + 60 });
    expect(expectData(await server.client.withToken(token).request(MeDocument)).me?.id).toBe(user.id);
    const later = Date.now() + 120_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => later);
    try {
      expectFailure(await server.client.withToken(token).request(MeDocument), 'UNAUTHENTICATED');
    } finally {
      clock.mockRestore();
    }
  });

  it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer a b'], ['token-without-scheme']])(
    'refuses the malformed Authorization header "%s" with UNAUTHENTICATED',
    async (header) => {
      const res = await server.client.raw({ query: '{ me { id } }' }, { authorization: header });
      expectFailure(res, 'UNAUTHENTICATED');
    },
  );

  it('checks each of many concurrent tokens on its own (the checks share statements): current ones pass, stale and unknown ones do not', async () => {
    const tokens = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? sign({}, { subject: user.id }) : i % 3 === 1 ? sign({ tv: 9 }, { subject: user.id }) : sign({}, { subject: String(900000 + i) })));
    const answers = await Promise.all(tokens.map((token) => server.client.withToken(token).request(MeDocument)));
    answers.forEach((res, i) => {
      if (i % 3 === 0) expect(expectData(res).me?.id).toBe(user.id);
      else expectFailure(res, 'UNAUTHENTICATED');
    });
  });

  it('refuses the token of a deleted user', async () => {
    const doomed = await registerUser('deleted');
    expectData(await server.client.withToken(doomed.token).request(MeDocument));
    await server.em().getConnection().execute('DELETE FROM users WHERE id = ?', [Number(doomed.id)]);
    expectFailure(await server.client.withToken(doomed.token).request(MeDocument), 'UNAUTHENTICATED');
  });
});

describe('two-factor authentication (TOTP)', () => {
  it('needs a signed-in user', async () => {
    expectFailure(await server.client.request(SetupTotpDocument, {}), 'UNAUTHENTICATED');
    expectFailure(await server.client.request(VerifyTotpDocument, { code: '123456' }), 'UNAUTHENTICATED');
    expectFailure(await server.client.request(DisableTotpDocument, { code: '123456' }), 'UNAUTHENTICATED');
  });

  it('setupTotp returns a secret and an otpauth URI, stays pending, and stores the secret encrypted', async () => {
    const user = await registerUser('setup');
    const setup = expectData(await server.client.withToken(user.token).request(SetupTotpDocument, { password: PASSWORD })).setupTotp;
    expect(setup.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(setup.otpauthUri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(uri.searchParams.get('secret')).toBe(setup.secret);
    expect(uri.searchParams.get('issuer')).toBe('Flashsale Inventory');
    expect(decodeURIComponent(uri.pathname)).toContain(user.email);

    // Pending: not enabled, and the password alone still signs in.
    expect(expectData(await server.client.withToken(user.token).request(MeDocument)).me?.totpEnabled).toBe(false);
    expectData(await server.client.request(LoginDocument, { input: { email: user.email, password: PASSWORD } }));

    const row = await userRow(user.id);
    expect(row.totp_secret_enc).toBeNull();
    expect(typeof row.totp_pending_enc).toBe('string');
    expect(row.totp_pending_enc).not.toContain(setup.secret);
    expect(new TotpService(TEST_SECRETS.TOTP_ENCRYPTION_KEY).decrypt(String(row.totp_pending_enc))).toBe(setup.secret);
  });

  it('verifyTotp refuses a wrong code, then enables 2FA with a code of the previous step (±1 window)', async () => {
    const user = await registerUser('verify');
    const api = server.client.withToken(user.token);
    const { secret } = expectData(await api.request(SetupTotpDocument, { password: PASSWORD })).setupTotp;
    const codes = await stableStep(secret);
    expectFailure(await api.request(VerifyTotpDocument, { code: codes.wrong }), 'TOTP_INVALID');
    expectFailure(await api.request(VerifyTotpDocument, { code: 'abcdef' }), 'TOTP_INVALID');
    expectFailure(await api.request(VerifyTotpDocument, { code: codeAt(secret, Date.now() - 3 * STEP_MS) }), 'TOTP_INVALID');
    expect(expectData(await api.request(MeDocument)).me?.totpEnabled).toBe(false);

    const verified = expectData(await api.request(VerifyTotpDocument, { code: codes.previous })).verifyTotp;
    expect(verified).toMatchObject({ id: user.id, totpEnabled: true });

    const row = await userRow(user.id);
    expect(row.totp_pending_enc).toBeNull();
    expect(typeof row.totp_secret_enc).toBe('string');
    expect(row.totp_secret_enc).not.toContain(secret);
    expect(row.totp_secret_enc).not.toContain(Buffer.from(secret).toString('base64'));

    // Enabling revoked every earlier token, the caller's too: sign in again, with a code now.
    expectFailure(await api.request(MeDocument), 'UNAUTHENTICATED');
    const again = expectData(await server.client.request(LoginDocument, { input: { email: user.email, password: PASSWORD, totp: codes.current } })).login.token;
    const fresh = server.client.withToken(again);
    expectFailure(await fresh.request(SetupTotpDocument, { password: PASSWORD }), 'BAD_USER_INPUT');
    expectFailure(await fresh.request(VerifyTotpDocument, { code: codes.next }), 'BAD_USER_INPUT', 'code');
  });

  it('a second setupTotp replaces the pending secret: codes of the first no longer verify', async () => {
    const user = await registerUser('resetup');
    const api = server.client.withToken(user.token);
    const first = expectData(await api.request(SetupTotpDocument, { password: PASSWORD })).setupTotp.secret;
    const second = expectData(await api.request(SetupTotpDocument, { password: PASSWORD })).setupTotp.secret;
    expect(second).not.toBe(first);
    await stableStep(first);
    const firstCode = codeAt(first, Date.now());
    if (firstCode !== codeAt(second, Date.now())) expectFailure(await api.request(VerifyTotpDocument, { code: firstCode }), 'TOTP_INVALID');
    expectData(await api.request(VerifyTotpDocument, { code: codeAt(second, Date.now()) }));
  });

  it('login then needs the code: none → TOTP_REQUIRED, wrong → TOTP_INVALID, right → token, replay → TOTP_INVALID', async () => {
    const user = await userWithTotp('login2fa');
    const { codes } = user;
    const login = (totp?: string | null, password = PASSWORD) =>
      server.client.request(LoginDocument, { input: { email: user.email, password, ...(totp === undefined ? {} : { totp }) } });

    expectFailure(await login(), 'TOTP_REQUIRED');
    expectFailure(await login(null), 'TOTP_REQUIRED');
    expectFailure(await login(''), 'TOTP_REQUIRED');
    expectFailure(await login(codes.wrong), 'TOTP_INVALID');
    // The code used for verifyTotp is spent.
    expectFailure(await login(codes.previous), 'TOTP_INVALID');
    // A wrong password is reported as such and does not spend the code.
    expectFailure(await login(codes.current, 'wrong password!'), 'INVALID_CREDENTIALS');

    const ok = expectData(await login(codes.current));
    expect(expectData(await server.client.withToken(ok.login.token).request(MeDocument)).me?.id).toBe(user.id);
    expectFailure(await login(codes.current), 'TOTP_INVALID');
    // The next step's code (clock drift) is accepted once.
    expectData(await login(codes.next));
    expectFailure(await login(codes.next), 'TOTP_INVALID');
  });

  it('accepts an unused code of the previous step at login, once, and nothing older than the last accepted', async () => {
    const user = await userWithTotp('prevstep');
    const { codes } = user;
    // Enabling spent the previous step's code. Make the account look like its last code was used
    // minutes ago (what it would be after a while) instead of sleeping through whole 30 s steps.
    const step = Math.floor(Date.now() / STEP_MS);
    await server.em().getConnection().execute('UPDATE users SET totp_last_step = ? WHERE id = ?', [step - 5, Number(user.id)]);

    const login = (totp: string) => server.client.request(LoginDocument, { input: { email: user.email, password: PASSWORD, totp } });
    expect(expectData(await login(codes.previous)).login.user.id).toBe(user.id);
    expectFailure(await login(codes.previous), 'TOTP_INVALID');
    expectData(await login(codes.next));
    // `current` was never used, but it is older than the last accepted code: refused.
    expectFailure(await login(codes.current), 'TOTP_INVALID');
  });

  it('lets exactly one of three concurrent logins with the same code succeed', async () => {
    const user = await userWithTotp('replayrace');
    const results = await Promise.all(
      [0, 1, 2].map(() => server.client.request(LoginDocument, { input: { email: user.email, password: PASSWORD, totp: user.codes.current } })),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    for (const r of results.filter((x) => x.errors)) expectFailure(r, 'TOTP_INVALID');
  });

  it('disableTotp needs a fresh valid code, turns 2FA off and revokes earlier tokens', async () => {
    const user = await userWithTotp('disable');
    const { codes } = user;
    const token = expectData(await server.client.request(LoginDocument, { input: { email: user.email, password: PASSWORD, totp: codes.current } })).login
      .token;
    const api = server.client.withToken(token);
    expectFailure(await api.request(DisableTotpDocument, { code: codes.wrong, password: PASSWORD }), 'TOTP_INVALID');
    expectFailure(await api.request(DisableTotpDocument, { code: codes.current, password: PASSWORD }), 'TOTP_INVALID'); // replay
    expect(expectData(await api.request(MeDocument)).me?.totpEnabled).toBe(true);

    const disabled = expectData(await api.request(DisableTotpDocument, { code: codes.next, password: PASSWORD })).disableTotp;
    expect(disabled).toMatchObject({ id: user.id, totpEnabled: false });
    expectFailure(await api.request(MeDocument), 'UNAUTHENTICATED');
    expectFailure(await server.client.withToken(user.token).request(MeDocument), 'UNAUTHENTICATED');

    const row = await userRow(user.id);
    expect(row.totp_secret_enc).toBeNull();
    const again = expectData(await server.client.request(LoginDocument, { input: { email: user.email, password: PASSWORD } }));
    expect(again.login.user.totpEnabled).toBe(false);
    expectFailure(await server.client.withToken(again.login.token).request(DisableTotpDocument, { code: codes.next, password: PASSWORD }), 'BAD_USER_INPUT', 'code');
  });

  it('a stolen token alone (no password, or a wrong one) cannot enrol 2FA: INVALID_CREDENTIALS, nothing stored', async () => {
    const user = await registerUser('stolen-setup');
    const thief = server.client.withToken(user.token);
    expectFailure(await thief.request(SetupTotpDocument, {}), 'INVALID_CREDENTIALS');
    expectFailure(await thief.request(SetupTotpDocument, { password: null }), 'INVALID_CREDENTIALS');
    expectFailure(await thief.request(SetupTotpDocument, { password: 'wrong password!' }), 'INVALID_CREDENTIALS');
    expectFailure(await thief.request(SetupTotpDocument, { password: 'p'.repeat(10_000) }), 'INVALID_CREDENTIALS');
    const row = await userRow(user.id);
    expect([row.totp_pending_enc, row.totp_secret_enc, Number(row.totp_enabled)]).toEqual([null, null, 0]);
    expect(expectData(await thief.request(MeDocument)).me?.totpEnabled).toBe(false);
  });

  it('a stolen token with a valid code but no password cannot disable 2FA: INVALID_CREDENTIALS, the code is not spent', async () => {
    const user = await userWithTotp('stolen-disable');
    const { codes } = user;
    const token = expectData(await server.client.request(LoginDocument, { input: { email: user.email, password: PASSWORD, totp: codes.current } })).login.token;
    const thief = server.client.withToken(token);
    expectFailure(await thief.request(DisableTotpDocument, { code: codes.next }), 'INVALID_CREDENTIALS');
    expectFailure(await thief.request(DisableTotpDocument, { code: codes.next, password: 'wrong password!' }), 'INVALID_CREDENTIALS');
    expect(expectData(await thief.request(MeDocument)).me?.totpEnabled).toBe(true);
    expect(Number((await userRow(user.id)).totp_enabled)).toBe(1);
    // The owner, with the password, still can (the code was not spent by the refusals).
    expect(expectData(await thief.request(DisableTotpDocument, { code: codes.next, password: PASSWORD })).disableTotp.totpEnabled).toBe(false);
  });

  it('verifyTotp revokes every earlier token, the caller\'s included: they are UNAUTHENTICATED, a new sign-in works', async () => {
    const user = await registerUser('verify-revokes');
    const other = expectData(await server.client.request(LoginDocument, { input: { email: user.email, password: PASSWORD } })).login.token;
    const api = server.client.withToken(user.token);
    const { secret } = expectData(await api.request(SetupTotpDocument, { password: PASSWORD })).setupTotp;
    const codes = await stableStep(secret);
    expect(expectData(await api.request(VerifyTotpDocument, { code: codes.previous })).verifyTotp.totpEnabled).toBe(true);
    expectFailure(await api.request(MeDocument), 'UNAUTHENTICATED');
    expectFailure(await server.client.withToken(other).request(MeDocument), 'UNAUTHENTICATED');
    const again = expectData(await server.client.request(LoginDocument, { input: { email: user.email, password: PASSWORD, totp: codes.current } })).login;
    expect(expectData(await server.client.withToken(again.token).request(MeDocument)).me).toMatchObject({ id: user.id, totpEnabled: true });
  });
});

describe('changePassword', () => {
  it('checks the current password and the new one, then revokes every earlier token', async () => {
    const user = await registerUser('chpw');
    const second = expectData(await server.client.request(LoginDocument, { input: { email: user.email, password: PASSWORD } })).login.token;
    const api = server.client.withToken(user.token);

    expectFailure(await api.request(ChangePasswordDocument, { input: { currentPassword: 'wrong password!', newPassword: 'brand new secret' } }), 'INVALID_CREDENTIALS');
    expectFailure(await api.request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword: 'short' } }), 'BAD_USER_INPUT', 'newPassword');
    expectFailure(await server.client.request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword: 'brand new secret' } }), 'UNAUTHENTICATED');
    // Nothing changed yet.
    expectData(await server.client.withToken(second).request(MeDocument));

    const changed = expectData(await api.request(ChangePasswordDocument, { input: { currentPassword: PASSWORD, newPassword: 'brand new secret' } }));
    expect(changed.changePassword.user.id).toBe(user.id);
    expectFailure(await api.request(MeDocument), 'UNAUTHENTICATED');
    expectFailure(await server.client.withToken(second).request(MeDocument), 'UNAUTHENTICATED');
    expect(expectData(await server.client.withToken(changed.changePassword.token).request(MeDocument)).me?.id).toBe(user.id);
    expectFailure(await server.client.request(LoginDocument, { input: { email: user.email, password: PASSWORD } }), 'INVALID_CREDENTIALS');
    expectData(await server.client.request(LoginDocument, { input: { email: user.email, password: 'brand new secret' } }));
  });
});

describe('command-line tools (built dist/)', () => {
  const root = path.join(__dirname, '..', '..');
  const run = (script: string, args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(root, 'dist', 'src', 'cli', script), ...args],
        { cwd: root, env: { PATH: process.env.PATH ?? '', ...env, LOG_LEVEL: 'warn' }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      );
    });

  it('make-admin promotes an existing user to ADMIN and revokes their tokens', async () => {
    const user = await registerUser('promote');
    const res = await run('make-admin.js', [`  ${user.email.toUpperCase()} `], server.env);
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toContain(user.email);
    expect(res.stdout).toContain('ADMIN');
    expectFailure(await server.client.withToken(user.token).request(MeDocument), 'UNAUTHENTICATED');
    const login = expectData(await server.client.request(LoginDocument, { input: { email: user.email, password: PASSWORD } }));
    expect(login.login.user.role).toBe('ADMIN');
    expect(expectData(await server.client.withToken(login.login.token).request(MeDocument)).me?.role).toBe('ADMIN');
  });

  it('make-admin fails with exit code 1 and a clear message for an unknown email or no email', async () => {
    const unknown = await run('make-admin.js', ['nobody-here@example.com'], server.env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No user with email nobody-here@example.com');
    const none = await run('make-admin.js', [], server.env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/usage: npm run make-admin -- <email>/i);
  });

  it('seed fills an empty database once (the demo accounts then sign in) and says so', async () => {
    await withServer({}, async (fresh) => {
      const first = await run('seed.js', [], fresh.env);
      expect(first).toMatchObject({ code: 0 });
      expect(first.stdout).toMatch(/^seeded demo data/m);
      const again = await run('seed.js', [], fresh.env);
      expect(again).toMatchObject({ code: 0 });
      expect(again.stdout).toMatch(/not empty.*nothing seeded/);
      const admin = expectData(await fresh.client.request(LoginDocument, { input: { email: 'admin@example.com', password: 'admin-password-1' } }));
      expect(admin.login.user.role).toBe('ADMIN');
      const buyer = expectData(await fresh.client.request(LoginDocument, { input: { email: 'buyer@example.com', password: 'buyer-password-1' } }));
      expect(buyer.login.user.role).toBe('CUSTOMER');
    });
  });
});
