import { ApolloArmor } from '@escape.tech/graphql-armor';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, NoSchemaIntrospectionCustomRule, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import type { AppConfig } from '../config/env';

export interface QueryArmor {
  /** Depth, aliases, directives and cost (graphql-armor): run with the standard validation rules. */
  validationRules: ValidationRule[];
  /**
   * The refusal message when the document has more tokens than allowed, else null. Checked before
   * Apollo parses anything, so that the refusal is a clean 400 GRAPHQL_VALIDATION_FAILED (armor's
   * own Apollo plugin throws from a parsing hook, which Apollo turns into a 500).
   */
  tokenLimitError(query: string): string | null;
  /** Parse and validate for the WebSocket transport, with the same limits as HTTP. */
  parseAndValidate(schema: GraphQLSchema, query: string): { document: DocumentNode } | { errors: GraphQLError[] };
}

/**
 * The document limits of config.graphqlLimits. Fragments count as what they contain (so a
 * fragment adds no depth or cost of its own). Field suggestions are not armor's job here: the
 * error formatter removes every "Did you mean …" (graphql-armor's plugin covers only Apollo's
 * validation errors, not variable coercion or WebSocket errors).
 */
export function createQueryArmor(config: AppConfig): QueryArmor {
  const limits = config.graphqlLimits;
  const { validationRules } = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, flattenFragments: true },
    maxAliases: { n: limits.maxAliases },
    maxDirectives: { n: limits.maxDirectives },
    costLimit: { maxCost: limits.maxCost, flattenFragments: true },
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }).protect();

  function tokenLimitError(query: string): string | null {
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

  return {
    validationRules,
    tokenLimitError,
    parseAndValidate(schema, query) {
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
      return { document };
    },
  };
}
