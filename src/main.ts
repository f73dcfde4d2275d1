import './config/dotenv'; // first: .env must be in process.env before any module reads it
import 'reflect-metadata';
import cluster from 'node:cluster';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config/env';
import { openDatabase } from './config/database';
import { logger } from './config/logger';
import { serveClusterMetrics } from './http/metrics';

/**
 * Entry point. With WORKERS=N the primary prepares the database once (migrations, demo data) and
 * forks N workers that share the port; every worker is stateless, so any number of them, on any
 * number of machines, can serve the same database.
 */
async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const { config, warnings } = loaded;
  if (cluster.isPrimary) warnings.forEach((w) => logger.warn(w));

  if (config.workers > 1 && cluster.isPrimary) {
    // Workers inherit the environment: share any secret generated for this run with all of them.
    process.env.JWT_SECRET = config.jwt.secret;
    process.env.TOTP_ENCRYPTION_KEY = config.totpEncryptionKey;
    const orm = await openDatabase(config);
    const { seedDemoDataIfEmpty } = await import('./services/seed.service');
    if (config.seedDemoData) await seedDemoDataIfEmpty(orm);
    await orm.close(true);
    logger.info('starting workers', { workers: config.workers, port: config.port });
    serveClusterMetrics();
    let stopping = false;
    for (let i = 0; i < config.workers; i += 1) cluster.fork();
    cluster.on('exit', (worker, code) => {
      if (stopping) return;
      logger.error('worker exited, starting a new one', { worker: worker.process.pid, code });
      cluster.fork();
    });
    const stop = () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return;
  }

  const app = await createApp(config, { jobs: true, seed: config.workers > 1 ? false : undefined });
  const url = await app.listen();
  logger.info('listening', { url, graphql: `${url}/graphql`, database: config.database.kind });
  const shutdown = (signal: string) => {
    logger.info('shutting down', { signal });
    app
      .close()
      .then(() => process.exit(0))
      .catch((error: Error) => {
        logger.error('shutdown failed', { error });
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: Error) => {
  logger.error('failed to start', { error });
  process.exit(1);
});
