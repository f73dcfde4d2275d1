/**
 * GraphQL Code Generator for the storefront: typed documents (the client preset) from the
 * committed schema and the storefront's own operations in storefront/src/operations.
 * `npm run codegen:storefront` writes storefront/src/gql; `-- --check` fails when it is stale
 * (test/storefront/codegen.test.ts runs that). The root codegen.yml is the tests' own.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: 'storefront/src/operations/*.graphql',
  generates: {
    'storefront/src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { Decimal: 'string', DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: false,
        nonOptionalTypename: true,
        skipTypeNameForRoot: true,
      },
    },
  },
};

export default config;
