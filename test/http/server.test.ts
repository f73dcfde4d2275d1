import http from 'node:http';
import { LoginDocument, MeDocument, RegisterDocument } from '../generated/auth';
import { countRows, errorCode, expectData, type TestServer, useServer, withServer } from '../kit';

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Prometheus text → its values ('name{labels}' → number) and its declared types, checking each line's syntax. */
function parsePrometheus(text: string): { values: Map<string, number>; types: Map<string, string> } {
  const values = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.trimEnd().split('\n')) {
    if (line === '') continue; // between metrics
    if (line.startsWith('#')) {
      const declared = /^# (HELP [a-z_:][a-z0-9_:]* .+|TYPE ([a-z_:][a-z0-9_:]*) (counter|gauge|histogram|summary))$/.exec(line);
      expect([line, declared !== null]).toEqual([line, true]);
      if (declared![2]) types.set(declared![2], declared![3]);
      continue;
    }
    const match = /^([a-z_:][a-z0-9_:]*(?:\{[a-z_]+="[^"]*"(?:,[a-z_]+="[^"]*")*\})?) (-?\d+(?:\.\d+)?(?:e[-+]?\d+)?|NaN|[-+]Inf)$/.exec(line);
    expect([line, match !== null]).toEqual([line, true]);
    values.set(match![1], Number(match![2]));
  }
  return { values, types };
}

const post = (server: TestServer, body: string, headers: Record<string, string> = JSON_HEADERS) =>
  fetch(`${server.url}/graphql`, { method: 'POST', headers, body });

