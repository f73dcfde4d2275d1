import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { GraphQLClient } from './client';
import { createTestDatabase, TEST_DB, type TestDatabase } from './db';
import { createApp, forkEm, loadConfig, type App, type Em } from './internals';

/** Fixed test secrets (32+ bytes) so that separate server processes accept each other's tokens. */
export const TEST_SECRETS = {
  JWT_SECRET: 'test-jwt-secret-0123456789abcdef0123456789abcdef',
  TOTP_ENCRYPTION_KEY: 'test-totp-key-0123456789abcdef0123456789abcdef',
};

export interface ServerOptions {
  /** Configuration overrides (e.g. RESERVATION_TTL_SECONDS). */
  env?: Record<string, string>;
  /** Run the background jobs (hold sweeper, rate-limit sweeper) as `npm start` does. */
  jobs?: boolean;
  /** Where the database comes from (default createTestDatabase), e.g. a private MariaDB's createDatabase. */
  database?: () => Promise<TestDatabase>;
}

export interface TestServer {
  app: App;
  url: string;
  db: TestDatabase;
  /** An anonymous client; `withToken` signs it in. */
  client: GraphQLClient;
  /** Environment that points another server process at the same database. */
  env: Record<string, string>;
  /** A fresh EntityManager on the server's ORM, for reads and writes behind the API's back. */
  em(): Em;
  /** Starts a server process on the same database; it is stopped with this server at the latest. */
  spawn(options?: SpawnOptions): Promise<ServerProcess>;
  /** Stops the processes it spawned, then itself, then drops its database. */
  stop(): Promise<void>;
}

/**
 * Boots the real application (HTTP server, Apollo, MikroORM, migrations) in this process, on a
 * fresh database and a free loopback port. Prefer `useServer` (or `withServer`), which also audit
 * the stock afterwards and never leak the server.
 */
export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const db = await (options.database ?? createTestDatabase)();
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DATABASE_URL: db.url,
    SEED_DEMO_DATA: '0',
    HOLD_SWEEP_INTERVAL_MS: '0',
    ...TEST_SECRETS,
    ...options.env,
  };
  let app: App;
  let url: string;
  try {
    const { config } = loadConfig(env);
    app = await createApp(config, { jobs: options.jobs });
    url = await app.listen(0, '127.0.0.1');
  } catch (error) {
    await db.drop();
    throw error;
  }
  const spawned: ServerProcess[] = [];
  return {
    app,
    url,
    db,
    env,
    client: new GraphQLClient(url),
    em: () => forkEm(app.orm),
    async spawn(spawnOptions) {
      const proc = await spawnServerProcess(env, spawnOptions);
      spawned.push(proc);
      return proc;
    },
    async stop() {
      try {
        await Promise.all(spawned.map((p) => p.stop()));
        await app.close(2000);
      } finally {
        await db.drop();
      }
    },
  };
}

export interface TestCluster {
  /** The in-process server (its ORM is what fixtures and the audit use). */
  server: TestServer;
  /** Every server's base URL: the in-process one, plus a separate process on MySQL. */
  urls: string[];
  /** A client for `user` on server number `i` (round robin), so load spreads over processes. */
  clientFor(user: { token: string }, i: number): GraphQLClient;
  stop(): Promise<void>;
}

/**
 * An in-process server plus, on MySQL, a second server PROCESS on the same database (run
 * `npm run build` first). SQLite is a single-process database, so there it is the in-process
 * server alone.
 */
export async function startCluster(options: ServerOptions = {}): Promise<TestCluster> {
  const server = await startServer(options);
  const urls = [server.url];
  try {
    if (TEST_DB === 'mysql') urls.push((await server.spawn()).url);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    server,
    urls,
    clientFor: (user, i) => new GraphQLClient(urls[i % urls.length], user.token),
    stop: () => server.stop(),
  };
}

interface SpawnOptions {
  /** WORKERS=N: the primary forks N node:cluster workers on one port; resolves once all listen. */
  workers?: number;
  /** LOG_LEVEL of the process (default info; the workers are counted from its `listening` lines). */
  logLevel?: string;
  /** Extra configuration for this process only (on top of the server's). */
  env?: Record<string, string>;
}

interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** The pid of every process that logged `listening` (one per worker). */
  pids: Set<number>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, and waits for the exit (SIGKILL if it does not come within 15 s). */
  stop(): Promise<void>;
}

const MAIN = path.join(__dirname, '..', '..', 'dist', 'src', 'main.js');
const START_TIMEOUT_MS = 30_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a separate server process (the built `dist/src/main.js`, as `npm start` runs it) with the
 * given environment on a free loopback port, and resolves once it answers /healthz (and, with
 * `workers`, once every worker has logged `listening`). Prefer `server.spawn`, which stops it.
 */
async function spawnServerProcess(env: Record<string, string>, options: SpawnOptions = {}): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      ...env,
      ...options.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: options.logLevel ?? 'info',
      ...(options.workers ? { WORKERS: String(options.workers) } : {}),
    },
    // Not the repository: a developer's .env (read from the working directory) must not reach test servers.
    cwd: os.tmpdir(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let partial = '';
  const pids = new Set<number>();
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as { msg?: string; pid?: number };
        if (entry.msg === 'listening' && entry.pid) pids.add(entry.pid);
      } catch {
        /* not a log line */
      }
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const stop = async () => {
    if (exited()) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await gone;
    clearTimeout(killer);
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  const up = () => fetch(`${url}/healthz`).then((r) => r.ok, () => false);
  for (;;) {
    if (exited()) throw new Error(`server process exited with ${child.exitCode ?? child.signalCode}:\n${output.split('\n').slice(-20).join('\n')}`);
    if ((await up()) && pids.size >= (options.workers ?? 0)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`server process did not start within ${START_TIMEOUT_MS / 1000} s (${pids.size} listening):\n${output.split('\n').slice(-20).join('\n')}`);
    }
    await sleep(50);
  }
  return { url, child, pids, output: () => output, stop };
}
