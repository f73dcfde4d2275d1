/**
 * Every suite runs against SQLite; when DATABASE_URL_MYSQL (or TEST_MYSQL_URL) is set, every suite
 * runs against MySQL/MariaDB too. Each suite gets its own fresh database. What did not run (the
 * MySQL project, browser suites without Chromium) is listed after the summary
 * (test/setup/global-teardown.ts); in CI (CI=true) nothing may be left out: a missing MySQL URL
 * stops the run before any suite (test/setup/global-setup.ts; not here, so that tools that only read
 * this file, such as knip, work in CI), a missing Chromium fails its suites (test/kit/browser.ts).
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
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  projects: [
    { ...common, displayName: 'sqlite', globals: { __TEST_DB__: 'sqlite' } },
    ...(mysqlUrl ? [{ ...common, displayName: 'mysql', globals: { __TEST_DB__: 'mysql' } }] : []),
  ],
};
