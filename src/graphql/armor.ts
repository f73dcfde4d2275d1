import { ApolloArmor } from '@escape.tech/graphql-armor';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, NoSchemaIntrospectionCustomRule, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { AppConfig } from '../config/env';
import { checkEveryListSized, queryCostError } from './cost';
import { resultTooLargeAnswer } from './result-cap';

export interface QueryArmor {
  /** Depth, aliases and directives (graphql-armor): run with the standard validation rules. */
  validationRules: ValidationRule[];
  /**
   * For Apollo: the query cost, checked once the operation is known and with its variables, before
   * anything runs (a 400 GRAPHQL_VALIDATION_FAILED), and the answer of an operation that went over
   * the result cap replaced by its one RESULT_TOO_LARGE error (HTTP 400).
   */
  plugin: ApolloServerPlugin;
  /**
   * The refusal message when the document has more tokens than allowed, else null. Checked before
   * Apollo parses anything, so that the refusal is a clean 400 GRAPHQL_VALIDATION_FAILED (armor's
   * own Apollo plugin throws from a parsing hook, which Apollo turns into a 500).
   */
  tokenLimitError(query: string): string | null;
  /** Parse and validate for the WebSocket transport, with the same limits (cost included) as HTTP. */
  parseAndValidate(
    query: string,
    variables?: Record<string, unknown> | null,
    operationName?: string | null,
  ): { document: DocumentNode } | { errors: GraphQLError[] };
}

/** How many documents' token verdicts are remembered, and the longest text remembered. */
const TOKEN_VERDICTS = 500;
const TOKEN_VERDICT_MAX_LENGTH = 4096;

/**
 * The document limits of config.graphqlLimits. Fragments count as what they contain (so a
 * fragment adds no depth or cost of its own). Field suggestions are not armor's job here: the
 * error formatter removes every "Did you mean …" (graphql-armor's plugin covers only Apollo's
 * validation errors, not variable coercion or WebSocket errors).
 */
export function createQueryArmor(config: AppConfig, schema: GraphQLSchema): QueryArmor {
  const limits = config.graphqlLimits;
  checkEveryListSized(schema);
  const { validationRules } = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, flattenFragments: true },
    maxAliases: { n: limits.maxAliases },
    maxDirectives: { n: limits.maxDirectives },
    // The cost is ours (src/graphql/cost.ts): armor's counts `first` only when it is a literal.
    costLimit: { enabled: false },
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }).protect();

  // The verdict per document text: counting tokens is a full parse, and most requests repeat a few
  // documents. Bounded in entries and in the length of a remembered text, then started afresh.
  const verdicts = new Map<string, string | null>();
  function tokenLimitError(query: string): string | null {
    const known = verdicts.get(query);
    if (known !== undefined) return known;
    const refusal = countTokens(query);
    if (query.length <= TOKEN_VERDICT_MAX_LENGTH) {
      if (verdicts.size >= TOKEN_VERDICTS) verdicts.clear();
      verdicts.set(query, refusal);
    }
    return refusal;
  }

  function countTokens(query: string): string | null {
    let refusal: string | null = null;
    try {
      new MaxTokensParserWLexer(query, { n: limits.maxTokens, onReject: [(_ctx, error) => (refusal = error.message.replace(/^Syntax Error: /, ''))] }).parseDocument();
    } catch {
      // A syntax error is reported by the regular parser, with its usual code.
    }
    return refusal;
  }

  const wsRules = [...specifiedRules, ...validationRules, ...(config.introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  const refused = (message: string, code: string, from?: GraphQLError) =>
    new GraphQLError(message, { nodes: from?.nodes, source: from?.source, positions: from?.positions, extensions: { code } });

  const plugin: ApolloServerPlugin = {
    requestDidStart: async () => ({
      didResolveOperation: async ({ document, request }) => {
        const tooCostly = queryCostError(schema, document, request.variables, request.operationName, limits.maxCost);
        if (tooCostly) throw tooCostly;
      },
      willSendResponse: async ({ contextValue, response }) => {
        const tooLarge = resultTooLargeAnswer(contextValue);
        if (!tooLarge || response.body.kind !== 'single') return;
        response.body.singleResult = { errors: [tooLarge] };
        response.http.status = 400;
      },
    }),
  };

  return {
    validationRules,
    plugin,
    tokenLimitError,
    parseAndValidate(query, variables, operationName) {
      const tooLong = tokenLimitError(query);
      if (tooLong) return { errors: [refused(tooLong, 'GRAPHQL_VALIDATION_FAILED')] };
      let document: DocumentNode;
      try {
        document = parse(query);
      } catch (error) {
        const e = error instanceof GraphQLError ? error : undefined;
        return { errors: [refused(e?.message ?? 'Syntax error', 'GRAPHQL_PARSE_FAILED', e)] };
      }
      const errors = validate(schema, document, wsRules);
      if (errors.length) return { errors: errors.map((e) => refused(e.message, 'GRAPHQL_VALIDATION_FAILED', e)) };
      const tooCostly = queryCostError(schema, document, variables, operationName, limits.maxCost);
      if (tooCostly) return { errors: [refused(tooCostly.message, 'GRAPHQL_VALIDATION_FAILED')] };
      return { document };
    },
  };
}
