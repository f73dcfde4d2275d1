import 'reflect-metadata';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from './config/env';
import { openDatabase, type Orm } from './config/database';
import { logger } from './config/logger';
import { buildContext, type GraphQLContext } from './graphql/context';
import { createErrorFormatter } from './graphql/errors';
import { buildAppSchema } from './graphql/schema';
import { createRequestHandler } from './http/handler';
import { createServices, type Services } from './services/container';
import { seedDemoDataIfEmpty } from './services/seed.service';

export interface App {
  config: AppConfig;
  orm: Orm;
  services: Services;
  server: http.Server;
  /** Starts listening; resolves with the base URL (e.g. http://127.0.0.1:4000). */
  listen(port?: number, host?: string): Promise<string>;
  /** Graceful stop: refuse new connections, let in-flight requests finish, then close the ORM. */
  close(timeoutMs?: number): Promise<void>;
}

/** A periodic background task; every process runs its own, and each is safe to run concurrently. */
export interface BackgroundJob {
  name: string;
  intervalMs: number;
  run(app: { orm: Orm; config: AppConfig; services: Services }): Promise<void>;
}

export async function createApp(config: AppConfig, options: { orm?: Orm; jobs?: BackgroundJob[]; seed?: boolean } = {}): Promise<App> {
  const orm = options.orm ?? (await openDatabase(config));
  const services = createServices(config);
  if (options.seed ?? config.seedDemoData) await seedDemoDataIfEmpty(orm, config, services);

  const schema = await buildAppSchema();
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: config.introspection,
    formatError: createErrorFormatter(config.debugErrors),
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    plugins: [ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();

  const handler = createRequestHandler({
    apollo,
    orm,
    config,
    buildContext: (req) => buildContext({ orm, config, services }, req),
  });
  const server = http.createServer((req, res) => {
    void handler(req, res);
  });
  server.keepAliveTimeout = 65_000;

  const timers: NodeJS.Timeout[] = [];
  for (const job of options.jobs ?? []) {
    if (job.intervalMs <= 0) continue;
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      job
        .run({ orm, config, services })
        .catch((error: Error) => logger.error('background job failed', { job: job.name, error }))
        .finally(() => {
          running = false;
        });
    }, job.intervalMs);
    timer.unref();
    timers.push(timer);
  }

  let closing: Promise<void> | undefined;
  return {
    config,
    orm,
    services,
    server,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address() as AddressInfo;
          const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
          resolve(`http://${shownHost}:${address.port}`);
        });
      });
    },
    close(timeoutMs = 10_000) {
      closing ??= (async () => {
        timers.forEach(clearInterval);
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
        await drained;
        clearTimeout(deadline);
        await apollo.stop();
        await orm.close(true);
      })();
      return closing;
    },
  };
}