/** Sends a body as a chunked stream (no content-length), as a client uploading a large file does. */
function postChunked(url: string, head: string, filler: number, tail: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/graphql`, { method: 'POST', headers: JSON_HEADERS }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.write(head);
    const chunk = 'a'.repeat(64 * 1024);
    let sent = 0;
    const pump = () => {
      while (sent < filler) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end(tail);
    };
    pump();
  });
}

describe('HTTP server', () => {
  const server = useServer({ env: { MAX_BODY_BYTES: '65536', CORS_ORIGINS: 'https://shop.example.com' } });

  describe('probes and metrics', () => {
    it('GET /healthz answers 200 ok', async () => {
      const res = await fetch(`${server.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    });

    it('GET /readyz answers 200 while the database answers', async () => {
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ready' });
    });

    it('GET /metrics is Prometheus text: the request counters, default process metrics and a latency histogram by operation and outcome', async () => {
      const scrape = async () => {
        const res = await fetch(`${server.url}/metrics`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
        return parsePrometheus(await res.text());
      };
      const before = await scrape();
      for (const name of ['http_requests_total', 'graphql_requests_total', 'http_requests_in_flight', 'unit_of_work_total', 'unit_of_work_retries_total', 'buy_now_batches_total', 'buy_now_batch_largest', 'unit_groups_total', 'unit_group_members_total', 'unit_group_fallbacks_total', 'unit_group_largest', 'process_resident_memory_bytes', 'process_uptime_seconds']) {
        expect([name, before.values.has(name)]).toEqual([name, true]);
      }
      // prom-client's default metrics: event-loop lag, GC, heap, handles.
      for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_active_handles_total']) {
        expect([name, before.types.get(name)]).toEqual([name, expect.stringMatching(/^(gauge|histogram)$/)]);
      }
      expect(before.types.get('graphql_request_duration_seconds')).toBe('histogram');

      for (let i = 0; i < 3; i += 1) expectData(await server.client.request(MeDocument));
      await post(server, JSON.stringify({ query: '{ me { id } }' }));
      await post(server, JSON.stringify({ query: 'query Cart { cart { id } }' }));
      await post(server, JSON.stringify({ query: 'query Broken { nope }' }));
      const after = await scrape();
      const delta = (key: string) => (after.values.get(key) ?? 0) - (before.values.get(key) ?? 0);
      expect(delta('graphql_requests_total')).toBe(6);
      expect(delta('http_requests_total')).toBe(7); // 6 + the scrape itself
      expect(after.values.get('http_requests_in_flight')).toBe(1); // the scrape
      const count = (labels: string) => delta(`graphql_request_duration_seconds_count{${labels}}`);
      expect(count('operation="Me",outcome="ok"')).toBe(3);
      expect(count('operation="(anonymous)",outcome="ok"')).toBe(1);
      expect(count('operation="Cart",outcome="UNAUTHENTICATED"')).toBe(1);
      // A document that does not validate names no operation (its name takes no label).
      expect(count('operation="(invalid)",outcome="GRAPHQL_VALIDATION_FAILED"')).toBe(1);
      expect(after.values.has('graphql_request_duration_seconds_count{operation="Broken",outcome="GRAPHQL_VALIDATION_FAILED"}')).toBe(false);
      expect(delta('graphql_request_duration_seconds_bucket{le="+Inf",operation="Me",outcome="ok"}')).toBe(3);
    });

    it('answers 404 for unknown paths and IDE assets, including path tricks', async () => {
      for (const path of ['/nope', '/ide/nope.js', '/ide/..%2F..%2Fpackage.json', '/ide/../package.json']) {
        expect((await fetch(`${server.url}${path}`)).status).toBe(404);
      }
    });

    it('answers 404 for IDE asset names that are properties of every object (/ide/constructor, /ide/toString, …)', async () => {
      for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
        expect([name, (await fetch(`${server.url}/ide/${name}`)).status]).toEqual([name, 404]);
      }
    });
  });

  describe('security headers', () => {
    it.each(['/healthz', '/graphql', '/metrics', '/nope'])('are set on %s', async (path) => {
      const res = path === '/graphql' ? await post(server, JSON.stringify({ query: '{ me { id } }' })) : await fetch(`${server.url}${path}`);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/https?:|\*/);
    });

    it('allows CORS for a configured origin only', async () => {
      const allowed = await fetch(`${server.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://shop.example.com' } });
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
      // What Apollo Client (CSRF prevention, client awareness) and urql send besides the body's type.
      const allowedHeaders = (allowed.headers.get('access-control-allow-headers') ?? '').split(',').map((h) => h.trim());
      expect(allowedHeaders).toEqual(
        expect.arrayContaining(['content-type', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name', 'apollographql-client-name', 'apollographql-client-version']),
      );
      const other = await fetch(`${server.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://evil.example.com' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('bad requests', () => {
    it('a malformed JSON body → 400 BAD_REQUEST', async () => {
      const res = await post(server, '{"query": "{ me { id } }"');
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ errors: [{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
    });

    it('a query that does not parse → GRAPHQL_PARSE_FAILED', async () => {
      const res = await server.client.raw({ query: '{ me { id ' });
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('GRAPHQL_PARSE_FAILED');
    });

    it('a query against fields that do not exist → GRAPHQL_VALIDATION_FAILED', async () => {
      const res = await server.client.raw({ query: '{ me { id passwordHash } }' });
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.errors![0].message).toContain('passwordHash');
    });

    it('a variable of the wrong type → BAD_USER_INPUT', async () => {
      const res = await server.client.raw({ query: 'mutation($code: String!) { verifyTotp(code: $code) { id } }', variables: { code: 123456 } });
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
    });

    it('a batched (array) request is refused and none of its operations runs', async () => {
      const email = 'batched@example.com';
      const register = { query: 'mutation($i: RegisterInput!) { register(input: $i) { token } }', variables: { i: { email, password: 'batched password', name: 'B' } } };
      const res = await post(server, JSON.stringify([register, { query: '{ me { id } }' }]));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { errors: { extensions: { code: string } }[]; data?: unknown };
      expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
      expect(body.data).toBeUndefined();
      expect(errorCode(await server.client.request(LoginDocument, { input: { email, password: 'batched password' } }))).toBe('INVALID_CREDENTIALS');
    });

    it("a query over GET needs no preflight header (urql's default client); a mutation over GET is refused with 405; a simple (text/plain) POST stays refused as CSRF", async () => {
      // As urql sends a query by default: GET, an accept header, nothing else.
      const usersBefore = await countRows(server, 'users');
      const accept = 'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed';
      const simple = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ me { id } }')}`, { headers: { accept } });
      expect(simple.status).toBe(200);
      expect(await simple.json()).toEqual({ data: { me: null } });
      const q = encodeURIComponent('mutation { setupTotp(password: "x") { secret } }');
      for (const headers of [{ accept }, { 'apollo-require-preflight': '1' }] as Record<string, string>[]) {
        const mutation = await fetch(`${server.url}/graphql?query=${q}`, { headers });
        expect(mutation.status).toBe(405);
        expect(await mutation.json()).toEqual({ errors: [expect.objectContaining({ message: 'GET requests only support query operations, not mutation operations' })] });
      }
      const textPlain = await post(server, JSON.stringify({ query: 'mutation { register(input: { email: "csrf@example.com", password: "csrf password 1", name: "C" }) { token } }' }), { 'content-type': 'text/plain' });
      expect(textPlain.status).toBe(400);
      expect(await countRows(server, 'users')).toBe(usersBefore);
    });

    it('a body over MAX_BODY_BYTES → 413, whether announced by content-length or streamed', async () => {
      const big = JSON.stringify({ query: '{ me { id } }', variables: { pad: 'x'.repeat(70_000) } });
      const res = await post(server, big);
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ errors: [{ message: 'Request body larger than 65536 bytes', extensions: { code: 'BAD_REQUEST' } }] });

      const streamed = await postChunked(server.url, '{"query":"{ me { id } }","variables":{"pad":"', 1_000_000, '"}}');
      expect(streamed.status).toBe(413);
      expect(JSON.parse(streamed.body).errors[0].extensions.code).toBe('BAD_REQUEST');

      // Just under the limit still works, and the server is still fine afterwards.
      const fits = JSON.stringify({ query: '{ me { id } }', variables: { pad: 'x'.repeat(60_000) } });
      const okRes = await post(server, fits);
      expect(okRes.status).toBe(200);
      expect(await okRes.json()).toEqual({ data: { me: null } });
    });
  });
});

