import { Resolver } from 'type-graphql';

// Scaffold: operations are added by the product work (see issues).
@Resolver()
export class ProductResolver {}
