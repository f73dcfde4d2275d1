/** Scaffold: filled in by the cart work (see issues). */
export class CartService {}
