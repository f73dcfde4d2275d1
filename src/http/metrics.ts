import type { ApolloServerPlugin } from '@apollo/server';
import cluster from 'node:cluster';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { buyNowBatchStats } from '../services/buy-now-batcher';
import { unitGroupStats } from '../db/unit-group';
import { unitOfWorkStats } from '../db/unit-of-work';

/**
 * This process's metrics (prom-client): the default process metrics (event-loop lag, GC, heap,
 * handles, CPU, memory), the request counters, the GraphQL latency histogram, and the unit-of-work
 * and buyNow counters, which their modules keep as plain numbers (read at each scrape here, so the
 * database and service layers do not depend on a metrics library).
 *
 * With WORKERS > 1, `/metrics` on any worker answers the whole cluster's metrics: the worker asks
 * the primary, which collects every worker's registry (prom-client's AggregatorRegistry; counters
 * and histograms are summed, gauges as each declares).
 */
const registry = new Registry();
collectDefaultMetrics({ register: registry });

const registers = [registry];

const httpRequests = new Counter({ name: 'http_requests_total', help: 'HTTP requests received', registers });
const graphqlRequests = new Counter({ name: 'graphql_requests_total', help: 'GraphQL operations received over HTTP', registers });
const unexpectedErrors = new Counter({ name: 'http_unexpected_errors_total', help: 'HTTP requests that failed with an unexpected error (500)', registers });
const inFlight = new Gauge({ name: 'http_requests_in_flight', help: 'HTTP requests being served', registers });

/** A counter that reports a number another module counts (reset and set at each scrape). */
function mirroredCounter(name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** The same, one series per `reason` label. */
function mirroredCounterByReason(name: string, help: string, read: () => Record<string, number>): void {
  new Counter({
    name,
    help,
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      for (const [reason, count] of Object.entries(read())) this.inc({ reason }, count);
    },
  });
}

mirroredCounter('unit_of_work_total', 'Units of work started', () => unitOfWorkStats.units);
mirroredCounter('unit_of_work_retries_total', 'Units of work retried after a conflict', () => unitOfWorkStats.retries);
mirroredCounter('unit_of_work_exhausted_total', 'Units of work that ran out of retries (CONFLICT)', () => unitOfWorkStats.exhausted);
mirroredCounterByReason('unit_of_work_retries_by_reason_total', 'Units of work retried, by what made them retry', () => unitOfWorkStats.retriesByReason);
mirroredCounter('buy_now_batches_total', 'buyNow transactions (each sells a batch of concurrent requests for one product)', () => buyNowBatchStats.batches);
mirroredCounter('buy_now_batched_requests_total', 'buyNow requests those transactions carried (sales, replays and refusals)', () => buyNowBatchStats.requests);
mirroredCounter('buy_now_probes_total', 'Shared sold-out reads of buyNow (after a product ran short)', () => buyNowBatchStats.probes);
mirroredCounter('buy_now_probed_requests_total', 'buyNow requests checked by those reads', () => buyNowBatchStats.probedRequests);
mirroredCounter('unit_groups_total', 'Shared transactions of shopper mutations (each carries the units of several shoppers)', () => unitGroupStats.groups);
mirroredCounter('unit_group_members_total', 'Units of work those shared transactions carried', () => unitGroupStats.members);
mirroredCounter('unit_group_members_failed_alone_total', 'Units that failed having only read, alone, in a shared transaction that went on and committed', () => unitGroupStats.failedAlone);
mirroredCounter('unit_group_bypassed_total', 'Units run alone at once because their shopper already had 8 waiting for shared transactions', () => unitGroupStats.bypassed);
mirroredCounter('unit_group_fallbacks_total', 'Shared transactions rolled back (a member failed), whose members then ran alone', () => unitGroupStats.fallbacks);
mirroredCounterByReason(
  'unit_group_fallbacks_by_reason_total',
  'Shared transactions rolled back, by what failed first (a retry reason, a domain error code, or an error name)',
  () => unitGroupStats.fallbacksByReason,
);
new Gauge({
  name: 'unit_group_largest',
  help: 'Most units of work one shared transaction has carried',
  registers,
  aggregator: 'max',
  collect() {
    this.set(unitGroupStats.largest);
  },
});
new Gauge({
  name: 'buy_now_batch_largest',
  help: 'Most buyNow requests one transaction has carried',
  registers,
  aggregator: 'max',
  collect() {
    this.set(buyNowBatchStats.largest);
  },
});
new Gauge({
  name: 'process_uptime_seconds',
  help: 'Seconds since the process started (the longest-running worker with WORKERS > 1)',
  registers,
  aggregator: 'max',
  collect() {
    this.set(Math.round(process.uptime()));
  },
});

