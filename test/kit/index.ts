/**
 * The test kit: what every suite uses to get a database, a server and data. Suites import it from
 * here (and the entity enums from src/entities); the benchmark imports ./db and ./fixtures, which
 * need no jest. Within the kit only ./internals imports src/.
 */
export { expectAuditClean } from './audit';
export { codeOf, errorCode, expectData, GraphQLClient, metricOf, tally, type GraphQLResponse } from './client';
export { createTestDatabase, TEST_DB } from './db';
export * from './fixtures';
export { runsOnPrivateMariadb, useCluster, usePrivateMariadb, useSellerStrangerAdmin, useServer, withServer } from './hooks';
export { systemContext, type Em } from './internals';
export type { PrivateMariadb } from './private-mariadb';
export { TEST_SECRETS, type TestCluster, type TestServer } from './server';
export { describeWithChromium, launchChromium } from './browser';