describe('/metrics access', () => {
  const TOKEN = 'metrics-token-0123456789abcdef';
  const scrape = (server: TestServer, authorization?: string) => fetch(`${server.url}/metrics`, { headers: authorization ? { authorization } : {} });

  it('with METRICS_TOKEN: 401 without "Authorization: Bearer <token>" or with another one, 200 with it', async () => {
    await withServer({ env: { METRICS_TOKEN: TOKEN } }, async (server) => {
      for (const auth of [undefined, 'Bearer wrong-token-0123456789abcdef', `Bearer ${TOKEN}x`, TOKEN, `Basic ${TOKEN}`]) {
        const res = await scrape(server, auth);
        expect([auth, res.status]).toEqual([auth, 401]);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
        expect(await res.text()).not.toMatch(/http_requests_total/);
      }
      const ok = await scrape(server, `Bearer ${TOKEN}`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/^http_requests_total \d+$/m);
    });
  });

  it('in production without a token /metrics is off (404) unless METRICS_PUBLIC=1; with a token it needs it', async () => {
    await withServer({ env: { NODE_ENV: 'production' } }, async (server) => {
      expect((await scrape(server)).status).toBe(404);
    });
    await withServer({ env: { NODE_ENV: 'production', METRICS_PUBLIC: '1' } }, async (server) => {
      expect((await scrape(server)).status).toBe(200);
    });
    await withServer({ env: { NODE_ENV: 'production', METRICS_TOKEN: TOKEN } }, async (server) => {
      expect((await scrape(server)).status).toBe(401);
      expect((await scrape(server, `Bearer ${TOKEN}`)).status).toBe(200);
    });
  });
});

describe('unexpected errors', () => {
  /**
   * A real failure, not a mock: the users table is renamed away under a running server, so the
   * login's SELECT fails inside the driver with an error that names tables and SQL.
   */
  async function breakUsersTable(server: TestServer) {
    expectData(await server.client.request(RegisterDocument, { input: { email: 'victim@example.com', password: 'victim password', name: 'V' } }));
    await server.em().getConnection().execute('ALTER TABLE users RENAME TO users_gone');
  }
  const login = { query: 'mutation { login(input: { email: "victim@example.com", password: "victim password" }) { token } }' };

  it('are masked as INTERNAL_SERVER_ERROR "Internal server error" with nothing internal in the response', async () => {
    await withServer({}, async (server) => {
      await breakUsersTable(server);
      const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(login) });
      expect(res.status).toBe(200);
      const text = await res.text();
      const body = JSON.parse(text);
      expect(body.data).toBeNull();
      expect(body.errors).toEqual([
        { message: 'Internal server error', path: ['login'], locations: [{ line: 1, column: 12 }], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      ]);
      expect(text).not.toMatch(/users|select|sqlite|mysql|stack|\.ts|\.js/i);
      // Only this request failed: the process keeps serving.
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    });
  });

  it('carry a stacktrace in extensions only with DEBUG_ERRORS=1', async () => {
    await withServer({ env: { DEBUG_ERRORS: '1' } }, async (server) => {
      await breakUsersTable(server);
      const res = await server.client.raw(login);
      expect(res.errors).toHaveLength(1);
      expect(res.errors![0].message).toBe('Internal server error');
      expect(res.errors![0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      const stack = res.errors![0].extensions?.stacktrace as string[];
      expect(Array.isArray(stack)).toBe(true);
      expect(stack.join('\n')).toMatch(/users/);
    });
  });

  it('an expected error carries no stacktrace without DEBUG_ERRORS', async () => {
    await withServer({}, async (server) => {
      for (const body of [{ query: '{ me { id } }' }, { query: '{ nope }' }, { query: '{' }]) {
        const res = await server.client.raw(body, { authorization: 'Bearer nope' });
        expect(res.errors![0].extensions).not.toHaveProperty('stacktrace');
        expect(Object.keys(res.errors![0].extensions ?? {})).toEqual(['code']);
      }
    });
  });
});

describe('readiness', () => {
  it('GET /readyz answers 503 once the database is gone, while /healthz stays 200', async () => {
    // No audit afterwards: the database is closed under the server on purpose.
    await withServer({ audit: false }, async (server) => {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      await server.app.orm.close(true);
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'database unreachable' });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      // And a request that needs the database fails cleanly (masked), not by hanging.
      const login = await server.client.request(LoginDocument, { input: { email: 'a@example.com', password: 'whatever password' } });
      expect(errorCode(login)).toBe('INTERNAL_SERVER_ERROR');
    });
  });
});
