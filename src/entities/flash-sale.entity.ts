import { Check, DateTimeType, Entity, Index, ManyToOne, Property, type Opt, type Ref, Unique } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { CartItem } from './cart.entity';
import { MoneyType } from './money.type';
import { Product } from './product.entity';
import { User } from './user.entity';

/** Where a sale stands by the database clock. */
export enum FlashSaleStatus {
  UPCOMING = 'UPCOMING',
  RUNNING = 'RUNNING',
  ENDED = 'ENDED',
  CANCELLED = 'CANCELLED',
}

/**
 * A sale window of one product: `salePrice` from `startsAtMs` (inclusive) to `endsAtMs`
 * (exclusive), both epoch milliseconds compared with the DATABASE clock. `quotaRemaining` is the
 * counter that guarded UPDATEs decrement (units sold or held at the sale price; null: no quota).
 * `regularPriceAllowed`: before the start and once the quota is gone the product still sells at
 * its regular price; otherwise it is sale-only then (SALE_NOT_STARTED / SALE_QUOTA_EXHAUSTED).
 * Rows change only through repositories/flash-sale.repository.ts.
 */
@Entity({ tableName: 'flash_sales' })
@Index({ name: 'flash_sales_product_window_idx', properties: ['product', 'startsAtMs'] })
@Check({ name: 'flash_sales_window_order', expression: 'ends_at_ms > starts_at_ms' })
@Check({ name: 'flash_sales_quota_remaining_non_negative', expression: 'quota_remaining >= 0' })
@Check({ name: 'flash_sales_quota_remaining_within_quota', expression: 'quota_remaining <= quota' })
@Check({ name: 'flash_sales_per_buyer_limit_positive', expression: 'per_buyer_limit > 0' })
export class FlashSale extends BaseEntity {
  @ManyToOne({ entity: () => Product, ref: true, deleteRule: 'restrict' })
  product!: Ref<Product>;

  @Property({ type: MoneyType })
  salePrice!: string;

  @Property({ type: 'bigint' })
  startsAtMs!: string;

  @Property({ type: 'bigint' })
  endsAtMs!: string;

  @Property({ type: 'integer', nullable: true })
  quota?: number | null;

  @Property({ type: 'integer', nullable: true })
  quotaRemaining?: number | null;

  @Property({ type: 'integer', nullable: true })
  perBuyerLimit?: number | null;

  @Property({ type: 'boolean', default: false })
  regularPriceAllowed: Opt<boolean> = false;

  @Property({ type: DateTimeType, length: 3, nullable: true })
  cancelledAt?: Date | null;

  @Property({ type: 'integer', default: 1 })
  version: Opt<number> = 1;
}

/** What one buyer took of a sale (held in carts plus in orders that are not cancelled): the per-buyer counter. */
@Entity({ tableName: 'flash_sale_buyers' })
@Unique({ name: 'flash_sale_buyers_sale_user_unique', properties: ['flashSale', 'user'] })
@Check({ name: 'flash_sale_buyers_bought_non_negative', expression: 'bought >= 0' })
export class FlashSaleBuyer extends BaseEntity {
  @ManyToOne({ entity: () => FlashSale, ref: true, deleteRule: 'restrict' })
  flashSale!: Ref<FlashSale>;

  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'restrict' })
  user!: Ref<User>;

  @Property({ type: 'integer', default: 0 })
  bought: Opt<number> = 0;
}

/**
 * Sale units a cart line holds (counted in the quota and in its buyer's counter) until
 * `expiresAtMs`, like its stock holds. One per cart line: a line is wholly at the sale price or
 * not at all.
 */
@Entity({ tableName: 'flash_sale_holds' })
@Check({ name: 'flash_sale_holds_quantity_positive', expression: 'quantity > 0' })
export class FlashSaleHold extends BaseEntity {
  @Unique({ name: 'flash_sale_holds_item_unique' })
  @ManyToOne({ entity: () => CartItem, ref: true, deleteRule: 'restrict' })
  cartItem!: Ref<CartItem>;

  @ManyToOne({ entity: () => FlashSale, ref: true, deleteRule: 'restrict' })
  flashSale!: Ref<FlashSale>;

  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'restrict' })
  user!: Ref<User>;

  @Property({ type: 'integer' })
  quantity!: number;

  @Property({ type: 'bigint', index: 'flash_sale_holds_expires_idx' })
  expiresAtMs!: string;
}
