import type { LatencySummary } from './load';

/** One measured line of the report: a strategy, in a scenario phase, at a concurrency. */
export interface ResultRow {
  scenario: 'A' | 'A-soldout' | 'A-sale' | 'B' | 'C';
  strategy: string;
  concurrency: number;
  /** What `rate` counts per second ('pings': L4 baseline requests, `{ __typename }` with a token). */
  unit: 'orders' | 'rejections' | 'cart ops' | 'pings';
  rate: number;
  requestsPerSecond: number;
  latency: LatencySummary;
  units: number;
  codes: Record<string, number>;
  /** Outcomes per request, by operation (a B order is addToCart + checkout). */
  requestCodes: Record<string, Record<string, number>>;
  /** unit_of_work_retries_total over the run (servers only; null for raw SQL). */
  retries: number | null;
  /** Shopper mutations' shared transactions over the run (unit_group_*; servers only, null for raw SQL). */
  groups?: { groups: number; members: number; fallbacks: number; reasons: Record<string, number> } | null;
  /** CPU milliseconds per unit: server processes, database server (null when not local), load generator + raw SQL client. */
  cpuMsPerUnit: { servers: number; db: number | null; bench: number };
  /** Database server-wide counters over the phase, per unit. */
  db: { statementsPerUnit: number; rowLockWaitsPerUnit: number; rowLockWaitMsPerUnit: number; deadlocks: number };
  /** CONFLICT outcomes, and how many of them came while stock remained. */
  conflicts: number;
  conflictsWhileStock: number | null;
  oversold: number | null;
  lostUpdates: number | null;
  check: string;
  elapsedMs: number;
  stoppedBy: string;
  note?: string;
}

export const SCENARIO_TITLES: Record<ResultRow['scenario'], string> = {
  A: 'A. hot SKU, selling out',
  'A-soldout': 'A. hot SKU, after sold out',
  'A-sale': 'A-sale. hot SKU in a flash sale (quota = stock, 2 per buyer, each buyer tries 5 times)',
  B: 'B. 1,000 SKUs, Zipf demand',
  C: 'C. cart churn',
};

function baseline(rows: ResultRow[], row: ResultRow, strategy: string): ResultRow | undefined {
  return rows.find((r) => r.scenario === row.scenario && r.concurrency === row.concurrency && r.strategy === strategy && r.rate > 0);
}

/** Rate relative to a same-scenario, same-concurrency baseline, or null when there is none. */
function ratio(rows: ResultRow[], row: ResultRow, strategy: string): number | null {
  if (row.scenario === 'A-soldout' && strategy === 'L4') return null;
  const base = baseline(rows, row, strategy);
  return base ? row.rate / base.rate : null;
}

/**
 * B's rate against half the L4 pings: a B order is two requests (addToCart + checkout), so L4/2 is
 * what the request pipeline alone allows per order. Only B: C's unit is one request already (×L4).
 */
function halfL4Ratio(rows: ResultRow[], row: ResultRow): number | null {
  if (row.scenario !== 'B') return null;
  const base = baseline(rows, row, 'L4');
  return base ? row.rate / (base.rate / 2) : null;
}

const fixed = (v: number | null | undefined, digits = 1) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits));
const int = (v: number | null | undefined) => (v === null || v === undefined ? '–' : String(Math.round(v)));

