import { Check, Entity, ManyToOne, Property, type Opt, type Ref, Unique } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { Product } from './product.entity';
import { Warehouse } from './warehouse.entity';

/**
 * One row per warehouse × product. `reserved` counts the quantity held by carts (including holds
 * that lapsed but were not swept yet). Rows change only through the guarded statements in
 * `repositories/stock.repository.ts`; the version column is bumped by every one of them.
 */
@Entity({ tableName: 'stocks' })
@Unique({ name: 'stocks_warehouse_product_unique', properties: ['warehouse', 'product'] })
@Check({ name: 'stocks_on_hand_non_negative', expression: 'on_hand >= 0' })
@Check({ name: 'stocks_reserved_non_negative', expression: 'reserved >= 0' })
@Check({ name: 'stocks_reserved_within_on_hand', expression: 'reserved <= on_hand' })
@Check({ name: 'stocks_sold_non_negative', expression: 'sold >= 0' })
export class Stock extends BaseEntity {
  @ManyToOne({ entity: () => Warehouse, ref: true, deleteRule: 'restrict' })
  warehouse!: Ref<Warehouse>;

  @ManyToOne({ entity: () => Product, ref: true, deleteRule: 'restrict' })
  product!: Ref<Product>;

  @Property({ type: 'integer', default: 0 })
  onHand: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  reserved: Opt<number> = 0;

  /**
   * Bumped by every stock write (stock.repository's guarded UPDATE), and the compare-and-set of
   * `setStock(expectedVersion)`. Not an ORM optimistic lock: stock rows are never flushed.
   */
  /**
   * Units of this row in orders that are not cancelled: moved by the same guarded UPDATE as the
   * stock (+ on a SALE, - on a CANCELLATION), so `Product.totalOrdered` is a sum over the
   * product's few stock rows instead of over its order lines. The stock audit checks it against
   * the order lines.
   */
  @Property({ type: 'integer', default: 0 })
  sold: Opt<number> = 0;

  @Property({ type: 'integer', default: 1 })
  version: Opt<number> = 1;
}
