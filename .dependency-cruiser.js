/**
 * The layering of src, enforced in CI (`npm run lint:deps`). Arrows point only downward:
 *
 *   main.ts, app.ts, cli/                      (top: wire everything, start processes)
 *   container.ts                               (composition root: builds every service)
 *   graphql/ (schema.ts is the only door to resolvers), http/, jobs/
 *   resolvers/                                 (GraphQL only: arguments in, field shaping out)
 *   services/                                  (business rules, one per aggregate, no GraphQL)
 *   repositories/                              (the SQL of the tables a guarded unit of work writes)
 *   db/  entities/                             (session, unit of work, batching, pagination; ORM entities)
 *   config/                                    (env, logger, orm, database: common and entities only)
 *   common/                                    (leaf: errors, money, validation)
 *
 * Every rule is an error: a new violation fails the build instead of piling up as a warning.
 */

/** Folders and top-level files of src, as dependency-cruiser sees resolved paths. */
const SRC = {
  services: '^src/services/',
  repositories: '^src/repositories/',
  db: '^src/db/',
  entities: '^src/entities/',
  common: '^src/common/',
  config: '^src/config/',
  resolvers: '^src/resolvers/',
  graphql: '^src/graphql/',
  http: '^src/http/',
  jobs: '^src/jobs/',
  cli: '^src/cli/',
  container: '^src/container\\.ts$',
  app: '^src/app\\.ts$',
  main: '^src/main\\.ts$',
};

/** The GraphQL and transport packages (and their @types), which no business rule may know about. */
const GRAPHQL_PACKAGES = '^node_modules/(@types/)?(graphql|type-graphql|graphql-ws|ws)/|^node_modules/@apollo/server/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two modules are one module in disguise: neither can be loaded, tested or replaced alone, and load order decides which sees the other half-initialised.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-test-or-bench-in-src',
      severity: 'error',
      comment: 'The product never depends on the test kit or the benchmark: they may import src, never the reverse.',
      from: { path: '^src/' },
      to: { path: '^(bench|test)/' },
    },
    {
      name: 'services-not-upward',
      severity: 'error',
      comment:
        'Services hold business rules and know nothing of the API or of how the process is wired: they get what they use through their constructors from container.ts, and never reach up into the GraphQL layer, HTTP, jobs, the CLI or the entry points.',
      from: { path: SRC.services },
      to: { path: [SRC.graphql, SRC.resolvers, SRC.http, SRC.jobs, SRC.cli, SRC.container, SRC.app, SRC.main] },
    },
    {
      name: 'services-no-graphql-packages',
      severity: 'error',
      comment: 'No GraphQL in services: no graphql, type-graphql, @apollo/server, graphql-ws or ws (not even types). Services report failures as domain errors from src/common; src/graphql maps them for the API.',
      from: { path: SRC.services },
      to: { path: GRAPHQL_PACKAGES },
    },
    {
      name: 'repositories-not-upward',
      severity: 'error',
      comment: 'Repositories are the SQL of the guarded writes, below the services that call them: they use db, entities, config and common, nothing above.',
      from: { path: SRC.repositories },
      to: { path: [SRC.services, SRC.resolvers, SRC.graphql, SRC.http, SRC.jobs, SRC.cli, SRC.container, SRC.app, SRC.main] },
    },
    {
      name: 'db-not-upward',
      severity: 'error',
      comment: 'src/db (Sql session, unit of work, batching, pagination) is infrastructure under the repositories: it knows no repository, service or API.',
      from: { path: SRC.db },
      to: { path: [SRC.repositories, SRC.services, SRC.resolvers, SRC.graphql, SRC.http, SRC.jobs, SRC.cli, SRC.container, SRC.app, SRC.main] },
    },
    {
      name: 'entities-not-upward',
      severity: 'error',
      comment: 'Entities describe tables; they do not call the code that uses them.',
      from: { path: SRC.entities },
      to: { path: [SRC.services, SRC.repositories, SRC.db, SRC.resolvers, SRC.graphql, SRC.http, SRC.jobs, SRC.cli, SRC.container, SRC.app, SRC.main] },
    },
    {
      name: 'common-is-a-leaf',
      severity: 'error',
      comment: 'src/common (errors, money, validation helpers) is imported by every layer, so it imports nothing else from src (not entities, not config).',
      from: { path: SRC.common },
      to: { path: '^src/', pathNot: SRC.common },
    },
    {
      name: 'config-only-common-and-entities',
      severity: 'error',
      comment: 'src/config (env, logger, orm, database) is read by every layer; it may import src/common and src/entities and nothing else from src.',
      from: { path: SRC.config },
      to: { path: '^src/', pathNot: [SRC.config, SRC.common, SRC.entities] },
    },
    {
      name: 'resolvers-through-services',
      severity: 'error',
      comment: 'Resolvers are GraphQL only and reach data through services: no repositories, no db (Sql, units of work, batching), no HTTP, no entry points and no composition root (services come in through the context or constructor, not by import).',
      from: { path: SRC.resolvers },
      to: { path: [SRC.repositories, SRC.db, SRC.http, SRC.cli, SRC.container, SRC.app, SRC.main] },
    },
    {
      name: 'resolvers-only-via-schema',
      severity: 'error',
      comment: 'src/graphql/schema.ts is the one place that lists the resolvers (RESOLVERS); everything else gets them through the built schema.',
      from: { path: '^src/', pathNot: ['^src/graphql/schema\\.ts$', SRC.resolvers] },
      to: { path: SRC.resolvers },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a layer that needs another's types depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['main', 'types', 'typings'],
      extensions: ['.ts', '.d.ts', '.js', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
