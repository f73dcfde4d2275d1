import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { GraphQLTarget } from './load';

/**
 * The server under test: separate `dist/src/main.js` processes (as `npm start` runs them), each
 * on its own loopback port against the bench database, so that every process's /metrics can be
 * scraped on its own (with WORKERS=2 the cluster would answer /metrics from a random worker).
 */

export interface ServerProcess {
  url: string;
  pid: number;
  target: GraphQLTarget;
  /** Counts of warn/error log lines seen on stderr (LOG_LEVEL=warn). */
  logCounts: Record<string, number>;
  recentLog: string[];
  child: ChildProcess;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitReady(target: GraphQLTarget, child: ChildProcess, recent: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server process exited with ${child.exitCode}:\n${recent.slice(-20).join('\n')}`);
    try {
      const res = await target.get('/readyz');
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await sleep(200);
  }
  throw new Error(`server process did not become ready within ${timeoutMs} ms:\n${recent.slice(-20).join('\n')}`);
}

/**
 * The product build's server, as `npm run build` leaves it. The bench itself is compiled to
 * dist-bench/bench (tsconfig.bench.json), so this is two levels up, not dist-bench's own copy of src.
 */
const PRODUCT_MAIN = path.join(__dirname, '..', '..', 'dist', 'src', 'main.js');

/**
 * The checkout a build belongs to: `<root>/dist/src/main.js` → `<root>` (else the file's folder).
 * Another build (`--compare-main`) runs from there, like `npm start` in its own checkout.
 */
export function buildRoot(main: string): string {
  const dir = path.dirname(path.resolve(main));
  return path.basename(dir) === 'src' && path.basename(path.dirname(dir)) === 'dist' ? path.dirname(path.dirname(dir)) : dir;
}

/**
 * Starts one server process and waits for /readyz. `main` defaults to the product build's
 * dist/src/main.js; pointing it at a patched copy of dist measures a proposed change without
 * touching the source tree (see docs/BENCHMARKS.md). `cwd` defaults to the bench's own.
 */
export async function startServer(
  env: Record<string, string>,
  maxSockets: number,
  options: { nodeArgs?: string[]; main?: string; cwd?: string } = {},
): Promise<ServerProcess> {
  const main = options.main ?? PRODUCT_MAIN;
  const extraArgs = options.nodeArgs ?? [];
  const port = await freePort();
  const child = spawn(process.execPath, [...extraArgs, main], {
    cwd: options.cwd,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', WORKERS: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logCounts: Record<string, number> = {};
  const recentLog: string[] = [];
  readline.createInterface({ input: child.stderr! }).on('line', (line) => {
    recentLog.push(line);
    if (recentLog.length > 50) recentLog.shift();
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string; job?: string; error?: { name?: string; code?: string | number } };
      // Which job, and what kind of error (its class and driver code; the logged error is already sanitized).
      const detail = [entry.job, entry.error?.name, entry.error?.code].filter((part) => part !== undefined && part !== '').join(' ');
      const key = `${entry.level ?? '?'}: ${entry.msg ?? ''}${detail ? ` (${detail})` : ''}`;
      logCounts[key] = (logCounts[key] ?? 0) + 1;
    } catch {
      logCounts['unstructured'] = (logCounts['unstructured'] ?? 0) + 1;
    }
  });
  const url = `http://127.0.0.1:${port}`;
  const target = new GraphQLTarget(url, maxSockets);
  try {
    await waitReady(target, child, recentLog);
  } catch (error) {
    child.kill('SIGKILL');
    target.close();
    throw error;
  }
  return { url, pid: child.pid!, target, logCounts, recentLog, child };
}

export async function stopServer(server: ServerProcess): Promise<void> {
  server.target.close();
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
    server.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    server.child.kill('SIGTERM');
  });
}

/** Prometheus text → { 'name{labels}': value }. */
function parseMetrics(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    const value = Number(line.slice(cut + 1));
    if (Number.isFinite(value)) out[line.slice(0, cut)] = value;
  }
  return out;
}

/** Sums each counter over all server processes. */
export async function scrapeMetrics(servers: ServerProcess[]): Promise<Record<string, number>> {
  const total: Record<string, number> = {};
  for (const server of servers) {
    const res = await server.target.get('/metrics');
    if (res.status !== 200) throw new Error(`GET ${server.url}/metrics answered ${res.status}`);
    for (const [k, v] of Object.entries(parseMetrics(res.body))) total[k] = (total[k] ?? 0) + v;
  }
  return total;
}

export function diffMetrics(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

let ticksPerSecond: number | undefined;

/**
 * CPU time (user + system, ms) a local process has used so far, from /proc (Linux), or null when
 * it cannot be read. Over a run it tells where the cores went: servers, database, load generator.
 */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (ticksPerSecond === undefined) {
      try {
        ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
      } catch {
        ticksPerSecond = 100;
      }
    }
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return null;
  }
}
