import { Resolver } from 'type-graphql';

// Scaffold: operations are added by the warehouse work (see issues).
@Resolver()
export class WarehouseResolver {}
