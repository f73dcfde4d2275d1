import { Mutation, Resolver } from 'type-graphql';

/**
 * Operational no-ops. `ping` does no work at all, so timing it measures the fixed cost every
 * mutation pays (HTTP, parsing, validation, context and authentication): the benchmark's L4
 * baseline.
 */
@Resolver()
export class SystemResolver {
  @Mutation(() => String, { description: 'Does nothing and returns "pong": a probe for the request pipeline cost' })
  ping(): string {
    return 'pong';
  }
}
