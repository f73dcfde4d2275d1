import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config/env';
import { createTestDatabase, type TestDatabase } from './db';
import { GraphQLClient } from './client';

/** Fixed test secrets (32+ bytes) so that separate server processes accept each other's tokens. */
export const TEST_SECRETS = {
  JWT_SECRET: 'test-jwt-secret-0123456789abcdef0123456789abcdef',
  TOTP_ENCRYPTION_KEY: 'test-totp-key-0123456789abcdef0123456789abcdef',
};

export interface TestServer {
  app: App;
  url: string;
  db: TestDatabase;
  client: GraphQLClient;
  /** Environment that points another server process at the same database. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Boots the real application (HTTP server, Apollo, MikroORM, migrations) on a fresh database and
 * a free loopback port. `env` overrides configuration (e.g. RESERVATION_TTL_SECONDS).
 */
export async function startTestServer(options: { env?: Record<string, string>; db?: TestDatabase; jobs?: boolean } = {}): Promise<TestServer> {
  const db = options.db ?? (await createTestDatabase());
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DATABASE_URL: db.url,
    SEED_DEMO_DATA: '0',
    HOLD_SWEEP_INTERVAL_MS: '0',
    ...TEST_SECRETS,
    ...options.env,
  };
  const { config } = loadConfig(env);
  const app = await createApp(config, { jobs: options.jobs });
  const url = await app.listen(0, '127.0.0.1');
  return {
    app,
    url,
    db,
    env,
    client: new GraphQLClient(url),
    async stop() {
      await app.close(2000);
      if (!options.db) await db.drop();
    },
  };
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a separate server process (the built `dist/src/main.js`, as `npm start` runs it) against
 * the given environment, and resolves once it logs its URL.
 */
export async function spawnServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const main = path.join(__dirname, '..', '..', 'dist', 'src', 'main.js');
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines = readline.createInterface({ input: child.stderr! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server process did not start within 30 s')), 30_000);
    const recent: string[] = [];
    lines.on('line', (line) => {
      recent.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'listening' && entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      } catch {
        /* not a log line */
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server process exited with ${code}:\n${recent.slice(-20).join('\n')}`));
    });
  });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
