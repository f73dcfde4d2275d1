import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RowDataPacket } from 'mysql2/promise';
import { createMysqlDatabase, type MysqlDatabase } from './db';

const INSTALL_DB = process.env.MARIADB_INSTALL_DB || 'mariadb-install-db';
const MARIADBD = process.env.MARIADBD || '/usr/sbin/mariadbd';

/** A MariaDB server of the suite's own, which it may freeze, thaw and kill (never the shared one). */
export interface PrivateMariadb {
  /** mysql://root@127.0.0.1:<port>/ (no database: see createDatabase). */
  url: string;
  pid: number;
  /** A fresh database on it, for a server's DATABASE_URL. */
  createDatabase(): Promise<MysqlDatabase>;
  /** SIGSTOP: the server stops answering, connections stay open (a hung database). */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  /** Thaws, stops the server (SIGTERM, then SIGKILL) and deletes its data directory. */
  stop(): Promise<void>;
  /** Stops the server (SIGTERM by PID, SIGKILL after 10 s) and starts it again on the same data directory and port; resolves once it answers. */
  restart(): Promise<void>;
  /** `KILL CONNECTION` for every client connection to `database`, from an admin connection; resolves to how many it killed. */
  killConnections(database: string): Promise<number>;
}

/** Whether this machine can run a private MariaDB (the binaries are installed). */
export function privateMariadbAvailable(): boolean {
  return fs.existsSync(MARIADBD) && (path.isAbsolute(INSTALL_DB) ? fs.existsSync(INSTALL_DB) : (process.env.PATH ?? '').split(':').some((dir) => fs.existsSync(path.join(dir, INSTALL_DB))));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = (probe.address() as net.AddressInfo);
      probe.close(() => resolve(port));
    });
  });
}

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    // The server's greeting arrives once it accepts clients.
    const socket = net.connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('data', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1000, () => done(false));
  });

/**
 * Creates a data directory in a temp folder (mariadb-install-db), starts `mariadbd --no-defaults`
 * on it with a free loopback port and its own socket, and resolves once it answers. Started and
 * stopped by PID; `stop` always thaws first, so a frozen server never outlives the suite.
 */
export async function startPrivateMariadb(): Promise<PrivateMariadb> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-mariadb-'));
  const datadir = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  await promisify(execFile)(INSTALL_DB, ['--no-defaults', '--auth-root-authentication-method=normal', `--datadir=${datadir}`, '--skip-test-db', ...asRoot]);
  const port = await freePort();
  let child: ChildProcess = spawn(
    MARIADBD,
    [
      '--no-defaults',
      ...asRoot,
      `--datadir=${datadir}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${path.join(dir, 'sock')}`,
      `--pid-file=${path.join(dir, 'pid')}`,
      `--log-error=${path.join(dir, 'error.log')}`,
      '--skip-grant-tables',
      '--skip-name-resolve',
      '--skip-log-bin',
      '--innodb-buffer-pool-size=32M',
    ],
    { stdio: 'ignore' },
  );
  let exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let pid = child.pid!;
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, name);
  };
  const stop = async () => {
    signal('SIGCONT');
    signal('SIGTERM');
    const killer = setTimeout(() => signal('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  while (!(await answers(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : '';
      await stop();
      throw new Error(`private MariaDB did not start:\n${log.split('\n').slice(-15).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = `mysql://root@127.0.0.1:${port}/`;
  const restart = async () => {
    signal('SIGCONT');
    signal('SIGTERM');
    const killer = setTimeout(() => signal('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
    // The same command line: same data directory, port and socket.
    child = spawn(child.spawnfile, child.spawnargs.slice(1), { stdio: 'ignore' });
    exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    pid = child.pid!;
    const restartDeadline = Date.now() + 30_000;
    while (!(await answers(port))) {
      if (child.exitCode !== null || Date.now() > restartDeadline) throw new Error(`private MariaDB did not come back after a restart (exit ${child.exitCode})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return {
    url,
    get pid() {
      return pid;
    },
    restart,
    killConnections: (database) => killConnections(url, database),
    createDatabase: () => createMysqlDatabase(url, { prefix: 'flashsale_private_' }),
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    stop,
  };
}

async function killConnections(serverUrl: string, database: string): Promise<number> {
  const mysql = await import('mysql2/promise');
  const admin = await mysql.createConnection({ host: '127.0.0.1', port: Number(new URL(serverUrl).port), user: 'root' });
  try {
    const [rows] = await admin.query<RowDataPacket[]>('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [database]);
    let killed = 0;
    for (const { id } of rows) {
      // A connection may close between the listing and the kill (ER_NO_SUCH_THREAD): fine.
      await admin.query(`KILL CONNECTION ${Number(id)}`).then(() => (killed += 1), () => undefined);
    }
    return killed;
  } finally {
    await admin.end();
  }
}
