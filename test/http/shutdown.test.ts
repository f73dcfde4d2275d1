import http from 'node:http';
import { LoginDocument } from '../generated/auth';
import { expectData, useServer } from '../kit';

/** One GET on a brand-new connection (no keep-alive pool), so a refused connection shows as such. */
function getFresh(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('graceful shutdown (separate server process)', () => {
  const server = useServer(); // owns the database; the process under test shares it (and is stopped with it)

  it('on SIGTERM finishes the request in flight with 200, refuses new connections, then exits 0', async () => {
    const proc = await server.spawn();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.child.once('exit', (code, signal) => resolve({ code, signal })),
    );

    // A register whose body arrives in two parts: the request is certainly in flight (headers
    // received, handler running) when the signal lands, and it still has an argon2 hash to do.
    const body = JSON.stringify({
      query: 'mutation($input: RegisterInput!) { register(input: $input) { token user { email } } }',
      variables: { input: { email: 'late@example.com', password: 'in flight password', name: 'Late' } },
    });
    const half = Math.floor(body.length / 2);
    const inFlight: { finish?: () => void } = {};
    const response = new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const req = http.request(`${proc.url}/graphql`, {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
      });
      req.on('error', reject);
      req.write(body.slice(0, half));
      inFlight.finish = () => req.end(body.slice(half));
    });
    // The server sees 2 requests in flight: ours and the metrics scrape itself.
    await until('the request to be in flight', async () => {
      const metrics = await getFresh(`${proc.url}/metrics`);
      return /^http_requests_in_flight 2$/m.test(metrics.body) ? true : undefined;
    });

    proc.child.kill('SIGTERM');
    // New connections are refused while the old one drains.
    const refused = await until('new connections to be refused', async () => {
      try {
        await getFresh(`${proc.url}/healthz`);
        return undefined;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code;
      }
    });
    // Refused, or reset when it raced into the backlog just as the listener closed: never served.
    expect(['ECONNREFUSED', 'ECONNRESET']).toContain(refused);
    expect(proc.child.exitCode).toBeNull(); // still draining

    const startedFinishing = Date.now();
    inFlight.finish!();
    const res = await response;
    expect(res.status).toBe(200);
    const payload = JSON.parse(res.body);
    expect(payload.errors).toBeUndefined();
    expect(payload.data.register.user.email).toBe('late@example.com');
    expect(typeof payload.data.register.token).toBe('string');

    expect(await exited).toEqual({ code: 0, signal: null });
    // It exits promptly once drained, not at the 10 s forced-close deadline.
    expect(Date.now() - startedFinishing).toBeLessThan(5_000);

    // The work of the drained request was committed.
    expectData(await server.client.request(LoginDocument, { input: { email: 'late@example.com', password: 'in flight password' } }));
  });
});
