import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RowDataPacket } from 'mysql2/promise';
import { createMysqlDatabase, type MysqlDatabase } from './db';
import type { TestServer } from './server';

const INSTALL_DB = process.env.MARIADB_INSTALL_DB || 'mariadb-install-db';
const MARIADBD = process.env.MARIADBD || '/usr/sbin/mariadbd';

/** A MariaDB server of the suite's own, which it may freeze, thaw and kill (never the shared one). */
export interface PrivateMariadb {
  /** mysql://root@127.0.0.1:<port>/ (no database: see createDatabase). */
  url: string;
  /** The running mariadbd's pid (0 while it is down). */
  readonly pid: number;
  /** A fresh database on it, for a server's DATABASE_URL. */
  createDatabase(): Promise<MysqlDatabase>;
  /** SIGSTOP: the server stops answering, connections stay open (a hung database). */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  /**
   * Freezes the server just as `server` sends its next COMMIT (knex sends every transaction's
   * BEGIN and COMMIT), so that the client cannot know whether it committed. Returns the undo.
   */
  freezeAtNextCommit(server: Pick<TestServer, 'app'>): () => void;
  /** SIGKILL: the database is down (connections refused) until `restart`. */
  crash(): Promise<void>;
  /** Starts it again on the same data and port (after `crash`, or stopping it first). */
  restart(): Promise<void>;
  /** KILL CONNECTION for every client connection using `database` (the app's connections, mid-transaction or idle); how many were killed. */
  killConnections(database: string): Promise<number>;
  /** Thaws, stops the server (SIGTERM, then SIGKILL) and deletes its data directory. */
  stop(): Promise<void>;
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

/** One mariadbd process on `datadir` and `port`; resolves once it answers. */
async function launch(dir: string, port: number, asRoot: string[]) {
  const child: ChildProcess = spawn(
    MARIADBD,
    [
      '--no-defaults',
      ...asRoot,
      `--datadir=${path.join(dir, 'data')}`,
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
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, name);
  };
  /** Thaws, then SIGTERM (or `how`), SIGKILL after 10 s; resolves once the process is gone. */
  const end = async (how: NodeJS.Signals = 'SIGTERM') => {
    signal('SIGCONT');
    signal(how);
    const killer = setTimeout(() => signal('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  const deadline = Date.now() + 30_000;
  while (!(await answers(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : '';
      await end();
      throw new Error(`private MariaDB did not start:\n${log.split('\n').slice(-15).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { pid: child.pid!, signal, end };
}

/**
 * Creates a data directory in a temp folder (mariadb-install-db), starts `mariadbd --no-defaults`
 * on it with a free loopback port and its own socket, and resolves once it answers. Started and
 * stopped by PID; `stop` always thaws first, so a frozen server never outlives the suite.
 */
export async function startPrivateMariadb(): Promise<PrivateMariadb> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-mariadb-'));
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  let current: Awaited<ReturnType<typeof launch>> | undefined;
  try {
    await promisify(execFile)(INSTALL_DB, ['--no-defaults', '--auth-root-authentication-method=normal', `--datadir=${path.join(dir, 'data')}`, '--skip-test-db', ...asRoot]);
    const port = await freePort();
    current = await launch(dir, port, asRoot);
    const url = `mysql://root@127.0.0.1:${port}/`;
    const running = () => current;
    return {
      url,
      get pid() {
        return running()?.pid ?? 0;
      },
      createDatabase: () => createMysqlDatabase(url, { prefix: 'flashsale_private_' }),
      freeze: () => running()?.signal('SIGSTOP'),
      thaw: () => running()?.signal('SIGCONT'),
      freezeAtNextCommit: (server) =>
        hookNextCommit(server, async () => {
          const stopping = running();
          stopping?.signal('SIGSTOP');
          // The COMMIT must reach a server that is already stopped: under load a signal can land
          // after the server read the packet, and then the COMMIT would simply succeed.
          if (stopping) await untilStopped(stopping.pid);
        }),
      async crash() {
        await running()?.end('SIGKILL');
        current = undefined;
      },
      async restart() {
        await running()?.end();
        current = await launch(dir, port, asRoot);
      },
      killConnections: (database) => killConnections(url, database),
      async stop() {
        await running()?.end();
        current = undefined;
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await current?.end();
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

type KnexQuery = (this: unknown, connection: unknown, obj: { sql?: string }) => Promise<unknown>;

/** Resolves once the process is stopped (state T in /proc), or after 2 s. */
async function untilStopped(pid: number): Promise<void> {
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) [Tt] /.test(stat)) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Runs `before` once, and waits for it, just before the next COMMIT that `server`'s knex client sends (alone, or after the writes deferred to it). */
function hookNextCommit(server: Pick<TestServer, 'app'>, before: () => Promise<void>): () => void {
  const client = server.app.orm.em.getConnection().getKnex().client as object;
  // Transaction clients share the client's prototype: hook it there, and put it back after.
  const proto = Object.getPrototypeOf(client) as { _query: KnexQuery };
  const own = Object.prototype.hasOwnProperty.call(proto, '_query');
  const original = proto._query;
  let armed = true;
  proto._query = function (connection, obj) {
    if (armed && /(^|;)\s*commit\s*$/i.test(obj?.sql ?? '')) {
      armed = false;
      return before().then(() => original.call(this, connection, obj));
    }
    return original.call(this, connection, obj);
  };
  return () => {
    if (own) proto._query = original;
    else delete (proto as Partial<typeof proto>)._query;
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
