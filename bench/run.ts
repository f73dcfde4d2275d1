import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RawSqlStrategies } from './baselines';
import { renderChart } from './chart';
import { benchSecrets, createBenchDatabase, Fixtures, type BenchDatabase, type Catalog } from './fixtures';
import type { PhaseResult, Recorder } from './load';
import { loadOperations } from './operations';
import { compareLines, markdownTable, outcomeLines, saleLines, SCENARIO_TITLES, targetVerdicts, textTable, type ResultRow } from './report';
import {
  clearCarts,
  graphqlBuyNow,
  graphqlCartCheckout,
  graphqlSaleBuyNow,
  rawSellers,
  runChurn,
  runBaseline,
  runSale,
  saleTargets,
  zipfPicker,
  type BenchContext,
  type Seller,
} from './scenarios';
import { findScaleData, generateScaleData, growthLines, measureScale, type ScaleMeasurement } from './scale';
import { buildRoot, diffMetrics, processCpuMs, scrapeMetrics, startServer, stopServer, type ServerProcess } from './servers';
import { checkFlashSale, checkRun, leftoverCartItems, type CheckResult, type LedgerMode } from './verify';

/**
 * `npm run bench [-- --quick] [--only=A,B,C] [--servers=2] [--pool=10] [--out=docs/BENCHMARKS.md] [--keep-db]
 *   [--levels=16,64] [--strategies=GraphQL,L2,...] [--server-env=KEY=VALUE,...] [--pessimistic-env=CHECKOUT_LOCKING=pessimistic|none] [--server-main=/path/to/patched/dist/src/main.js]
 *   [--compare-main=/path/to/other/checkout/dist/src/main.js] [--d-scale=1] [--d-small=0.01] [--d-reuse=<database>]`
 *
 * `--only=D` (or D in the list) runs scenario D, data at scale (bench/scale.ts), on databases of its
 * own: a small data set (`--d-small` × the full size) and a big one (`--d-scale`, 1 = 100,000
 * products, 1,000,000 orders, ~3,000,000 movements), reads, write path and audits timed on each,
 * growth factors printed. `--d-reuse=<database>` measures an existing big database from an
 * earlier `--keep-db` run instead of generating it again.
 *
 * `--compare-main` starts another `--servers` processes running that build (from its checkout, so
 * its own node_modules resolve; same env and database as the `GraphQL` servers) and measures it as
 * the strategy `GraphQL-old` beside `GraphQL` in A, B and C, with the same load, fixtures and checks;
 * the report adds a `GraphQL / GraphQL-old = X.XX` line per scenario and level (a regression check
 * of a refactor in one run). The database is `BENCH_MYSQL_URL` (default mysql://root@127.0.0.1:3306).
 *
 * Drives the real server (separate `dist/src/main.js` processes) over HTTP on a fresh MySQL /
 * MariaDB database and compares it with baselines measured in the same run on the same database
 * server: raw SQL (L1, L2, P-raw, naive) and the request pipeline alone (L4). A benchmark, not a
 * test: targets are measured and reported, not asserted; only a broken invariant makes the exit
 * code non-zero.
 */

interface Plan {
  quick: boolean;
  only: Set<string>;
  servers: number;
  pool: number;
  out: string | null;
  keepDb: boolean;
  /** Extra server environment that switches buyNow to row locking (e.g. CHECKOUT_LOCKING=pessimistic): adds 'GraphQL-P'. */
  pessimisticEnv: Record<string, string> | null;
  /** Serve from another build (a patched copy of dist/src/main.js) to measure a proposed change. */
  serverMain: string | undefined;
  /** Another build measured beside the servers as 'GraphQL-old' (same env, same database). */
  compareMain: string | undefined;
  /** Extra environment for every server process (e.g. WRITE_RATE_LIMIT_PER_USER=0 to measure without the limiter). */
  serverEnv: Record<string, string>;
  /** Only these strategies (all when null). */
  strategies: Set<string> | null;
  mysqlUrl: string;
  hot: { units: number; levels: number[]; soldOutRequests: number };
  many: { products: number; orders: number; levels: number[]; s: number };
  churn: { products: number; unitsEach: number; durationMs: number; levels: number[]; s: number };
  scale: { big: number; small: number; reuse: string | null };
}

/** "A=1,B=2" → { A: '1', B: '2' } */
function parseEnvList(text: string | undefined): Record<string, string> {
  if (!text) return {};
  return Object.fromEntries(
    text.split(',').map((kv) => {
      const cut = kv.indexOf('=');
      if (cut <= 0) throw new Error(`expected KEY=VALUE, got "${kv}"`);
      return [kv.slice(0, cut).trim(), kv.slice(cut + 1)];
    }),
  );
}

