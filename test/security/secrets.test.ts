import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { safeError, stripLiterals } from '../../src/common/safe-error';
import { User } from '../../src/entities';
import { TotpService } from '../../src/services/totp.service';
import { RegisterDocument } from '../generated/auth';
import { expectData, GraphQLClient, TEST_SECRETS, useServer, withServer } from '../kit';

describe('logs never carry a password, hash, token or TOTP secret', () => {
  it('ORM_DEBUG=true logs the statements of a register, a login and authenticated calls, never their values (no password, hash, email, token or code)', async () => {
    // ORM_DEBUG=true: the word, not only "1" (it used to be ignored).
    await withServer({ env: { ORM_DEBUG: 'true' } }, async (server) => {
      const proc = await server.spawn({ logLevel: 'debug' });
      const user = { email: 'debug.secret@example.com', password: 'debug-password-Wv3$', name: 'Debugged' };
      const api = new GraphQLClient(proc.url);
      const { token } = expectData(await api.request(RegisterDocument, { input: user })).register;
      expectData(await api.raw({ query: 'mutation($i: LoginInput!) { login(input: $i) { token } }', variables: { i: { email: user.email, password: user.password } } }));
      // The token in a header, and a TOTP code that fails.
      expectData(await api.withToken(token).raw({ query: '{ me { id } }' }));
      await api.withToken(token).raw({ query: 'mutation { verifyTotp(code: "918273") { id } }' });
      const hash = String((await server.em().execute<{ password_hash: string }[]>('SELECT password_hash FROM users WHERE email = ?', [user.email]))[0].password_hash);
      await new Promise((r) => setTimeout(r, 200));
      const log = proc.output();
      // The statements are there (the test would prove nothing otherwise) ...
      expect(log).toMatch(/insert into `users`/i);
      expect(log).toMatch(/from `users`/i);
      // ... and nothing they carried.
      for (const secret of [user.password, hash, hash.slice(0, 30), '$argon2', 'argon2id', user.email, user.name, token, token.split('.')[2], '918273']) {
        expect(log).not.toContain(secret);
      }
    });
  });

  it.each([['json'], ['pretty']])('LOG_FORMAT=%s: the logger redacts secret keys at any depth and credentials inside strings (URL passwords, bearer tokens, JWTs)', (format) => {
    const logger = path.join(__dirname, '..', '..', 'dist', 'src', 'config', 'logger.js');
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';
    const script = `require(${JSON.stringify(logger)}).logger.warn('connecting to mysql://shop:db-pass-Q7@db.internal:3306/shop', {
      url: 'mariadb://root:url-pass-K2@127.0.0.1/x',
      request: { headers: { Authorization: 'Bearer header-token-Z9' }, variables: { input: { password: 'input-pass-M4', code: '552211' } } },
      detail: 'sent "Bearer ${jwt}" and ${jwt}',
      totp: '998877',
    })`;
    const run = spawnSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', LOG_FORMAT: format }, encoding: 'utf8' });
    const log = run.stdout + run.stderr;
    // What was logged is there (the test would prove nothing otherwise) ...
    expect(log).toContain('connecting to mysql://shop:[redacted]@db.internal:3306/shop');
    expect(log).toContain('mariadb://root:[redacted]@127.0.0.1/x');
    if (format === 'json') expect(JSON.parse(run.stderr.trim())).toMatchObject({ level: 'warn', msg: expect.stringMatching(/^connecting/), pid: expect.any(Number) });
    else expect(run.stderr).toMatch(/WARN.*connecting to/);
    // ... and no secret it carried.
    for (const secret of ['db-pass-Q7', 'url-pass-K2', 'header-token-Z9', 'input-pass-M4', '552211', '998877', jwt, jwt.split('.')[2]]) expect(log).not.toContain(secret);
  });

  it('an unexpected database error during register, login and authentication is logged sanitized', async () => {
    await withServer({}, async (server) => {
      // A server process at LOG_LEVEL=error whose whole output is kept.
      const proc = await server.spawn({ logLevel: 'error' });
      const victim = { email: 'victim.secret@example.com', password: 'victim-password-Zq7!', name: 'Victim' };
      const registered = expectData(await new GraphQLClient(proc.url).request(RegisterDocument, { input: victim }));
      const token = registered.register.token;
      const hash = String(
        (await server.em().execute<{ password_hash: string }[]>('SELECT password_hash FROM users WHERE email = ?', [victim.email]))[0].password_hash,
      );
      expect(hash).toMatch(/^\$argon2id\$/);

      // Real driver failures, not mocks. First the users table loses a column under the running
      // process, so the INSERT of the next registration fails inside the driver (its SQL carries the
      // new password's hash); then the table itself goes, so the login's SELECT (with the email) and
      // the token check fail too.
      const db = server.em();
      const api = new GraphQLClient(proc.url);
      const fresh = { email: 'fresh.secret@example.com', password: 'fresh-password-Kx9#', name: 'Fresh' };
      await db.execute('ALTER TABLE users RENAME COLUMN name TO name_gone');
      // What an unsanitized log would have shown: the driver's message carries the values.
      const raw = await db
        .fork()
        .insert(User, { email: 'raw.marker@example.com', name: 'R', passwordHash: '$argon2id$raw-marker' })
        .then(() => new Error('the insert should have failed'), (e: Error) => e);
      expect(raw.message).toContain('raw-marker');
      expect(JSON.stringify(safeError(raw))).not.toMatch(/raw-marker|raw\.marker/);
      const failures = [await api.raw({ query: 'mutation($i: RegisterInput!) { register(input: $i) { token } }', variables: { i: fresh } })];
      await db.execute('ALTER TABLE users RENAME COLUMN name_gone TO name');
      await db.execute('ALTER TABLE users RENAME TO users_gone');
      failures.push(
        await api.raw({ query: 'mutation($i: LoginInput!) { login(input: $i) { token } }', variables: { i: { email: victim.email, password: victim.password } } }),
        await api.withToken(token).raw({ query: '{ me { id } }' }),
      );
      await db.execute('ALTER TABLE users_gone RENAME TO users');
      for (const res of failures) {
        expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
        expect(res.errors![0].message).toBe('Internal server error');
      }
      await new Promise((r) => setTimeout(r, 200));

      const log = proc.output();
      const lines = log
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: string; msg: string; error?: { name: string; message: string; code?: unknown } });
      const unexpected = lines.filter((l) => l.msg === 'unexpected error');
      expect(unexpected.length).toBe(3);
      // The log still says what failed: the error class and the SQL, with its values taken out.
      const insert = unexpected.find((l) => /insert into/i.test(l.error?.message ?? ''));
      expect(insert?.error?.name).toMatch(/Exception$/);
      expect(insert?.error?.message).toMatch(/values \(\?, \?/i);
      expect(insert?.error?.code).toEqual(expect.stringMatching(/^(ER_BAD_FIELD_ERROR|SQLITE_ERROR)$/));

      for (const secret of [victim.password, fresh.password, hash, hash.slice(0, 30), '$argon2', 'argon2id', token, token.split('.')[2], victim.email, fresh.email]) {
        expect(log).not.toContain(secret);
      }
    });
  });

  it('the sanitizer keeps the SQL shape and the driver codes, and drops every literal', () => {
    const sql =
      "insert into `users` (`email`, `name`, `password_hash`) values ('ana@example.com', 'Ana', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g') - Unknown column 'name' in 'field list'";
    expect(stripLiterals(sql)).toBe('insert into `users` (`email`, `name`, `password_hash`) values (?, ?, ?) - Unknown column ? in ?');
    expect(stripLiterals("Table 'shop.users' doesn't exist")).toBe("Table ? doesn't exist");
    const error = Object.assign(new Error(sql), { code: 'ER_BAD_FIELD_ERROR', errno: 1054, sqlState: '42S22', cause: new Error("Duplicate entry 'ana@example.com' for key 'users_email_unique'") });
    const safe = safeError(error);
    expect(safe).toMatchObject({ name: 'Error', code: 'ER_BAD_FIELD_ERROR', errno: 1054, sqlState: '42S22', cause: { message: 'Duplicate entry ? for key ?' } });
    expect(JSON.stringify(safe)).not.toMatch(/ana@|argon2|c2FsdHNhbHQ/);
    // An unterminated quote (a message cut short) hides the rest; long opaque runs (tokens) go too.
    expect(stripLiterals("values ('secret-pass")).toBe('values (?');
    expect(stripLiterals(`bad token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijklmnopqrstuvwxyz012345`)).toBe('bad token ?');
  });
});

