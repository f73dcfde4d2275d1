/** Scaffold: filled in by the product work (see issues). */
export class ProductService {}