const latency = new Histogram({
  name: 'graphql_request_duration_seconds',
  help: 'GraphQL operations over HTTP, from Apollo receiving one to its answer, by operation name and outcome (ok, or the first error code)',
  labelNames: ['operation', 'outcome'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});

/** Counts one HTTP request until its response closes. */
export function countHttpRequest(res: { once(event: 'close', listener: () => void): unknown }): void {
  httpRequests.inc();
  inFlight.inc();
  res.once('close', () => inFlight.dec());
}

export const countGraphqlRequest = (): void => graphqlRequests.inc();
export const countUnexpectedError = (): void => unexpectedErrors.inc();

/** Operation names are chosen by clients: at most this long, and only so many distinct ones. */
const OPERATION_NAME_MAX = 64;
const operationNames = new Set<string>();

/**
 * The histogram's `operation` label, of bounded cardinality: `(anonymous)` for an operation without
 * a name, `(invalid)` when no operation ran (the document did not parse or validate: such names
 * never take a place), the name cut to 64 characters, and `(other)` once `maxNames` distinct names
 * have been seen by this process.
 */
function operationLabel(resolved: boolean, name: string | null | undefined, maxNames: number): string {
  if (!resolved) return '(invalid)';
  if (!name) return '(anonymous)';
  const label = name.slice(0, OPERATION_NAME_MAX);
  if (operationNames.has(label)) return label;
  if (operationNames.size >= maxNames) return '(other)';
  operationNames.add(label);
  return label;
}

/** `ok`, or the first error's code. Codes come from the server (never from the client), so they are a fixed set. */
function outcomeLabel(errors: readonly { extensions?: Record<string, unknown> }[] | undefined): string {
  if (!errors?.length) return 'ok';
  const code = errors[0].extensions?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,47}$/.test(code) ? code : 'error';
}

/** The Apollo plugin that times every operation into `graphql_request_duration_seconds`. */
export function latencyPlugin(maxOperationNames: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const stop = latency.startTimer();
      return {
        async willSendResponse({ operation, operationName, response }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          stop({ operation: operationLabel(Boolean(operation), operationName, maxOperationNames), outcome: outcomeLabel(errors) });
        },
      };
    },
  };
}

const SCRAPE_REQUEST = 'flashsale:metrics-request';
const SCRAPE_ANSWER = 'flashsale:metrics-answer';
/** prom-client's primary gives up on the workers after 5 s; a worker waits a little longer for its answer. */
const SCRAPE_TIMEOUT_MS = 6000;

interface ScrapeAnswer {
  type: typeof SCRAPE_ANSWER;
  id: number;
  text?: string;
  error?: string;
}

const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
let nextScrape = 0;

if (cluster.isWorker) {
  // Answers the primary's collection with this worker's registry (prom-client's listener).
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry();
  process.on('message', (message: ScrapeAnswer) => {
    if (message?.type !== SCRAPE_ANSWER) return;
    const pending = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error !== undefined || message.text === undefined) pending?.reject(new Error(message.error ?? 'no metrics'));
    else pending?.resolve(message.text);
  });
}

function askPrimary(): Promise<string> {
  const id = nextScrape++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error(`the primary did not answer within ${SCRAPE_TIMEOUT_MS} ms`));
    }, SCRAPE_TIMEOUT_MS);
    const settle = <T>(fn: (value: T) => void) => (value: T) => {
      clearTimeout(timer);
      fn(value);
    };
    waiting.set(id, { resolve: settle(resolve), reject: settle(reject) });
    process.send!({ type: SCRAPE_REQUEST, id });
  });
}

export const METRICS_CONTENT_TYPE = registry.contentType;

/** Prometheus text: this process's metrics, or in a cluster worker the sum over all workers. */
export function renderMetrics(): Promise<string> {
  return cluster.isWorker && process.send ? askPrimary() : registry.metrics();
}

/**
 * In the cluster's primary (main.ts): answers each worker's scrape with every worker's metrics,
 * aggregated. The primary's own process metrics are not among them: it serves no request.
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: { type?: string; id?: number }) => {
    if (message?.type !== SCRAPE_REQUEST) return;
    const answer = (body: Omit<ScrapeAnswer, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: SCRAPE_ANSWER, id: message.id, ...body });
    };
    aggregator.clusterMetrics().then(
      (text) => answer({ text }),
      (error: Error) => answer({ error: error.message }),
    );
  });
}
