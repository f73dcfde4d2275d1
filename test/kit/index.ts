/**
 * The test kit: what every suite uses to get a database, a server and data. Suites import it from
 * here (and the entity enums from src/entities); the benchmark imports ./db and ./fixtures, which
 * need no jest. Within the kit only ./internals imports src/.
 */
export { expectAuditClean } from './audit';
export { errorCode, expectData, GraphQLClient, type GraphQLErrorShape, type GraphQLResponse } from './client';
export { createTestDatabase, TEST_DB, type TestDatabase } from './db';
export * from './fixtures';
export { ADMIN_EMAIL, useCluster, useSellerStrangerAdmin, useServer, withServer, type SuiteOptions } from './hooks';
export { systemContext, type Em } from './internals';
export { TEST_SECRETS, type ServerOptions, type ServerProcess, type SpawnOptions, type TestCluster, type TestServer } from './server';