function parsePlan(argv: string[]): Plan {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg}`);
    flags.set(m[1], m[2] ?? 'true');
  }
  const known = new Set(['quick', 'only', 'servers', 'pool', 'out', 'keep-db', 'pessimistic-env', 'server-main', 'strategies', 'server-env', 'levels', 'compare-main', 'd-scale', 'd-small', 'd-reuse']);
  for (const k of flags.keys()) if (!known.has(k)) throw new Error(`unknown option --${k}`);
  const quick = flags.get('quick') === 'true';
  for (const k of ['servers', 'pool']) {
    if (flags.has(k) && !(Number.isInteger(Number(flags.get(k))) && Number(flags.get(k)) > 0)) throw new Error(`--${k} must be a positive integer`);
  }
  const root = path.join(__dirname, '..', '..');
  const out = flags.get('out') ?? (quick ? null : path.join(root, 'docs', 'BENCHMARKS.md'));
  const levels = flags.has('levels') ? flags.get('levels')!.split(',').map(Number) : null;
  if (levels?.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--levels must be positive integers, e.g. --levels=16,64');
  const plan: Plan = {
    quick,
    only: new Set((flags.get('only') ?? 'A,B,C').split(',').map((s) => s.trim().toUpperCase())),
    servers: Number(flags.get('servers') ?? 2),
    pool: Number(flags.get('pool') ?? 10),
    out: out ? path.resolve(out) : null,
    keepDb: flags.get('keep-db') === 'true',
    serverEnv: parseEnvList(flags.get('server-env')),
    strategies: flags.has('strategies') ? new Set(flags.get('strategies')!.split(',').map((s) => s.trim())) : null,
    serverMain: flags.has('server-main') ? path.resolve(flags.get('server-main')!) : undefined,
    compareMain: flags.has('compare-main') ? path.resolve(flags.get('compare-main')!) : undefined,
    // GraphQL-P (the same server with row locking) runs by default; --pessimistic-env=none drops it.
    pessimisticEnv: !flags.has('pessimistic-env')
      ? { CHECKOUT_LOCKING: 'pessimistic' }
      : flags.get('pessimistic-env') === 'none'
        ? null
        : parseEnvList(flags.get('pessimistic-env')),
    mysqlUrl: process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
    hot: quick ? { units: 400, levels: [64], soldOutRequests: 400 } : { units: 2000, levels: [16, 64, 256], soldOutRequests: 1000 },
    many: quick ? { products: 1000, orders: 600, levels: [64], s: 1.1 } : { products: 1000, orders: 1500, levels: [64, 256], s: 1.1 },
    churn: quick
      ? { products: 50, unitsEach: 100, durationMs: 4000, levels: [64], s: 1.1 }
      : { products: 50, unitsEach: 100, durationMs: 10_000, levels: [64, 256], s: 1.1 },
    scale: { big: 1, small: 0.01, reuse: null },
  };
  if (levels) plan.hot.levels = plan.many.levels = plan.churn.levels = levels;
  for (const k of ['d-scale', 'd-small']) {
    if (flags.has(k) && !(Number(flags.get(k)) > 0 && Number(flags.get(k)) <= 10)) throw new Error(`--${k} must be a number in (0, 10], e.g. --${k}=0.1`);
  }
  plan.scale = { big: Number(flags.get('d-scale') ?? 1), small: Number(flags.get('d-small') ?? 0.01), reuse: flags.get('d-reuse') ?? null };
  if (plan.scale.reuse && !/^[A-Za-z0-9_]+$/.test(plan.scale.reuse)) throw new Error('--d-reuse must be a database name');
  if (plan.compareMain && !fs.existsSync(plan.compareMain)) throw new Error(`--compare-main: ${plan.compareMain} does not exist`);
  if (plan.strategies?.has('GraphQL-old') && !plan.compareMain) throw new Error('strategy GraphQL-old needs --compare-main=/path/to/dist/src/main.js');
  return plan;
}

const print = (s = '') => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Counters {
  /** Sum of the server processes' /metrics (empty for raw-SQL strategies). */
  server: Record<string, number>;
  /** Database server-wide status counters. */
  db: Record<string, number>;
  /** CPU ms used so far by the server processes (all of them), the database server and this process. */
  cpu: { servers: number; db: number | null; bench: number };
}

function conflictCounter(seller: Seller): { seller: Seller; conflictsWhileStock: () => number } {
  let soldOutSeen = false;
  let whileStock = 0;
  return {
    seller: async (vu, iteration, target, rec: Recorder) => {
      const code = await seller(vu, iteration, target, rec);
      if (code === 'INSUFFICIENT_STOCK') soldOutSeen = true;
      if (code === 'CONFLICT' && !soldOutSeen) whileStock += 1;
      return code;
    },
    conflictsWhileStock: () => whileStock,
  };
}

function checkText(check: CheckResult | null, ledger: LedgerMode): string {
  if (!check) return '–';
  if (ledger === 'canary') return `canary (audit: ${check.audit.startsWith('clean') ? 'clean' : 'flags it'})`;
  return check.ok ? (ledger === 'none' ? 'ok (no ledger)' : 'ok') : `FAIL: ${check.problems.join('; ')}`;
}

function row(
  scenario: ResultRow['scenario'],
  strategy: string,
  phase: PhaseResult,
  extra: {
    expected: string;
    unit: ResultRow['unit'];
    /** Counters before and after the phase; server retries are reported only for server strategies. */
    counters: [Counters, Counters];
    server: boolean;
    conflictsWhileStock?: number | null;
    check?: CheckResult | null;
    ledger?: LedgerMode;
    note?: string;
  },
): ResultRow {
  const seconds = phase.elapsedMs / 1000;
  const [before, after] = extra.counters;
  const dbd = diffMetrics(before.db, after.db);
  const perUnit = (v: number | undefined) => (v ?? 0) / Math.max(1, phase.units);
  return {
    scenario,
    strategy,
    concurrency: phase.concurrency,
    unit: extra.unit,
    rate: (phase.unitCodes[extra.expected] ?? 0) / seconds,
    requestsPerSecond: phase.requestsPerSecond,
    latency: phase.unitLatency,
    units: phase.units,
    codes: phase.unitCodes,
    requestCodes: phase.requestCodes,
    retries: extra.server ? diffMetrics(before.server, after.server).unit_of_work_retries_total ?? 0 : null,
    groups: extra.server ? groupsOf(diffMetrics(before.server, after.server)) : null,
    cpuMsPerUnit: {
      servers: perUnit(after.cpu.servers - before.cpu.servers),
      db: after.cpu.db === null || before.cpu.db === null ? null : perUnit(after.cpu.db - before.cpu.db),
      bench: perUnit(after.cpu.bench - before.cpu.bench),
    },
    db: {
      statementsPerUnit: perUnit(dbd.Questions),
      rowLockWaitsPerUnit: perUnit(dbd.Innodb_row_lock_waits),
      rowLockWaitMsPerUnit: perUnit(dbd.Innodb_row_lock_time),
      deadlocks: dbd.Innodb_deadlocks ?? 0,
    },
    conflicts: phase.unitCodes.CONFLICT ?? 0,
    conflictsWhileStock: extra.conflictsWhileStock ?? null,
    oversold: extra.check ? extra.check.oversold : null,
    lostUpdates: extra.check ? extra.check.lostUpdates : null,
    check: extra.check === undefined ? '–' : checkText(extra.check, extra.ledger ?? 'full'),
    elapsedMs: phase.elapsedMs,
    stoppedBy: phase.stoppedBy,
    note: extra.note,
  };
}

function groupsOf(d: Record<string, number>): ResultRow['groups'] {
  const reasons: Record<string, number> = {};
  for (const [key, value] of Object.entries(d)) {
    const m = /^unit_group_fallbacks_by_reason_total\{reason="([^"]*)"\}$/.exec(key);
    if (m) reasons[m[1]] = value;
  }
  return { groups: d.unit_groups_total ?? 0, members: d.unit_group_members_total ?? 0, fallbacks: d.unit_group_fallbacks_total ?? 0, reasons };
}

function machine(dbVersion: string): Record<string, string> {
  let nproc = String(os.cpus().length);
  try {
    nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    /* keep os.cpus() */
  }
  return {
    date: new Date().toISOString(),
    nproc,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    database: dbVersion,
  };
}

async function main(): Promise<void> {
  const plan = parsePlan(process.argv.slice(2));
  process.env.LOG_LEVEL ??= 'warn';
  if (plan.only.has('D')) {
    await runScale(plan);
    plan.only.delete('D');
    if (plan.only.size === 0) return;
  }
  const started = Date.now();
  const db: BenchDatabase = await createBenchDatabase(plan.mysqlUrl);
  const secrets = benchSecrets();
  const serverEnv: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: String(plan.pool),
    SEED_DEMO_DATA: '0',
    LOG_LEVEL: 'warn',
    // The per-user write limiter still runs (its cost is part of what is measured), but a virtual
    // user stands for a stream of buyers, so its limit is raised out of the way.
    WRITE_RATE_LIMIT_PER_USER: '1000000',
    // The bench scrapes every process's /metrics on loopback; in production it is off without a token.
    METRICS_PUBLIC: '1',
    ...secrets,
    ...plan.serverEnv,
  };
  const maxConcurrency = Math.max(...plan.hot.levels, ...plan.many.levels, ...plan.churn.levels);
  let fixtures: Fixtures | undefined;
  let servers: ServerProcess[] = [];
  let pessimisticServers: ServerProcess[] = [];
  /** --compare-main: the other build, strategy 'GraphQL-old'. */
  let compareServers: ServerProcess[] = [];
  let raw: RawSqlStrategies | undefined;
  let cleaning = false;
  const cleanup = async () => {
    if (cleaning) return;
    cleaning = true;
    await Promise.all([...servers, ...pessimisticServers, ...compareServers].map(stopServer)).catch(() => undefined);
    await raw?.close().catch(() => undefined);
    await fixtures?.close().catch(() => undefined);
    if (!plan.keepDb) await db.drop().catch(() => undefined);
  };
  process.once('SIGINT', () => {
    void cleanup().finally(() => process.exit(130));
  });

  const rows: ResultRow[] = [];
  let failures = 0;
  try {
    print(`database ${db.name} on ${db.serverVersion} (${plan.quick ? 'quick' : 'full'} run)`);
    fixtures = await Fixtures.create(serverEnv, maxConcurrency);
    const fx = fixtures;
    servers = await Promise.all(Array.from({ length: plan.servers }, () => startServer(serverEnv, maxConcurrency, { main: plan.serverMain })));
    if (plan.pessimisticEnv && plan.only.has('A')) {
      const env = { ...serverEnv, ...plan.pessimisticEnv };
      pessimisticServers = await Promise.all(Array.from({ length: plan.servers }, () => startServer(env, maxConcurrency, { main: plan.serverMain })));
    }
    if (plan.compareMain && (!plan.strategies || plan.strategies.has('GraphQL-old'))) {
      // Same env and database as the GraphQL servers, started after them (the schema is migrated).
      const cwd = buildRoot(plan.compareMain);
      compareServers = await Promise.all(Array.from({ length: plan.servers }, () => startServer(serverEnv, maxConcurrency, { main: plan.compareMain, cwd })));
    }
    raw = new RawSqlStrategies(db.url, plan.servers * plan.pool);
    await raw.warmUp();
    if (plan.strategies?.has('L2+count1') || plan.strategies?.has('L2+count16')) await raw.createCounterTable();
    const ops = await loadOperations();
    if (ops.missing.length) print(`GraphQL operations not in the schema yet (their scenarios are skipped): ${ops.missing.join(', ')}`);
    const ctx: BenchContext = { servers, buyers: fx.buyers, ops, raw };
    const ctxP: BenchContext = { ...ctx, servers: pessimisticServers };
    const ctxOld: BenchContext = { ...ctx, servers: compareServers };
    /** The server processes behind a server strategy. */
    const serversOf = (name: string) => (name === 'GraphQL-P' ? pessimisticServers : name === 'GraphQL-old' ? compareServers : servers);
    const sellersRaw = rawSellers(ctx);
    let runNo = 0;
    const tag = (label: string) => `${label}-${(runNo += 1)}-${Date.now().toString(36)}`;
    const wanted = (name: string) => !plan.strategies || plan.strategies.has(name);
    const rawSql = raw;
    const dbPid = await rawSql.localServerPid();
    const allServers = () => [...servers, ...pessimisticServers, ...compareServers];
    const snapshot = async (of: ServerProcess[] | null): Promise<Counters> => {
      const usage = process.cpuUsage();
      return {
        server: of ? await scrapeMetrics(of) : {},
        db: await rawSql.globalStatus(),
        cpu: {
          servers: allServers().reduce((sum, s) => sum + (processCpuMs(s.pid) ?? 0), 0),
          db: dbPid === null ? null : processCpuMs(dbPid),
          bench: (usage.user + usage.system) / 1000,
        },
      };
    };
    // L4: `{ __typename }` with a buyer's token, the request pipeline without resolver work; its
    // requests are reported as "pings".
    const baselineRow = async (scenario: ResultRow['scenario'], c: number, maxRequests: number, maxDurationMs: number) => {
      const m0 = await snapshot(servers);
      const phase = await runBaseline(ctx, `${scenario} L4`, c, maxRequests, maxDurationMs);
      record(row(scenario, 'L4', phase, { expected: 'OK', unit: 'pings', counters: [m0, await snapshot(servers)], server: true }));
    };
    const record = (r: ResultRow) => {
      rows.push(r);
      if (r.check.startsWith('FAIL')) failures += 1;
      print(
        `  ${r.scenario.padEnd(9)} ${r.strategy.padEnd(11)} @${String(r.concurrency).padEnd(3)} ${r.rate.toFixed(0).padStart(6)} ${r.unit}/s  p99 ${r.latency.p99.toFixed(1)} ms  ${r.check}`,
      );
    };

    // Warm-up (not measured): JIT, pools and connections of every path.
    // Never more virtual users than buyers (fixtures make maxConcurrency of them): --levels=16 has 16.
    print('warming up');
    await runBaseline(ctx, 'warm-up baseline', Math.min(64, maxConcurrency), 1000, 10_000);
    if (compareServers.length) await runBaseline(ctxOld, 'warm-up baseline (GraphQL-old)', Math.min(64, maxConcurrency), 1000, 10_000);
    const warmSale = async (seller: Seller | undefined, units: number) => {
      if (!seller) return;
      const catalog = await fx.createCatalog(tag('warm'), 1, units);
      const target = saleTargets(catalog)[0];
      await runSale({ name: 'warm-up', concurrency: Math.min(32, maxConcurrency), seller, pick: () => target, maxRequests: units * 3, maxDurationMs: 20_000, stopOnSoldOut: true });
    };
    await warmSale(sellersRaw.L2, 200);
    await warmSale(graphqlBuyNow(ctx, tag('warm')), 300);
    if (pessimisticServers.length) await warmSale(graphqlBuyNow(ctxP, tag('warm')), 300);
    await warmSale(graphqlCartCheckout(ctx, tag('warm')), 150);
    if (compareServers.length) {
      await warmSale(graphqlBuyNow(ctxOld, tag('warm')), 300);
      await warmSale(graphqlCartCheckout(ctxOld, tag('warm')), 150);
    }

    const sold = (catalog: Catalog, ok: number, ledger: LedgerMode, expectOrders = true) =>
      checkRun(fx.orm, { stockIds: catalog.stockIds, initialEach: catalog.unitsEach, okOrders: ok, ledger, expectOrders });

    // A-sale: scenario A's product in a flash sale of all its units, 2 per buyer, each buyer trying
    // 5 times (so 3 of their 5 requests are PURCHASE_LIMIT_REACHED), against plain A's GraphQL row.
    const SALE_LIMIT = 2;
    const SALE_TRIES = 5;
    const saleRow = async (c: number) => {
      const catalog = await fx.createCatalog(tag(`A-sale-${c}`), 1, plan.hot.units, '10.00');
      const target = saleTargets(catalog)[0];
      const saleId = await fx.createFlashSale(target.productId, { salePrice: '7.50', quota: plan.hot.units, perBuyerLimit: SALE_LIMIT });
      const buyers = await fx.addBuyers(Math.ceil(plan.hot.units / SALE_LIMIT) + 2 * c, tag('sale-buyer'));
      const seller = graphqlSaleBuyNow(ctx, tag('AS'), buyers, c, SALE_TRIES);
      if (!seller) return;
      const m0 = await snapshot(servers);
      const phase = await runSale({
        name: 'A-sale GraphQL',
        concurrency: c,
        seller,
        pick: () => target,
        maxRequests: Math.ceil(plan.hot.units / SALE_LIMIT) * SALE_TRIES + c * SALE_TRIES * 2,
        maxDurationMs: 180_000,
        stopOnSoldOut: true,
      });
      const m1 = await snapshot(servers);
      const check = await sold(catalog, phase.unitCodes.OK ?? 0, 'full');
      const sale = await checkFlashSale(fx.orm, { saleId, quota: plan.hot.units, perBuyerLimit: SALE_LIMIT, salePrice: '7.50' });
      const merged = { ...check, ok: check.ok && !sale.problems.length, problems: [...check.problems, ...sale.problems] };
      record(
        row('A-sale', 'GraphQL', phase, {
          expected: 'OK',
          unit: 'orders',
          counters: [m0, m1],
          server: true,
          check: merged,
          ledger: 'full',
          note: `flash sale: ${sale.sold} units to ${sale.buyers} buyers, at most ${sale.maxPerBuyer} each (limit ${SALE_LIMIT}, quota ${plan.hot.units})`,
        }),
      );
      await sleep(300);
    };

    // ------------------------------------------------------------------ A. hot SKU
    if (plan.only.has('A')) {
      print(`\nA. hot SKU: 1 product × ${plan.hot.units} units, buyNow of 1 until sold out, then ${plan.hot.soldOutRequests} sold-out requests`);
      for (const c of plan.hot.levels) {
        const strategies: [string, Seller | undefined, LedgerMode][] = [
          ['L1', sellersRaw.L1, 'none'],
          ['L2', sellersRaw.L2, 'full'],
          ['L2-late', sellersRaw['L2-late'], 'full'],
          ['P-raw', sellersRaw['P-raw'], 'full'],
          ['naive', sellersRaw.naive, 'canary'],
          ['GraphQL', graphqlBuyNow(ctx, tag('A')), 'full'],
          ...(compareServers.length ? ([['GraphQL-old', graphqlBuyNow(ctxOld, tag('AO')), 'full']] as [string, Seller | undefined, LedgerMode][]) : []),
          ...(pessimisticServers.length ? ([['GraphQL-P', graphqlBuyNow(ctxP, tag('AP')), 'full']] as [string, Seller | undefined, LedgerMode][]) : []),
        ];
        for (const [name, base, ledger] of strategies.filter(([n]) => wanted(n))) {
          if (!base) {
            print(`  A         ${name.padEnd(11)} @${c}: skipped (buyNow not in the schema yet)`);
            continue;
          }
          const catalog = await fx.createCatalog(tag(`A-${name}-${c}`), 1, plan.hot.units);
          const target = saleTargets(catalog)[0];
          const counted = conflictCounter(base);
          const isServer = name.startsWith('GraphQL');
          const counters = () => snapshot(isServer ? serversOf(name) : null);
          const m0 = await counters();
          const selling = await runSale({
            name: `A ${name}`,
            concurrency: c,
            seller: counted.seller,
            pick: () => target,
            maxRequests: name === 'naive' ? plan.hot.units * 3 : plan.hot.units * 3 + c * 4,
            maxDurationMs: 180_000,
            stopOnSoldOut: true,
          });
          const m1 = await counters();
          const soldOut = await runSale({
            name: `A sold out ${name}`,
            concurrency: c,
            seller: base,
            pick: () => target,
            maxUnits: plan.hot.soldOutRequests,
            maxRequests: plan.hot.soldOutRequests * 2,
            maxDurationMs: 30_000,
            stopOnSoldOut: false,
          });
          const m2 = await counters();
          // Orders from both phases: a sale after "sold out" would be an oversell the check must see.
          const check = await sold(catalog, (selling.unitCodes.OK ?? 0) + (soldOut.unitCodes.OK ?? 0), ledger);
          record(
            row('A', name, selling, {
              expected: 'OK',
              unit: 'orders',
              counters: [m0, m1],
              server: isServer,
              conflictsWhileStock: counted.conflictsWhileStock(),
              check,
              ledger,
            }),
          );
          const unexpected = Object.keys(soldOut.unitCodes).filter((k) => k !== 'INSUFFICIENT_STOCK');
          record(
            row('A-soldout', name, soldOut, {
              expected: 'INSUFFICIENT_STOCK',
              unit: 'rejections',
              counters: [m1, m2],
              server: isServer,
              check: null,
              note: unexpected.length ? `unexpected outcomes after sell-out: ${unexpected.join(', ')}` : undefined,
            }),
          );
          await sleep(300);
        }
        if (wanted('L4')) await baselineRow('A', c, plan.hot.units, 60_000);
        if (wanted('GraphQL')) await saleRow(c);
      }
    }

    // ------------------------------------------------------------------ B. many SKUs
    if (plan.only.has('B')) {
      print(`\nB. many SKUs: ${plan.many.products} products, Zipf s=${plan.many.s}, ${plan.many.orders} orders of 1 unit per run`);
      for (const c of plan.many.levels) {
        const strategies: [string, Seller | undefined, LedgerMode][] = [
          ['L1', sellersRaw.L1, 'none'],
          ['L2', sellersRaw.L2, 'full'],
          ['L2-cart', sellersRaw['L2-cart'], 'full'],
          // What an order counter on the write path would cost (docs/SCALING.md): only when asked for by name.
          ...(['L2+count1', 'L2+count16'] as const).filter((n) => plan.strategies?.has(n)).map((n): [string, Seller | undefined, LedgerMode] => [n, sellersRaw[n], 'full']),
          ['P-raw', sellersRaw['P-raw'], 'full'],
          ['GraphQL', graphqlCartCheckout(ctx, tag('B')), 'full'],
          ...(compareServers.length ? ([['GraphQL-old', graphqlCartCheckout(ctxOld, tag('BO')), 'full']] as [string, Seller | undefined, LedgerMode][]) : []),
        ];
        for (const [name, seller, ledger] of strategies.filter(([n]) => wanted(n))) {
          if (!seller) {
            print(`  B         ${name.padEnd(11)} @${c}: skipped (addToCart/checkout not in the schema yet)`);
            continue;
          }
          // Enough stock that no SKU sells out: B measures contention, not the sold-out path.
          const catalog = await fx.createCatalog(tag(`B-${name}-${c}`), plan.many.products, plan.many.orders);
          const isServer = name.startsWith('GraphQL');
          const m0 = await snapshot(isServer ? serversOf(name) : null);
          const phase = await runSale({
            name: `B ${name}`,
            concurrency: c,
            seller,
            pick: zipfPicker(saleTargets(catalog), plan.many.s, 7),
            maxUnits: plan.many.orders,
            maxRequests: plan.many.orders * 4,
            maxDurationMs: 180_000,
            stopOnSoldOut: false,
          });
          const m1 = await snapshot(isServer ? serversOf(name) : null);
          const check = await sold(catalog, phase.unitCodes.OK ?? 0, ledger);
          record(row('B', name, phase, { expected: 'OK', unit: 'orders', counters: [m0, m1], server: isServer, check, ledger }));
          await sleep(300);
        }
        if (wanted('L4')) await baselineRow('B', c, plan.many.orders, 60_000);
      }
    }

    // ------------------------------------------------------------------ C. cart churn
    const churnStrategies: [string, BenchContext][] = (
      [['GraphQL', ctx], ...(compareServers.length ? [['GraphQL-old', ctxOld]] : [])] as [string, BenchContext][]
    ).filter(([n]) => wanted(n));
    if (plan.only.has('C') && churnStrategies.length) {
      print(`\nC. cart churn: ${plan.churn.products} shared products × ${plan.churn.unitsEach} units, 2–4 line carts, ${plan.churn.durationMs / 1000} s per run`);
      for (const c of plan.churn.levels) {
        for (const [name, sctx] of churnStrategies) {
          const catalog = await fx.createCatalog(tag(`C-${name}-${c}`), plan.churn.products, plan.churn.unitsEach);
          const m0 = await snapshot(sctx.servers);
          const phase = await runChurn(sctx, {
            name: `C ${name}`,
            concurrency: c,
            catalog,
            s: plan.churn.s,
            seed: 11,
            maxRequests: 1_000_000,
            maxDurationMs: plan.churn.durationMs,
          });
          if (!phase) {
            print(`  C         ${name.padEnd(11)} @${c}: skipped (cart operations not in the schema yet)`);
            continue;
          }
          const m1 = await snapshot(sctx.servers);
          const cleared = await clearCarts(sctx, c);
          const check = await sold(catalog, 0, 'full', false);
          const leftovers = await leftoverCartItems(fx.orm);
          if (leftovers) check.problems.push(`${leftovers} cart lines left after clearCart`);
          check.ok = check.problems.length === 0;
          record(
            row('C', name, phase, {
              expected: 'OK',
              unit: 'cart ops',
              counters: [m0, m1],
              server: true,
              check,
              note: `clearCart afterwards: ${Object.entries(cleared).map(([k, v]) => `${k}:${v}`).join(' ')}`,
            }),
          );
          await sleep(300);
        }
        if (wanted('L4')) await baselineRow('C', c, 1_000_000, plan.churn.durationMs);
      }
    }

    // ------------------------------------------------------------------ report
    const info = machine(db.serverVersion);
    const serverLogs: Record<string, number> = {};
    for (const s of servers) for (const [k, v] of Object.entries(s.logCounts)) serverLogs[k] = (serverLogs[k] ?? 0) + v;
    for (const s of compareServers) for (const [k, v] of Object.entries(s.logCounts)) serverLogs[`GraphQL-old ${k}`] = (serverLogs[`GraphQL-old ${k}`] ?? 0) + v;
    const setup = `${plan.servers} server processes (WORKERS=1 each, DATABASE_POOL_SIZE=${plan.pool}, NODE_ENV=production, LOG_LEVEL=warn, WRITE_RATE_LIMIT_PER_USER=1000000); raw SQL pool ${plan.servers * plan.pool} connections; retry policy ${fx.config.retry.maxAttempts} attempts, ${fx.config.retry.baseDelayMs}–${fx.config.retry.maxDelayMs} ms${plan.serverMain ? `; servers run ${plan.serverMain}` : ''}${Object.keys(plan.serverEnv).length ? `; server env ${Object.entries(plan.serverEnv).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}${plan.pessimisticEnv ? `; GraphQL-P servers add ${Object.keys(plan.pessimisticEnv).join(', ')}` : ''}${compareServers.length ? `; GraphQL-old: ${plan.servers} more server processes (same env, same database) run ${plan.compareMain} from ${buildRoot(plan.compareMain!)}` : ''}`;
    print(`\n${textTable(rows)}\n`);
    print(outcomeLines(rows).join('\n'));
    const sales = saleLines(rows);
    if (sales.length) print(`\nFlash sale vs plain A (rate ratio, same run):\n${sales.map((l) => `  ${l}`).join('\n')}`);
    const comparison = compareLines(rows);
    if (comparison.length) print(`\nThis build vs --compare-main (rate ratio, same run):\n${comparison.map((l) => `  ${l}`).join('\n')}`);
    const verdicts = targetVerdicts(rows);
    print('\nTargets (measured, not asserted):');
    for (const v of verdicts) print(`  [${v.met === null ? ' ? ' : v.met ? 'met' : 'MISSED'}] ${v.target}: ${v.measured}`);
    if (Object.keys(serverLogs).length) print(`\nServer warn/error log lines: ${JSON.stringify(serverLogs)}`);
    print(`\n${Object.entries(info).map(([k, v]) => `${k}: ${v}`).join(' | ')}`);
    print(`${setup}\nwall time ${((Date.now() - started) / 1000).toFixed(0)} s`);

    // Raw results always go to a temp directory; the chart goes next to the document when there is one.
    const rawDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-bench-'));
    const outDir = plan.out ? path.dirname(plan.out) : rawDir;
    const svgName = plan.out ? 'benchmarks-chart.svg' : 'chart.svg';
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, svgName), renderChart(rows, `${info.date.slice(0, 10)} · ${info.nproc} cores · ${info.database} · node ${info.node}`));
    fs.writeFileSync(path.join(rawDir, 'results.json'), `${JSON.stringify({ machine: info, setup, rows, verdicts, serverLogs }, null, 2)}\n`);
    const section = [
      `Measured ${info.date} (${plan.quick ? 'quick' : 'full'} run, wall time ${((Date.now() - started) / 1000).toFixed(0)} s).`,
      '',
      `Machine: ${info.nproc} cores (${info.cpu}), ${info.memory} RAM, ${info.os}, Node ${info.node}, database ${info.database}.`,
      `Setup: ${setup}. Everything (load generator, servers, database) shares the same cores.`,
      '',
      `Scenarios: ${Object.entries(SCENARIO_TITLES).map(([k, v]) => `\`${k}\` = ${v}`).join('; ')}.`,
      '',
      markdownTable(rows),
      '',
      ...(comparison.length ? ['This build vs `--compare-main` (rate ratio, same run):', '', ...comparison.map((l) => `- ${l}`), ''] : []),
      '<details><summary>Outcomes per run</summary>',
      '',
      ...outcomeLines(rows),
      '',
      '</details>',
      '',
      'Targets (measured, not asserted):',
      '',
      ...verdicts.map((v) => `- ${v.met === null ? '❔' : v.met ? '✅' : '❌'} ${v.target}: **${v.measured}**`),
      '',
      Object.keys(serverLogs).length ? `Server warn/error log lines: \`${JSON.stringify(serverLogs)}\`` : 'Server warn/error log lines: none.',
      '',
      `![throughput and p99 vs concurrency](${svgName})`,
    ].join('\n');
    if (plan.out) writeDoc(plan.out, section);
    print(`\nwrote ${plan.out ? `${plan.out} and ${path.join(outDir, svgName)}` : path.join(outDir, svgName)}; raw results in ${path.join(rawDir, 'results.json')}`);
  } finally {
    await cleanup();
  }
  if (failures) {
    print(`\n${failures} run(s) broke an invariant (see check column)`);
    process.exitCode = 1;
  }
}

