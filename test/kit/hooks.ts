import { expectAuditClean } from './audit';
import { TEST_DB } from './db';
import { privateMariadbAvailable, startPrivateMariadb, type PrivateMariadb } from './private-mariadb';
import { inCi } from './notes';
import { registerUser, signIn, type TestUser } from './fixtures';
import { startCluster, startServer, type ServerOptions, type TestCluster, type TestServer } from './server';

export interface SuiteOptions extends ServerOptions {
  /**
   * When the stock audit (expectAuditClean) runs: after the suite (default), after every test, or
   * not at all, for a suite that writes past the ledger on purpose or breaks the database.
   */
  audit?: 'afterAll' | 'afterEach' | false;
}

/**
 * Registers the jest hooks of a suite (or of the describe block it is called in) that needs a
 * server: beforeAll creates the database and starts the server; after the tests the stock audit
 * runs, then the server (and every process it spawned) stops and the database is dropped. Returns
 * the server, whose fields are filled in by that beforeAll.
 */
export function useServer(options: SuiteOptions = {}): TestServer {
  return useStarted(options, () => startServer(options), (server) => server);
}

/**
 * Like useServer, with a second server process on MySQL (see startCluster): the hooks start and
 * stop both, and audit through the in-process one.
 */
export function useCluster(options: SuiteOptions = {}): TestCluster {
  return useStarted(options, () => startCluster(options), (cluster) => cluster.server);
}

function useStarted<T extends { stop(): Promise<void> }>(options: SuiteOptions, start: () => Promise<T>, serverOf: (started: T) => TestServer): T {
  const audit = options.audit ?? 'afterAll';
  const handle = {} as T;
  let started = false;
  beforeAll(async () => {
    Object.assign(handle, await start());
    started = true;
  });
  if (audit === 'afterEach') {
    afterEach(async () => {
      if (started) await expectAuditClean(serverOf(handle));
    });
  }
  afterAll(async () => {
    if (!started) return;
    try {
      if (audit === 'afterAll') await expectAuditClean(serverOf(handle));
    } finally {
      await handle.stop();
    }
  });
  return handle;
}

/**
 * A server for one test: starts it, runs `use`, audits the stock (unless `audit: false`) and
 * stops it, also when `use` fails.
 */
export async function withServer<T>(options: Omit<SuiteOptions, 'audit'> & { audit?: false }, use: (server: TestServer) => Promise<T>): Promise<T> {
  const server = await startServer(options);
  try {
    const result = await use(server);
    if (options.audit !== false) await expectAuditClean(server);
    return result;
  } finally {
    await server.stop();
  }
}

/**
 * The admin of useSellerStrangerAdmin: the server creates it at start from BOOTSTRAP_ADMIN_*, the
 * supported way (registration never grants a role).
 */
const BOOTSTRAP_ADMIN = { email: 'admin@example.com', password: 'correct horse battery' };

/**
 * useServer (with a bootstrap admin) plus three users in beforeAll: a seller and a stranger
 * (another customer) registered through the API, and the bootstrap admin, signed in. The user
 * handles, like the server's, are filled in by that beforeAll.
 */
export function useSellerStrangerAdmin(options: SuiteOptions = {}): { server: TestServer; seller: TestUser; stranger: TestUser; admin: TestUser } {
  const server = useServer({
    ...options,
    env: { BOOTSTRAP_ADMIN_EMAIL: BOOTSTRAP_ADMIN.email, BOOTSTRAP_ADMIN_PASSWORD: BOOTSTRAP_ADMIN.password, ...options.env },
  });
  const users = { seller: {} as TestUser, stranger: {} as TestUser, admin: {} as TestUser };
  beforeAll(async () => {
    const [seller, stranger, admin] = await Promise.all([
      registerUser(server),
      registerUser(server),
      signIn(server, BOOTSTRAP_ADMIN.email, BOOTSTRAP_ADMIN.password),
    ]);
    Object.assign(users.seller, seller);
    Object.assign(users.stranger, stranger);
    Object.assign(users.admin, admin);
  });
  return { server, ...users };
}

/**
 * Whether the suites that stop, freeze or restart a database of their own run here: on the mysql
 * project, where the MariaDB binaries exist, and always in CI (where missing binaries then fail
 * the suite in usePrivateMariadb instead of skipping it: a skipped fault test proves nothing).
 */
export const runsOnPrivateMariadb = TEST_DB === 'mysql' && (privateMariadbAvailable() || inCi());

/** A private MariaDB for the suite (started before it, stopped after it, never left frozen). */
export function usePrivateMariadb(): PrivateMariadb {
  let instance: PrivateMariadb | undefined;
  beforeAll(async () => {
    if (!privateMariadbAvailable()) throw new Error('mariadbd/mariadb-install-db not found: install mariadb-server (or set MARIADBD / MARIADB_INSTALL_DB)');
    instance = await startPrivateMariadb();
  });
  afterAll(async () => {
    await instance?.stop();
  });
  return new Proxy({} as PrivateMariadb, {
    get(_target, key) {
      if (!instance) throw new Error('the private MariaDB is not started (use it inside tests)');
      const value = Reflect.get(instance, key, instance) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(instance) : value;
    },
  });
}
