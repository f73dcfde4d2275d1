/** Scaffold: filled in by the order work (see issues). */
export class OrderService {}
