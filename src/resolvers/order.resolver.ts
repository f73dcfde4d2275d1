import { Resolver } from 'type-graphql';

// Scaffold: operations are added by the order work (see issues).
@Resolver()
export class OrderResolver {}
