import 'reflect-metadata';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { AppConfig } from './config/env';
import { openDatabase, type Orm } from './config/database';
import { apolloLogger, logger } from './config/logger';
import { authorizationParam, buildContext, type GraphQLContext } from './graphql/context';
import { createQueryArmor } from './graphql/armor';
import { createErrorFormatter, refuseSubscriptionsOverHttp, serviceUnavailableStatus } from './graphql/errors';
import { capResultSize, resultTooLargeAnswer } from './graphql/result-cap';
import { buildAppSchema } from './graphql/schema';
import { createWebSocketLimits } from './graphql/ws-limits';
import { createRequestHandler } from './http/handler';
import { latencyPlugin } from './http/metrics';
import { routeWebSocketUpgrades } from './http/websocket';
import { createServices, type Services } from './container';
import { createBackgroundJobs } from './jobs';
import { createBootstrapAdminIfNone, seedDemoDataIfEmpty } from './services/seed.service';

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

/**
 * Assembles one server process: the database, the services (the composition root), the schema
 * served by them, HTTP and WebSocket endpoints, and (with `jobs`) the background jobs.
 */
export async function createApp(config: AppConfig, options: { orm?: Orm; jobs?: boolean; seed?: boolean } = {}): Promise<App> {
  const orm = options.orm ?? (await openDatabase(config));
  const services = createServices(config, orm);
  if (options.seed ?? config.seedDemoData) await seedDemoDataIfEmpty(orm);
  if (config.bootstrapAdmin) await createBootstrapAdminIfNone(orm, config.bootstrapAdmin);

  const schema = capResultSize(await buildAppSchema(services), config.graphqlLimits.maxResultNodes);
  const armor = createQueryArmor(config, schema);
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    validationRules: armor.validationRules,
    logger: apolloLogger,
    introspection: config.introspection,
    formatError: createErrorFormatter(config.debugErrors),
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    // No cache hints are given (every answer is per buyer and live), so Apollo's cache-control
    // plugin, on by default, would only wrap every field resolver of every request.
    plugins: [
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      armor.plugin,
      refuseSubscriptionsOverHttp(),
      serviceUnavailableStatus(),
      latencyPlugin(config.metrics.maxOperationNames),
    ],
  });
  await apollo.start();

  const handler = createRequestHandler({
    apollo,
    orm,
    config,
    tokenLimitError: armor.tokenLimitError,
    buildContext: (req) => buildContext({ orm, auth: services.auth }, req),
  });
  const server = http.createServer((req, res) => {
    void handler(req, res);
  });
  server.keepAliveTimeout = 65_000;

  // Subscriptions: graphql-ws on the same path; the token travels in connectionParams.authorization
  // (any case: GraphiQL sends its Headers tab as is). The legacy protocol is refused with a reason.
  const formatError = createErrorFormatter(config.debugErrors);
  const format = (errors: readonly GraphQLError[]): GraphQLFormattedError[] => errors.map((e) => formatError(e.toJSON(), e));
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxBodyBytes });
  const closeLegacyWebSockets = routeWebSocketUpgrades(server, '/graphql', wss);
  const wsLimits = createWebSocketLimits(config.webSocket);
  wsLimits.limitConnections(wss);
  const wsServer = useServer(
    {
      schema,
      // The same document limits as over HTTP (and no introspection when it is off there).
      onSubscribe: (_ctx, _id, payload) => {
        const tooMany = wsLimits.refuseSubscription(_ctx);
        if (tooMany) return tooMany;
        const checked = armor.parseAndValidate(payload.query, payload.variables, payload.operationName);
        if ('errors' in checked) return checked.errors;
        return { schema, document: checked.document, variableValues: payload.variables, operationName: payload.operationName };
      },
      context: (wsCtx) => {
        const authorization = authorizationParam(wsCtx.connectionParams);
        const req = wsCtx.extra.request;
        return buildContext(
          { orm, auth: services.auth },
          { headers: authorization ? { authorization } : {}, ip: req.socket.remoteAddress ?? 'unknown' },
        );
      },
      onError: (_ctx, _id, _payload, errors) => format(errors),
      onNext: (_ctx, _id, _payload, args, result) => {
        const tooLarge = resultTooLargeAnswer(args.contextValue);
        if (tooLarge) return { errors: [tooLarge] as never };
        return 'errors' in result && result.errors ? { ...result, errors: format(result.errors) as never } : undefined;
      },
    },
    wss,
  );

  const timers: NodeJS.Timeout[] = [];
  for (const job of options.jobs ? createBackgroundJobs(config, orm, services) : []) {
    if (job.intervalMs <= 0) continue;
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      job
        .run()
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
        services.stockWatch.stop();
        await wsServer.dispose();
        closeLegacyWebSockets();
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
