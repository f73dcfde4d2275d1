/** Scaffold: filled in by the warehouse work (see issues). */
export class WarehouseService {}
