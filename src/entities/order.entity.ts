import { Check, Entity, Enum, Index, ManyToOne, Property, type Opt, type Ref, Unique } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { CaseSensitiveKeyType } from './case-sensitive-key.type';
import { FlashSale } from './flash-sale.entity';
import { MoneyType } from './money.type';
import { Product } from './product.entity';
import { Stock } from './stock.entity';
import { User } from './user.entity';
import { Warehouse } from './warehouse.entity';

export enum OrderStatus {
  PENDING = 'PENDING',
  PROCESSED = 'PROCESSED',
  SHIPPED = 'SHIPPED',
  DELIVERED = 'DELIVERED',
  CANCELLED = 'CANCELLED',
}

/** Orders are never deleted. One order per (user, idempotency key), enforced by a unique key. */
@Entity({ tableName: 'orders' })
@Unique({ name: 'orders_user_idempotency_unique', properties: ['user', 'idempotencyKey'] })
@Index({ name: 'orders_user_status_idx', properties: ['user', 'status'] })
export class Order extends BaseEntity {
  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'restrict' })
  user!: Ref<User>;

  @Enum({ items: () => OrderStatus, nativeEnumName: 'order_status' })
  status: Opt<OrderStatus> = OrderStatus.PENDING;

  @Property({ type: MoneyType })
  totalPrice!: string;

  @Property({ type: MoneyType })
  shippingCost!: string;

  /** Compared case-sensitively on both databases (`Ab` and `ab` are two keys). */
  @Property({ type: CaseSensitiveKeyType, length: 100 })
  idempotencyKey!: string;

  /** SHA-256 of the request that created the order: a replay with other input is refused. */
  @Property({ type: 'string', length: 64 })
  requestHash!: string;

  /** Bumped by every status change (order.repository's guarded SQL); not an ORM optimistic lock: orders are never flushed. */
  @Property({ type: 'integer', default: 1 })
  version: Opt<number> = 1;
}

@Entity({ tableName: 'order_lines' })
@Check({ name: 'order_lines_quantity_positive', expression: 'quantity > 0' })
export class OrderLine extends BaseEntity {
  @ManyToOne({ entity: () => Order, ref: true, deleteRule: 'restrict' })
  order!: Ref<Order>;

  @ManyToOne({ entity: () => Product, ref: true, deleteRule: 'restrict' })
  product!: Ref<Product>;

  @ManyToOne({ entity: () => Warehouse, ref: true, deleteRule: 'restrict' })
  warehouse!: Ref<Warehouse>;

  /** The stock row the units came from, so a cancellation returns them to the same place. */
  @ManyToOne({ entity: () => Stock, ref: true, deleteRule: 'restrict' })
  stock!: Ref<Stock>;

  @Property({ type: 'integer' })
  quantity!: number;

  @Property({ type: MoneyType })
  unitPrice!: string;

  @Property({ type: MoneyType })
  subtotal!: string;

  /** The flash sale whose price and quota these units were sold under; null at the regular price. */
  @ManyToOne({ entity: () => FlashSale, ref: true, nullable: true, deleteRule: 'restrict' })
  flashSale?: Ref<FlashSale> | null;
}