function codesText(codes: Record<string, number>): string {
  return Object.entries(codes)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}:${v}`)
    .join(' ');
}

const HEADERS = ['scenario', 'strategy', 'conc', 'rate/s', 'unit', 'req/s', '×L2', '×L1', '×L4', '×L2c', '×L4/2', 'p50 ms', 'p99 ms', 'p99.9 ms', 'retries/order', 'CONFLICT', 'oversold', 'check'];

/** Text columns, left-aligned. */
const LEFT = new Set(['scenario', 'strategy', 'unit', 'check'].map((h) => HEADERS.indexOf(h)));

function cells(rows: ResultRow[], r: ResultRow): string[] {
  const perOrder = r.retries === null ? null : r.retries / Math.max(1, r.unit === 'orders' ? r.codes.OK ?? 0 : r.units);
  return [
    r.scenario,
    r.strategy,
    String(r.concurrency),
    fixed(r.rate, 0),
    r.unit,
    fixed(r.requestsPerSecond, 0),
    fixed(ratio(rows, r, 'L2'), 2),
    fixed(ratio(rows, r, 'L1'), 2),
    fixed(ratio(rows, r, 'L4'), 2),
    fixed(ratio(rows, r, 'L2-cart'), 2),
    fixed(halfL4Ratio(rows, r), 2),
    fixed(r.latency.p50, 1),
    fixed(r.latency.p99, 1),
    fixed(r.latency.p999, 1),
    r.retries === null ? '–' : fixed(perOrder, 3),
    r.conflictsWhileStock === null ? String(r.conflicts) : `${r.conflicts} (${r.conflictsWhileStock} w/ stock)`,
    int(r.oversold),
    r.check,
  ];
}

export function textTable(rows: ResultRow[]): string {
  const body = rows.map((r) => cells(rows, r));
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...body.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => (LEFT.has(i) ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  return [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function markdownTable(rows: ResultRow[]): string {
  const out = [`| ${HEADERS.join(' | ')} |`, `|${HEADERS.map((_, i) => (LEFT.has(i) ? '---' : '---:')).join('|')}|`];
  for (const r of rows) out.push(`| ${cells(rows, r).join(' | ')} |`);
  return out.join('\n');
}

export function outcomeLines(rows: ResultRow[]): string[] {
  return rows.map(
    (r) =>
      `- ${r.scenario} ${r.strategy} @${r.concurrency}: ${r.units} units in ${(r.elapsedMs / 1000).toFixed(2)} s (stopped by ${r.stoppedBy}); outcomes ${codesText(r.codes)}` +
      (Object.keys(r.requestCodes).length > 1 ? `; requests ${Object.entries(r.requestCodes).map(([op, c]) => `${op}{${codesText(c)}}`).join(' ')}` : '') +
      `; per unit: CPU ${r.cpuMsPerUnit.servers.toFixed(2)} ms servers + ${r.cpuMsPerUnit.db === null ? '?' : r.cpuMsPerUnit.db.toFixed(2)} ms database + ${r.cpuMsPerUnit.bench.toFixed(2)} ms bench, ${r.db.statementsPerUnit.toFixed(1)} statements, ${r.db.rowLockWaitsPerUnit.toFixed(2)} row-lock waits, ${r.db.rowLockWaitMsPerUnit.toFixed(1)} ms waiting for row locks` +
      (r.db.deadlocks ? `; ${r.db.deadlocks} deadlocks` : '') +
      (r.groups?.groups
        ? `; ${r.groups.members} units in ${r.groups.groups} shared transactions (${r.groups.fallbacks} rolled back${Object.keys(r.groups.reasons).length ? `: ${codesText(r.groups.reasons)}` : ''}; their units then ran alone)`
        : '') +
      (r.lostUpdates ? `; lost updates ${r.lostUpdates}` : '') +
      (r.note ? `; ${r.note}` : ''),
  );
}

/**
 * `--compare-main`: for each scenario and concurrency where both ran, `GraphQL / GraphQL-old` of
 * the rate (orders/s in A and B, rejections/s after sell-out, cart ops/s in C), with p99 beside.
 */
export function compareLines(rows: ResultRow[]): string[] {
  const out: string[] = [];
  for (const r of rows.filter((x) => x.strategy === 'GraphQL')) {
    const old = rows.find((x) => x.scenario === r.scenario && x.concurrency === r.concurrency && x.strategy === 'GraphQL-old');
    if (!old) continue;
    out.push(
      `${r.scenario} @${r.concurrency}: GraphQL / GraphQL-old = ${old.rate > 0 ? (r.rate / old.rate).toFixed(2) : '–'}` +
        ` (${r.unit}/s ${r.rate.toFixed(0)} vs ${old.rate.toFixed(0)}; p99 ${r.latency.p99.toFixed(1)} vs ${old.latency.p99.toFixed(1)} ms)`,
    );
  }
  return out;
}

/** A-sale against plain A (GraphQL buyNow, same concurrency, same run): the cost of the sale rules. */
export function saleLines(rows: ResultRow[]): string[] {
  const out: string[] = [];
  for (const r of rows.filter((x) => x.scenario === 'A-sale' && x.strategy === 'GraphQL')) {
    const plain = rows.find((x) => x.scenario === 'A' && x.concurrency === r.concurrency && x.strategy === 'GraphQL');
    if (!plain) continue;
    out.push(
      `A-sale @${r.concurrency}: ${r.rate.toFixed(0)} orders/s vs A ${plain.rate.toFixed(0)} orders/s = ${plain.rate > 0 ? (r.rate / plain.rate).toFixed(2) : '–'}` +
        ` (${r.requestsPerSecond.toFixed(0)} vs ${plain.requestsPerSecond.toFixed(0)} req/s; p99 ${r.latency.p99.toFixed(1)} vs ${plain.latency.p99.toFixed(1)} ms)`,
    );
  }
  return out;
}

export interface TargetVerdict {
  target: string;
  measured: string;
  met: boolean | null;
}

/** The issue's targets, measured (not asserted): null when the run could not measure it. */
export function targetVerdicts(rows: ResultRow[]): TargetVerdict[] {
  const out: TargetVerdict[] = [];
  const find = (scenario: ResultRow['scenario'], strategy: string, concurrency: number) =>
    rows.find((r) => r.scenario === scenario && r.strategy === strategy && r.concurrency === concurrency);
  const hot = find('A', 'GraphQL', 64);
  if (hot) {
    const r2 = ratio(rows, hot, 'L2');
    out.push({ target: 'hot SKU @64 through GraphQL ≥ 0.5× L2', measured: `${fixed(r2, 2)}×`, met: r2 === null ? null : r2 >= 0.5 });
    out.push({ target: 'hot SKU @64: no CONFLICT while stock remains', measured: String(hot.conflictsWhileStock ?? hot.conflicts), met: (hot.conflictsWhileStock ?? hot.conflicts) === 0 });
    out.push({ target: 'hot SKU @64: p99 < 250 ms', measured: `${fixed(hot.latency.p99, 1)} ms`, met: hot.latency.p99 < 250 });
  } else {
    out.push({ target: 'hot SKU @64 through GraphQL', measured: 'not measured (buyNow not available)', met: null });
  }
  const graphqlSales = rows.filter((r) => r.strategy.startsWith('GraphQL') && (r.scenario === 'A' || r.scenario === 'B'));
  if (graphqlSales.length) {
    const worst = Math.max(...graphqlSales.map((r) => r.oversold ?? 0));
    out.push({ target: 'zero oversell through GraphQL (every run)', measured: String(worst), met: worst === 0 });
  }
  for (const r of rows.filter((x) => x.scenario === 'B' && x.strategy === 'GraphQL')) {
    const l2 = baseline(rows, r, 'L2');
    const l4 = baseline(rows, r, 'L4');
    const floor = l2 && l4 ? Math.min(l2.rate, l4.rate) : null;
    out.push({
      target: `many SKUs @${r.concurrency} ≥ 0.7× min(L2, L4)`,
      measured: floor ? `${fixed(r.rate / floor, 2)}× (min = ${fixed(floor, 0)}/s)` : 'no baseline',
      met: floor ? r.rate >= 0.7 * floor : null,
    });
    const cart = baseline(rows, r, 'L2-cart');
    const cartFloor = cart && l4 ? Math.min(cart.rate, l4.rate / 2) : null;
    out.push({
      target: `cart path @${r.concurrency} ≥ 0.5× min(L2-cart, L4/2)`,
      measured: cartFloor ? `${fixed(r.rate / cartFloor, 2)}× (min = ${fixed(cartFloor, 0)}/s)` : 'no baseline',
      met: cartFloor ? r.rate >= 0.5 * cartFloor : null,
    });
    const dbMs = r.cpuMsPerUnit.db;
    const cartDbMs = cart?.cpuMsPerUnit.db ?? null;
    out.push({
      target: `cart path @${r.concurrency}: database CPU per order ≤ 2× L2-cart's`,
      measured: dbMs !== null && cartDbMs ? `${fixed(dbMs / cartDbMs, 2)}× (${fixed(dbMs, 2)} vs ${fixed(cartDbMs, 2)} ms)` : 'database CPU not measured',
      met: dbMs !== null && cartDbMs ? dbMs <= 2 * cartDbMs : null,
    });
    if (r.concurrency === 64) out.push({ target: 'cart path @64: p99 < 150 ms', measured: `${fixed(r.latency.p99, 1)} ms`, met: r.latency.p99 < 150 });
  }
  for (const r of rows.filter((x) => x.scenario === 'C' && x.strategy === 'GraphQL' && x.concurrency === 64)) {
    const r4 = ratio(rows, r, 'L4');
    out.push({ target: 'cart churn @64 ≥ 0.3× L4', measured: `${fixed(r4, 2)}×`, met: r4 === null ? null : r4 >= 0.3 });
  }
  for (const r of rows.filter((x) => x.scenario === 'A' && x.strategy === 'GraphQL')) {
    const r2 = ratio(rows, r, 'L2');
    out.push({ target: `hot SKU @${r.concurrency} ≥ 1.0× L2`, measured: `${fixed(r2, 2)}×`, met: r2 === null ? null : r2 >= 1 });
  }
  for (const r of rows.filter((x) => x.scenario === 'A' && x.strategy === 'GraphQL')) {
    const p = baseline(rows, r, 'P-raw');
    if (p) out.push({ target: `hot SKU @${r.concurrency}: GraphQL ≥ pessimistic (raw SQL)`, measured: `${fixed(r.rate / p.rate, 2)}×`, met: r.rate >= p.rate });
    const gp = baseline(rows, r, 'GraphQL-P');
    if (gp) out.push({ target: `hot SKU @${r.concurrency}: GraphQL ≥ GraphQL with row locking`, measured: `${fixed(r.rate / gp.rate, 2)}×`, met: r.rate >= gp.rate });
  }
  const canaries = rows.filter((r) => r.strategy === 'naive' && r.scenario === 'A');
  for (const c of canaries) {
    out.push({ target: `naive canary @${c.concurrency} oversells (the check works)`, measured: `oversold ${c.oversold}, lost updates ${c.lostUpdates}`, met: (c.oversold ?? 0) > 0 });
  }
  return out;
}
