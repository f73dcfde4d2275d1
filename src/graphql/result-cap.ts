import { defaultFieldResolver, isObjectType, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { ResultTooLargeError } from '../common/errors';

interface Tally {
  fields: number;
  refused?: ResultTooLargeError;
}

/** Fields resolved so far, per operation (its context object: one per HTTP request, one per WebSocket operation). */
const tallies = new WeakMap<object, Tally>();
const CAPPED = Symbol('result-capped');

/**
 * Wraps every resolver of the schema's own types (in place) so that an operation resolving more
 * than maxFields fields stops: every field after the limit throws RESULT_TOO_LARGE at once, so no
 * further resolver or SQL runs, and the transports replace the whole answer by that one error
 * (`resultTooLargeAnswer`). The backstop behind the query cost, which prices unpaginated lists at
 * a declared size. Subscription events are not counted (each is a few fields, and a long-lived
 * subscription must not run out); introspection is not wrapped.
 */
export function capResultSize(schema: GraphQLSchema, maxFields: number): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve ?? defaultFieldResolver;
      if ((resolve as { [CAPPED]?: true })[CAPPED]) continue;
      const capped: typeof resolve = (source, args, context: unknown, info) => {
        if (info.operation.operation !== 'subscription' && typeof context === 'object' && context !== null) {
          let tally = tallies.get(context);
          if (!tally) tallies.set(context, (tally = { fields: 0 }));
          tally.fields += 1;
          if (tally.fields > maxFields) throw (tally.refused ??= new ResultTooLargeError(maxFields));
        }
        return resolve(source, args, context, info);
      };
      field.resolve = Object.assign(capped, { [CAPPED]: true as const });
    }
  }
  return schema;
}

/** The one error that replaces the answer of an operation that went over the limit, else undefined. */
export function resultTooLargeAnswer(context: unknown): GraphQLFormattedError | undefined {
  const refused = typeof context === 'object' && context !== null ? tallies.get(context)?.refused : undefined;
  return refused && { message: refused.message, extensions: { code: refused.code, ...refused.extensions } };
}
