/**
 * Every suite runs against SQLite; when DATABASE_URL_MYSQL (or TEST_MYSQL_URL) is set, every suite
 * runs against MySQL/MariaDB too. Each suite gets its own fresh database.
 */
const mysqlUrl = process.env.DATABASE_URL_MYSQL || process.env.TEST_MYSQL_URL;
const transform = { '^.+\\.ts$': ['@swc/jest'] };
const common = {
  testEnvironment: 'node',
  transform,
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  setupFiles: ['<rootDir>/test/setup/env.ts'],
};

module.exports = {
  maxWorkers: 2,
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'sqlite', globals: { __TEST_DB__: 'sqlite' } },
    ...(mysqlUrl ? [{ ...common, displayName: 'mysql', globals: { __TEST_DB__: 'mysql' } }] : []),
  ],
};
