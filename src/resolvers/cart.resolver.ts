import { Resolver } from 'type-graphql';

// Scaffold: operations are added by the cart work (see issues).
@Resolver()
export class CartResolver {}
