import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { isMoneyString, normalizeMoney } from '../../common/money';

function parse(value: unknown): string {
  if (typeof value !== 'string' || !isMoneyString(value.trim())) {
    throw new GraphQLError('Decimal must be a string like "15000000.00": at most 13 digits before the point and 2 after, not negative', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return normalizeMoney(value.trim());
}

/** Money as an exact decimal string ("15000000.00"). Floats are refused on input and never produced. */
export const DecimalScalar = new GraphQLScalarType({
  name: 'Decimal',
  description: 'An exact decimal amount as a string with two decimals, e.g. "15000000.00". Never a float.',
  serialize: (value) => normalizeMoney(value as string),
  parseValue: parse,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) {
      throw new GraphQLError('Decimal must be given as a string, e.g. "19.99"', { extensions: { code: 'BAD_USER_INPUT' } });
    }
    return parse(ast.value);
  },
});
