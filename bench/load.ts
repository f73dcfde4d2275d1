import http from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * The load generator: N virtual users, each running its own loop of "units" (one order attempt,
 * one cart operation...), bounded by a request count AND a wall-clock budget, with every request
 * and every unit recorded so that percentiles are exact (sorted samples, nearest rank), not
 * estimated from buckets.
 *
 * HTTP goes through node:http with one keep-alive agent per target, not `fetch`: on a 2-core box
 * the generator shares the CPU with the servers and the database, and undici's fetch costs
 * noticeably more CPU per request than a bare http.request.
 */

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Exact nearest-rank percentiles over all recorded samples (milliseconds). */
function summarize(samples: number[]): LatencySummary {
  if (!samples.length) return { count: 0, p50: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN };
  const sorted = Float64Array.from(samples).sort();
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: sorted.length, p50: rank(0.5), p99: rank(0.99), p999: rank(0.999), max: sorted[sorted.length - 1], mean: sum / sorted.length };
}

export interface PhaseResult {
  name: string;
  concurrency: number;
  /** Wall time from the first unit start to the last unit end. */
  elapsedMs: number;
  requests: number;
  units: number;
  okUnits: number;
  /** Outcome codes of units ('OK', 'INSUFFICIENT_STOCK', 'CONFLICT', 'HTTP_502', 'NETWORK'...). */
  unitCodes: Record<string, number>;
  /** Outcome codes per operation name, per request. */
  requestCodes: Record<string, Record<string, number>>;
  unitLatency: LatencySummary;
  requestLatency: LatencySummary;
  okPerSecond: number;
  requestsPerSecond: number;
  /** Why the phase ended: 'done' (every user stopped itself), 'requests' or 'time'. */
  stoppedBy: 'done' | 'requests' | 'units' | 'time';
}

export class Recorder {
  requests = 0;
  units = 0;
  okUnits = 0;
  readonly unitCodes: Record<string, number> = {};
  readonly requestCodes: Record<string, Record<string, number>> = {};
  readonly unitSamples: number[] = [];
  readonly requestSamples: number[] = [];

  request(op: string, code: string, ms: number): void {
    this.requests += 1;
    const byCode = (this.requestCodes[op] ??= {});
    byCode[code] = (byCode[code] ?? 0) + 1;
    this.requestSamples.push(ms);
  }

  unit(code: string, ms: number): void {
    this.units += 1;
    if (code === 'OK') this.okUnits += 1;
    this.unitCodes[code] = (this.unitCodes[code] ?? 0) + 1;
    this.unitSamples.push(ms);
  }
}

/** What one iteration of a virtual user reports back. */
type StepResult = 'continue' | 'stop';

export interface LoadOptions {
  name: string;
  concurrency: number;
  /** Stop starting new units once this many requests were issued in total. */
  maxRequests: number;
  /** Stop starting new units once this many units were completed (optional). */
  maxUnits?: number;
  /** Stop starting new units after this much wall time. */
  maxDurationMs: number;
  /**
   * One unit of work of virtual user `vu` (its `iteration`-th). It records its requests and
   * exactly one unit on `rec`; returning 'stop' ends this user's loop (e.g. it saw sold out).
   */
  step: (vu: number, iteration: number, rec: Recorder) => Promise<StepResult>;
}

export async function runLoad(options: LoadOptions): Promise<PhaseResult> {
  const rec = new Recorder();
  const start = performance.now();
  const deadline = start + options.maxDurationMs;
  let stoppedBy: PhaseResult['stoppedBy'] = 'done';
  const maxUnits = options.maxUnits ?? Number.POSITIVE_INFINITY;
  let started = 0;
  const user = async (vu: number) => {
    for (let iteration = 0; ; iteration += 1) {
      if (started >= maxUnits) {
        if (stoppedBy === 'done') stoppedBy = 'units';
        return;
      }
      if (rec.requests >= options.maxRequests) {
        if (stoppedBy === 'done') stoppedBy = 'requests';
        return;
      }
      if (performance.now() >= deadline) {
        if (stoppedBy === 'done') stoppedBy = 'time';
        return;
      }
      started += 1;
      if ((await options.step(vu, iteration, rec)) === 'stop') return;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, vu) => user(vu)));
  const elapsedMs = performance.now() - start;
  return {
    name: options.name,
    concurrency: options.concurrency,
    elapsedMs,
    requests: rec.requests,
    units: rec.units,
    okUnits: rec.okUnits,
    unitCodes: rec.unitCodes,
    requestCodes: rec.requestCodes,
    unitLatency: summarize(rec.unitSamples),
    requestLatency: summarize(rec.requestSamples),
    okPerSecond: rec.okUnits / (elapsedMs / 1000),
    requestsPerSecond: rec.requests / (elapsedMs / 1000),
    stoppedBy,
  };
}

export const now = (): number => performance.now();

// ---------------------------------------------------------------------------------------------
// HTTP / GraphQL client

export interface GraphQLResponse {
  /** 'OK', the first error's extensions.code, `HTTP_<status>` or 'NETWORK'. */
  code: string;
  data: Record<string, unknown> | null;
  ms: number;
}

/** A keep-alive HTTP/1.1 client for one server process, loopback only. */
export class GraphQLTarget {
  private readonly agent: http.Agent;
  readonly host: string;
  readonly port: number;

  constructor(readonly baseUrl: string, maxSockets: number) {
    const url = new URL(baseUrl);
    if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost' && url.hostname !== '::1') {
      throw new Error(`the load generator only targets loopback, not ${url.hostname}`);
    }
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'fifo' });
  }

  get(path: string): Promise<{ status: number; body: string }> {
    return this.send('GET', path, undefined, {});
  }

  async graphql(query: string, variables: Record<string, unknown>, token?: string): Promise<GraphQLResponse> {
    const body = JSON.stringify({ query, variables });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const t0 = performance.now();
    let status: number;
    let text: string;
    try {
      ({ status, body: text } = await this.send('POST', '/graphql', body, headers));
    } catch {
      return { code: 'NETWORK', data: null, ms: performance.now() - t0 };
    }
    const ms = performance.now() - t0;
    let parsed: { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string } }[] };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      return { code: `HTTP_${status}`, data: null, ms };
    }
    if (parsed.errors?.length) return { code: parsed.errors[0].extensions?.code ?? 'GRAPHQL_ERROR', data: parsed.data ?? null, ms };
    if (status !== 200) return { code: `HTTP_${status}`, data: parsed.data ?? null, ms };
    return { code: 'OK', data: parsed.data ?? null, ms };
  }

  close(): void {
    this.agent.destroy();
  }

  private send(method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.setTimeout(120_000, () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      req.end(body);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

/** mulberry32: a tiny seeded PRNG, so every strategy sees the same demand sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Samples ranks 0..n-1 with P(k) ∝ 1/(k+1)^s (Zipf), by binary search over the CDF. */
export class Zipf {
  private readonly cdf: Float64Array;

  constructor(readonly n: number, readonly s: number) {
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k += 1) {
      sum += 1 / (k + 1) ** s;
      this.cdf[k] = sum;
    }
    for (let k = 0; k < n; k += 1) this.cdf[k] /= sum;
  }

  /** Probability of the most popular rank. */
  get topShare(): number {
    return this.cdf[0];
  }

  sample(random: () => number): number {
    const u = random();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
