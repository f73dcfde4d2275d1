import { Resolver } from 'type-graphql';

// Scaffold: operations are added by the stock work (see issues).
@Resolver()
export class StockResolver {}