/**
 * Scenario D on databases of its own: the small data set, then the big one (generated, or an
 * earlier run's kept database with --d-reuse), each with its own server processes.
 */
async function runScale(plan: Plan): Promise<void> {
  const secrets = benchSecrets();
  const ops = await loadOperations();
  const results: ScaleMeasurement[] = [];
  print(`D. data at scale: small ×${plan.scale.small}, big ×${plan.scale.big}${plan.scale.reuse ? ` (reusing ${plan.scale.reuse})` : ''}`);
  for (const [label, scale] of [['small', plan.scale.small], ['big', plan.scale.big]] as const) {
    const reuse = label === 'big' ? plan.scale.reuse : null;
    let db: BenchDatabase | null = null;
    let url: string;
    if (reuse) {
      const u = new URL(plan.mysqlUrl);
      u.pathname = `/${reuse}`;
      url = u.toString();
    } else {
      db = await createBenchDatabase(plan.mysqlUrl);
      url = db.url;
    }
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      DATABASE_URL: url,
      DATABASE_POOL_SIZE: String(plan.pool),
      SEED_DEMO_DATA: '0',
      LOG_LEVEL: 'warn',
      WRITE_RATE_LIMIT_PER_USER: '1000000',
      ...secrets,
      ...plan.serverEnv,
    };
    // The bench's own connections (generation checks, the audits) read whole tables: they get the
    // statement bounds of a long operator task, as the audit CLI does; the servers keep theirs.
    const fx = await Fixtures.create({ ...env, DATABASE_STATEMENT_TIMEOUT_MS: '3600000', DATABASE_QUERY_TIMEOUT_MS: '3600000' }, 64);
    let servers: ServerProcess[] = [];
    try {
      print(`  ${label}: database ${db?.name ?? reuse}`);
      const data = reuse ? await findScaleData(url) : await generateScaleData(url, scale, fx.seller.id, print);
      if (!data) throw new Error(`--d-reuse=${reuse}: no scenario D data in that database`);
      if (!reuse) print(`    generated in ${(data.generatedInMs / 1000).toFixed(1)} s: ${JSON.stringify(data.counts)}`);
      servers = await Promise.all(Array.from({ length: plan.servers }, () => startServer(env, 64, { main: plan.serverMain })));
      const ctx: BenchContext = { servers, buyers: fx.buyers, ops, raw: undefined as never };
      await runBaseline(ctx, 'D warm-up', 32, 500, 10_000);
      results.push(await measureScale(ctx, fx, data, { samples: 30, writeUnits: 600, tag: `D${label}-${Date.now().toString(36)}`, log: print }));
    } finally {
      await Promise.all(servers.map(stopServer)).catch(() => undefined);
      await fx.close().catch(() => undefined);
      if (db && !(plan.keepDb && label === 'big')) await db.drop().catch(() => undefined);
      else if (db) print(`    kept database ${db.name} (measure it again with --d-reuse=${db.name})`);
    }
  }
  const [small, big] = results;
  print(`\n${growthLines(small, big).join('\n')}`);
  print('\nTargets (measured, not asserted):');
  for (const [name, p50] of Object.entries(big.reads)) {
    const factor = p50 / small.reads[name];
    print(`  [${p50 <= 50 && factor <= 2 ? 'met' : 'MISSED'}] ${name}: ${p50.toFixed(1)} ms p50 at the big size (≤ 50), ${factor.toFixed(2)}× small (≤ 2)`);
  }
  const full = big.audit['full audit'] / 1000;
  const incremental = big.audit['incremental audit'] / 1000;
  print(`  [${full <= 15 ? 'met' : 'MISSED'}] full audit of ${big.counts.stock_movements} movements: ${full.toFixed(1)} s (≤ 15)`);
  print(`  [${incremental <= 2 ? 'met' : 'MISSED'}] incremental audit: ${incremental.toFixed(2)} s (≤ 2)`);
}

const BEGIN = '<!-- bench:results:begin (generated by `npm run bench`; text outside these markers is kept) -->';
const END = '<!-- bench:results:end -->';

/** Replaces the generated section of the document, keeping the hand-written text around it. */
function writeDoc(file: string, section: string): void {
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const block = `${BEGIN}\n${section}\n${END}`;
  let next: string;
  const a = existing.indexOf(BEGIN);
  const b = existing.indexOf(END);
  if (a >= 0 && b > a) next = `${existing.slice(0, a)}${block}${existing.slice(b + END.length)}`;
  else next = `# Benchmarks\n\n${block}\n`;
  fs.writeFileSync(file, next);
}

main().catch((error: Error) => {
  process.stderr.write(`benchmark failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
