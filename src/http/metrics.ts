import { buyNowBatchStats } from '../services/buy-now-batcher';
import { unitOfWorkStats } from '../db/unit-of-work';

/** Prometheus text exposition of this process's counters. */
export const httpStats = { requests: 0, graphqlRequests: 0, errors: 0, inFlight: 0 };

export function renderMetrics(): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, value: number, labels = '') => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels} ${value}`);
  };
  metric('http_requests_total', 'counter', 'HTTP requests received', httpStats.requests);
  metric('graphql_requests_total', 'counter', 'GraphQL operations received', httpStats.graphqlRequests);
  metric('http_requests_in_flight', 'gauge', 'HTTP requests being served', httpStats.inFlight);
  metric('unit_of_work_total', 'counter', 'Units of work started', unitOfWorkStats.units);
  metric('unit_of_work_retries_total', 'counter', 'Units of work retried after a conflict', unitOfWorkStats.retries);
  metric('unit_of_work_exhausted_total', 'counter', 'Units of work that ran out of retries (CONFLICT)', unitOfWorkStats.exhausted);
  for (const [reason, count] of Object.entries(unitOfWorkStats.retriesByReason)) {
    lines.push(`unit_of_work_retries_by_reason_total{reason="${reason}"} ${count}`);
  }
  metric('buy_now_batches_total', 'counter', 'buyNow transactions (each sells a batch of concurrent requests for one product)', buyNowBatchStats.batches);
  metric('buy_now_batched_requests_total', 'counter', 'buyNow requests those transactions carried (sales, replays and refusals)', buyNowBatchStats.requests);
  metric('buy_now_batch_largest', 'gauge', 'Most buyNow requests one transaction has carried', buyNowBatchStats.largest);
  metric('buy_now_probes_total', 'counter', 'Shared sold-out reads of buyNow (after a product ran short)', buyNowBatchStats.probes);
  metric('buy_now_probed_requests_total', 'counter', 'buyNow requests checked by those reads', buyNowBatchStats.probedRequests);
  const mem = process.memoryUsage();
  metric('process_resident_memory_bytes', 'gauge', 'Resident memory', mem.rss);
  metric('process_uptime_seconds', 'gauge', 'Seconds since the process started', Math.round(process.uptime()));
  return `${lines.join('\n')}\n`;
}
