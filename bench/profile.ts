import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchSecrets, createBenchDatabase, Fixtures } from './fixtures';
import type { PhaseResult } from './load';
import { loadOperations } from './operations';
import { graphqlBuyNow, graphqlCartCheckout, runBaseline, runSale, saleTargets, zipfPicker, type BenchContext } from './scenarios';
import { RawSqlStrategies } from './baselines';
import { startServer, stopServer } from './servers';

/**
 * `node dist-bench/bench/profile.js [--op=baseline|buyNow|soldout|checkout] [--concurrency=64] [--units=2000] [--server-main=path/to/main.js]`
 * (after `npm run build && tsc -p tsconfig.bench.json`)
 *
 * Where does a server process spend its time? Runs ONE server process under `--cpu-prof`, drives
 * one operation at it, then summarises the V8 profile: self time by package (mikro-orm, graphql,
 * apollo, knex, mysql2, node internals, our code) and the hottest functions. Idle time is time
 * the process waited (for the database, for locks).
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

function bucket(url: string, fn: string): string {
  if (!url) return fn === '(idle)' || fn === '(program)' || fn === '(garbage collector)' ? fn : `(native) ${fn || 'anonymous'}`;
  if (url.startsWith('node:')) return 'node internals';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.includes('/dist/src/')) return `our code: ${url.slice(url.indexOf('/dist/src/') + 10)}`;
  return url;
}

export function summarizeProfile(file: string, top = 25): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byBucket = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (!us) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const b = bucket(url, functionName);
    const key = b.startsWith('our code') ? b : b.split(':')[0];
    byBucket.set(key, (byBucket.get(key) ?? 0) + us);
    const fnKey = `${functionName || '(anonymous)'} ${url ? `${path.basename(url)}:${lineNumber + 1}` : ''} [${b}]`;
    byFunction.set(fnKey, (byFunction.get(fnKey) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const lines = [`total sampled ${(total / 1e6).toFixed(2)} s`, '', 'self time by package:'];
  for (const [k, v] of [...byBucket.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(v)}  ${k}`);
  lines.push('', 'hottest functions (self time):');
  for (const [k, v] of [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(v)}  ${k}`);

  // Inclusive time of our own functions (self + everything they call), counted once per stack.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const inclusive = new Map<number, number>();
  const total$ = (id: number): number => {
    const cached = inclusive.get(id);
    if (cached !== undefined) return cached;
    const node = byId.get(id)!;
    const sum = (selfUs.get(id) ?? 0) + (node.children ?? []).reduce((acc, c) => acc + total$(c), 0);
    inclusive.set(id, sum);
    return sum;
  };
  const ours = new Map<string, number>();
  const walk = (id: number, open: Set<string>) => {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    let next = open;
    if (url.includes('/dist/src/')) {
      const key = `${functionName || '(anonymous)'} ${url.slice(url.indexOf('/dist/src/') + 10)}:${lineNumber + 1}`;
      if (!open.has(key)) {
        ours.set(key, (ours.get(key) ?? 0) + total$(id));
        next = new Set(open).add(key);
      }
    }
    for (const c of node.children ?? []) walk(c, next);
  };
  const childIds = new Set(profile.nodes.flatMap((n) => n.children ?? []));
  for (const n of profile.nodes) if (!childIds.has(n.id)) walk(n.id, new Set());
  lines.push('', 'our functions, inclusive time (what they and their callees cost):');
  for (const [k, v] of [...ours.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(v)}  ${k}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
  const op = args.get('op') ?? 'buyNow';
  const concurrency = Number(args.get('concurrency') ?? 64);
  const units = Number(args.get('units') ?? 2000);
  process.env.LOG_LEVEL ??= 'warn';
  const db = await createBenchDatabase(process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-profile-'));
  const env = { NODE_ENV: 'production', DATABASE_URL: db.url, SEED_DEMO_DATA: '0', LOG_LEVEL: 'warn', WRITE_RATE_LIMIT_PER_USER: '1000000', METRICS_PUBLIC: '1', ...benchSecrets() };
  const fx = await Fixtures.create(env, concurrency);
  const main = args.get('server-main');
  const server = await startServer(env, concurrency, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`], main: main ? path.resolve(main) : undefined });
  const raw = new RawSqlStrategies(db.url, 10);
  try {
    const ops = await loadOperations();
    const ctx: BenchContext = { servers: [server], buyers: fx.buyers, ops, raw };
    let result: PhaseResult | undefined;
    if (op === 'baseline') {
      // The L4 baseline: `{ __typename }` with a token, the request pipeline and no resolver.
      await runBaseline(ctx, 'warm', concurrency, 500, 10_000);
      result = await runBaseline(ctx, 'baseline', concurrency, units, 60_000);
    } else if (op === 'buyNow' || op === 'checkout') {
      const seller = op === 'buyNow' ? graphqlBuyNow(ctx, `p${Date.now()}`) : graphqlCartCheckout(ctx, `p${Date.now()}`);
      if (!seller) throw new Error(`${op} is not in the schema`);
      const catalog = await fx.createCatalog('profile', op === 'buyNow' ? 1 : 1000, units * 2);
      const targets = saleTargets(catalog);
      const pick = op === 'buyNow' ? () => targets[0] : zipfPicker(targets, 1.1, 7);
      await runSale({ name: 'warm', concurrency, seller, pick, maxUnits: 300, maxRequests: 1200, maxDurationMs: 30_000, stopOnSoldOut: true });
      result = await runSale({ name: op, concurrency, seller, pick, maxUnits: units, maxRequests: units * 4, maxDurationMs: 120_000, stopOnSoldOut: true });
    } else if (op === 'soldout') {
      // A product with nothing left: every buyNow is refused (the after-sale traffic).
      const seller = graphqlBuyNow(ctx, `p${Date.now()}`);
      if (!seller) throw new Error('buyNow is not in the schema');
      const targets = saleTargets(await fx.createCatalog('profile', 1, 1));
      await runSale({ name: 'warm', concurrency, seller, pick: () => targets[0], maxRequests: 1000, maxDurationMs: 30_000, stopOnSoldOut: false });
      result = await runSale({ name: op, concurrency, seller, pick: () => targets[0], maxRequests: units, maxDurationMs: 120_000, stopOnSoldOut: false });
    } else {
      throw new Error(`unknown --op=${op}`);
    }
    if (result) {
      process.stdout.write(
        `${op} @${concurrency}: ${result.okPerSecond.toFixed(0)} ok/s, p50 ${result.unitLatency.p50.toFixed(1)} ms, p99 ${result.unitLatency.p99.toFixed(1)} ms, outcomes ${JSON.stringify(result.unitCodes)}\n\n`,
      );
    }
  } finally {
    await stopServer(server);
    await raw.close();
    await fx.close();
    await db.drop();
  }
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
  process.stdout.write(`${summarizeProfile(path.join(dir, file))}\n\nprofile: ${path.join(dir, file)}\n`);
}

if (require.main === module && process.argv[2]?.endsWith('.cpuprofile')) {
  process.stdout.write(`${summarizeProfile(process.argv[2])}\n`);
} else if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`profile failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  });
}
