/**
 * Every suite runs against SQLite; when DATABASE_URL_MYSQL (or TEST_MYSQL_URL) is set, every suite
 * runs against MySQL/MariaDB too. Each suite gets its own fresh database. What did not run (the
 * MySQL project, browser suites without Chromium) is listed after the summary
 * (test/setup/global-teardown.ts); in CI (CI=true) nothing may be left out: a missing MySQL URL
 * stops the run here, a missing Chromium fails its suites (test/kit/browser.ts).
 */
const mysqlUrl = process.env.DATABASE_URL_MYSQL || process.env.TEST_MYSQL_URL;
const inCi = ['1', 'true', 'yes'].includes((process.env.CI ?? '').trim().toLowerCase());
if (inCi && !mysqlUrl) {
  throw new Error('CI=true but DATABASE_URL_MYSQL is not set: the MySQL suites must run in CI (e.g. DATABASE_URL_MYSQL=mysql://root@127.0.0.1:3306/test)');
}
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
