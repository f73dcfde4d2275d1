import type { ResultRow } from './report';

/**
 * A hand-written SVG line chart (no libraries): for each sale scenario, throughput and p99
 * latency against concurrency, one line per strategy. Concurrency is on a log2 axis, values on a
 * log10 axis.
 */

const COLORS: Record<string, string> = {
  GraphQL: '#d62728',
  'GraphQL-P': '#8c564b',
  'GraphQL-old': '#e377c2',
  L1: '#7f7f7f',
  L2: '#1f77b4',
  'L2-late': '#17becf',
  'L2+count1': '#bcbd22',
  'L2+count16': '#aec7e8',
  'P-raw': '#9467bd',
  naive: '#ff7f0e',
  L4: '#2ca02c',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Tick values 1, 2, 5 × 10^k covering [lo, hi]. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k += 1) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** k;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}

interface Series {
  name: string;
  points: { x: number; y: number }[];
}

function panel(x0: number, y0: number, w: number, h: number, title: string, yLabel: string, series: Series[], xs: number[]): string {
  const left = 56;
  const bottom = 34;
  const top = 24;
  const right = 10;
  const pw = w - left - right;
  const ph = h - top - bottom;
  // Log scale on y: the baselines run 10–100× faster than the full stack, and both must be readable.
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter((y) => Number.isFinite(y) && y > 0);
  const yLo = 10 ** Math.floor(Math.log10(Math.min(...ys, 1e9)));
  const yHi = 10 ** Math.ceil(Math.log10(Math.max(...ys, yLo * 10)));
  const lx = xs.map((x) => Math.log2(x));
  const xMin = Math.min(...lx);
  const xMax = Math.max(...lx);
  const px = (x: number) => x0 + left + (xMax === xMin ? pw / 2 : ((Math.log2(x) - xMin) / (xMax - xMin)) * pw);
  const py = (y: number) => y0 + top + ph - ((Math.log10(y) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * ph;
  const out: string[] = [];
  out.push(`<text x="${x0 + left}" y="${y0 + 15}" font-size="13" font-weight="bold">${esc(title)}</text>`);
  out.push(`<rect x="${x0 + left}" y="${y0 + top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (const v of logTicks(yLo, yHi)) {
    const y = py(v);
    out.push(`<line x1="${x0 + left}" x2="${x0 + left + pw}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${x0 + left - 4}" y="${(y + 4).toFixed(1)}" font-size="10" text-anchor="end">${v >= 1 ? v : +v.toFixed(3)}</text>`);
  }
  for (const x of xs) {
    out.push(`<text x="${px(x).toFixed(1)}" y="${y0 + top + ph + 14}" font-size="10" text-anchor="middle">${x}</text>`);
  }
  out.push(`<text x="${x0 + left + pw / 2}" y="${y0 + h - 4}" font-size="10" text-anchor="middle">concurrent buyers</text>`);
  out.push(
    `<text x="${x0 + 12}" y="${y0 + top + ph / 2}" font-size="10" text-anchor="middle" transform="rotate(-90 ${x0 + 12} ${y0 + top + ph / 2})">${esc(yLabel)}</text>`,
  );
  for (const s of series) {
    const color = COLORS[s.name] ?? '#000';
    const pts = s.points.filter((p) => Number.isFinite(p.y) && p.y > 0).sort((a, b) => a.x - b.x);
    if (pts.length > 1) {
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`);
    }
    for (const p of pts) out.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${color}"/>`);
  }
  return out.join('\n');
}

export function renderChart(rows: ResultRow[], subtitle: string): string {
  const scenarios: { key: ResultRow['scenario']; title: string }[] = [
    { key: 'A', title: 'Hot SKU (selling out)' },
    { key: 'B', title: '1,000 SKUs, Zipf s=1.1' },
  ].filter((s) => rows.some((r) => r.scenario === s.key)) as { key: ResultRow['scenario']; title: string }[];
  const w = 460;
  const h = 260;
  const legendH = 30;
  const width = w * 2;
  const height = 40 + scenarios.length * h + legendH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`);
  parts.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  parts.push(`<text x="10" y="18" font-size="15" font-weight="bold">Flash-sale benchmark: throughput and p99 vs concurrency</text>`);
  parts.push(`<text x="10" y="34" font-size="11" fill="#555">${esc(subtitle)}</text>`);
  const strategies = new Set<string>();
  scenarios.forEach((s, i) => {
    const mine = rows.filter((r) => r.scenario === s.key);
    const xs = [...new Set(mine.map((r) => r.concurrency))].sort((a, b) => a - b);
    const names = [...new Set(mine.map((r) => r.strategy))];
    names.forEach((n) => strategies.add(n));
    const series = (pick: (r: ResultRow) => number) =>
      names.map((name) => ({ name, points: mine.filter((r) => r.strategy === name).map((r) => ({ x: r.concurrency, y: pick(r) })) }));
    const unit = mine[0]?.unit === 'pings' ? 'per s' : 'orders/s (L4: pings/s)';
    parts.push(panel(0, 40 + i * h, w, h, `${s.title}: throughput (log)`, unit, series((r) => r.rate), xs));
    parts.push(panel(w, 40 + i * h, w, h, `${s.title}: p99 latency (log)`, 'p99 ms', series((r) => r.latency.p99), xs));
  });
  let lx = 20;
  const ly = 40 + scenarios.length * h + 18;
  for (const name of strategies) {
    parts.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="12" fill="${COLORS[name] ?? '#000'}"/>`);
    parts.push(`<text x="${lx + 16}" y="${ly + 1}" font-size="11">${esc(name)}</text>`);
    lx += 30 + name.length * 7;
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
