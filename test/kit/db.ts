import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';

declare const __TEST_DB__: 'sqlite' | 'mysql';

export type TestDbKind = 'sqlite' | 'mysql';

/** Which database this jest project runs against. */
export const TEST_DB: TestDbKind = typeof __TEST_DB__ === 'string' ? __TEST_DB__ : 'sqlite';

function mysqlServerUrl(): string {
  const url = process.env.DATABASE_URL_MYSQL || process.env.TEST_MYSQL_URL;
  if (!url) throw new Error('DATABASE_URL_MYSQL (or TEST_MYSQL_URL) must be set for the mysql project');
  return url;
}

export interface TestDatabase {
  kind: TestDbKind;
  /** The database's name on the MySQL server, or the SQLite file. */
  name: string;
  /** A DATABASE_URL for it. */
  url: string;
  drop(): Promise<void>;
}

export interface MysqlDatabase extends TestDatabase {
  kind: 'mysql';
  /** What the server answers to SELECT VERSION(). */
  serverVersion: string;
}

/**
 * A brand-new, empty database for one suite: a temp SQLite file, or a uniquely named database on
 * the MySQL server (created here, dropped by `drop`). Fails loudly when MySQL is unreachable.
 */
export async function createTestDatabase(kind: TestDbKind = TEST_DB): Promise<TestDatabase> {
  if (kind === 'mysql') return createMysqlDatabase(mysqlServerUrl(), { prefix: `flashsale_test_${process.pid}_` });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-test-'));
  const file = path.join(dir, 'test.sqlite');
  return { kind, name: file, url: file, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function connectionOptions(server: URL) {
  return {
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username) || 'root',
    password: decodeURIComponent(server.password),
    socketPath: server.searchParams.get('socketPath') ?? undefined,
  };
}

/**
 * Creates `<prefix><random>` on the MySQL/MariaDB server at `serverUrl` (mysql: or mariadb:,
 * any database in its path is ignored) and returns its URL; `drop` removes it again.
 */
export async function createMysqlDatabase(serverUrl: string, options: { prefix: string }): Promise<MysqlDatabase> {
  const mysql = await import('mysql2/promise');
  const server = new URL(serverUrl.replace(/^mariadb:/, 'mysql:'));
  const name = `${options.prefix}${randomBytes(5).toString('hex')}`;
  const admin = await mysql.createConnection(connectionOptions(server));
  let serverVersion: string;
  try {
    const [rows] = await admin.query<RowDataPacket[]>('SELECT VERSION() AS v');
    serverVersion = String(rows[0].v);
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  return {
    kind: 'mysql',
    name,
    url: url.toString(),
    serverVersion,
    async drop() {
      const conn = await mysql.createConnection(connectionOptions(server));
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await conn.end();
      }
    },
  };
}