describe('TOTP secrets at rest', () => {
  const server = useServer();

  it('are stored only as AES-GCM ciphertext under TOTP_ENCRYPTION_KEY, readable with no other key', async () => {
    const reg = expectData(await server.client.request(RegisterDocument, { input: { email: 'totp.rest@example.com', password: 'totp rest password', name: 'T' } }));
    const api = server.client.withToken(reg.register.token);
    const secret = (expectData(await api.raw({ query: 'mutation { setupTotp(password: "totp rest password") { secret } }' })) as { setupTotp: { secret: string } }).setupTotp.secret;
    const code = new TotpService(TEST_SECRETS.TOTP_ENCRYPTION_KEY).codeAt(secret);
    expectData(await api.raw({ query: `mutation { verifyTotp(code: "${code}") { id } }` }));

    const [row] = await server.em().execute<Record<string, unknown>[]>('SELECT * FROM users WHERE email = ?', ['totp.rest@example.com']);
    const dump = JSON.stringify(row);
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(Buffer.from(secret).toString('base64'));
    expect(String(row.totp_secret_enc)).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(new TotpService(TEST_SECRETS.TOTP_ENCRYPTION_KEY).decrypt(String(row.totp_secret_enc))).toBe(secret);
    expect(() => new TotpService('another-key-0123456789abcdef0123456789abcdef').decrypt(String(row.totp_secret_enc))).toThrow();
  });
});

describe('HTTP hardening', () => {
  it('sends the security headers on every kind of answer, refusals included', async () => {
    await withServer({ env: { MAX_BODY_BYTES: '2048' } }, async (server) => {
      const answers = [
        await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) }),
        await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ nope }' }) }),
        await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(4096) }),
        await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }),
        await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } }),
        await fetch(`${server.url}/readyz`),
      ];
      expect(answers.map((r) => r.status)).toEqual([200, 400, 413, 400, 200, 200]);
      for (const res of answers) {
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
        expect(res.headers.get('access-control-allow-origin')).toBeNull();
      }
    });
  });

  it('CORS: no Access-Control-Allow-Origin at all unless CORS_ORIGINS lists the origin', async () => {
    await withServer({}, async (closed) => {
      expect(closed.app.config.corsOrigins).toEqual([]);
      for (const origin of ['https://shop.example.com', 'null', 'http://localhost:3000']) {
        const preflight = await fetch(`${closed.url}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
        expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
        expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
        const post = await fetch(`${closed.url}/graphql`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) });
        expect(post.headers.get('access-control-allow-origin')).toBeNull();
      }
    });
    await withServer({ env: { CORS_ORIGINS: 'https://shop.example.com' } }, async (open) => {
      const ok = await fetch(`${open.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://shop.example.com' } });
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
      expect(ok.headers.get('vary')).toBe('Origin');
      expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
      const other = await fetch(`${open.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://shop.example.com.evil.test' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
