import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

declare const __TEST_DB__: 'sqlite' | 'mysql';

export type TestDbKind = 'sqlite' | 'mysql';

/** Which database this jest project runs against. */
export const TEST_DB: TestDbKind = typeof __TEST_DB__ === 'string' ? __TEST_DB__ : 'sqlite';

export function mysqlServerUrl(): string {
  const url = process.env.DATABASE_URL_MYSQL || process.env.TEST_MYSQL_URL;
  if (!url) throw new Error('DATABASE_URL_MYSQL (or TEST_MYSQL_URL) must be set for the mysql project');
  return url;
}

export interface TestDatabase {
  kind: TestDbKind;
  url: string;
  drop(): Promise<void>;
}

/**
 * A brand-new, empty database for one suite: a temp SQLite file, or a uniquely named database on
 * the MySQL server (created here, dropped by `drop`). Fails loudly when MySQL is unreachable.
 */
export async function createTestDatabase(kind: TestDbKind = TEST_DB): Promise<TestDatabase> {
  const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-test-'));
    const file = path.join(dir, 'test.sqlite');
    return { kind, url: file, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const mysql = await import('mysql2/promise');
  const server = new URL(mysqlServerUrl());
  const name = `flashsale_test_${suffix}`;
  const admin = await mysql.createConnection({
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username),
    password: decodeURIComponent(server.password),
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    drop: async () => {
      const conn = await mysql.createConnection({
        host: server.hostname,
        port: Number(server.port || 3306),
        user: decodeURIComponent(server.username),
        password: decodeURIComponent(server.password),
      });
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}
