import { Entity, ManyToOne, Property, type Opt, type Ref, Unique } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { MoneyType } from './money.type';
import { Product } from './product.entity';
import { Stock } from './stock.entity';
import { User } from './user.entity';

/** A user's single active cart. */
@Entity({ tableName: 'carts' })
export class Cart extends BaseEntity {
  @Unique({ name: 'carts_user_unique' })
  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'restrict' })
  user!: Ref<User>;
}

/** A wanted quantity of one product; the stock behind it is held by its `StockHold` rows. */
@Entity({ tableName: 'cart_items' })
@Unique({ name: 'cart_items_cart_product_unique', properties: ['cart', 'product'] })
export class CartItem extends BaseEntity {
  @ManyToOne({ entity: () => Cart, ref: true, deleteRule: 'restrict' })
  cart!: Ref<Cart>;

  @ManyToOne({ entity: () => Product, ref: true, deleteRule: 'restrict' })
  product!: Ref<Product>;

  @Property({ type: 'integer' })
  quantity!: number;

  /** Price seen when the line was last changed; checkout captures the price current then. */
  @Property({ type: MoneyType })
  unitPrice!: string;

  /** Bumped by every change of the line (cart.repository's SQL); not an ORM optimistic lock: the line is never flushed. */
  @Property({ type: 'integer', default: 1 })
  version: Opt<number> = 1;
}

/**
 * Part of a cart line's quantity held in one stock row until `expiresAtMs` (epoch milliseconds).
 * A lapsed hold still counts in `stocks.reserved` until swept, but never blocks a buyer: a
 * reservation that finds too little stock sweeps the lapsed holds of that row first.
 */
@Entity({ tableName: 'stock_holds' })
@Unique({ name: 'stock_holds_item_stock_unique', properties: ['cartItem', 'stock'] })
export class StockHold extends BaseEntity {
  @ManyToOne({ entity: () => CartItem, ref: true, deleteRule: 'restrict' })
  cartItem!: Ref<CartItem>;

  @ManyToOne({ entity: () => Stock, ref: true, deleteRule: 'restrict', index: 'stock_holds_stock_idx' })
  stock!: Ref<Stock>;

  @Property({ type: 'integer' })
  quantity!: number;

  @Property({ type: 'bigint', index: 'stock_holds_expires_idx' })
  expiresAtMs!: string;
}
