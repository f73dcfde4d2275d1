/** Scaffold: filled in by the stock work (see issues). */
export class StockService {}
